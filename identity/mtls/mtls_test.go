package mtls_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/spiffetls/tlsconfig"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/mtls"
	"github.com/ztci/ztci/identity/svid"
)

func TestAuthorizerCombinators(t *testing.T) {
	t.Parallel()
	td := spiffeid.RequireTrustDomainFromString("ci.test")
	build := spiffeid.RequireFromPath(td, "/job/build")
	other := spiffeid.RequireFromString("spiffe://evil.test/job/build")
	tests := []struct {
		name string
		a    mtls.Authorizer
		id   spiffeid.ID
		want bool
	}{
		{name: "all: member and id", a: mtls.AuthorizeAll(mtls.AuthorizeMemberOf(td), mtls.AuthorizeID(build)), id: build, want: true},
		{name: "all: wrong trust domain", a: mtls.AuthorizeAll(mtls.AuthorizeMemberOf(td), mtls.AuthorizeMatcher(identity.MatchSPIFFEID(spiffeid.MatchAny()))), id: other},
		{name: "all of none", a: mtls.AuthorizeAll(), id: build},
		{name: "all with nil", a: mtls.AuthorizeAll(nil), id: build},
		{name: "any: second accepts", a: mtls.AuthorizeAny(mtls.AuthorizeID(other), mtls.AuthorizeID(build)), id: build, want: true},
		{name: "any: none accepts", a: mtls.AuthorizeAny(mtls.AuthorizeID(other)), id: build},
		{name: "any of none", a: mtls.AuthorizeAny(), id: build},
		{name: "matcher", a: mtls.AuthorizeMatcher(identity.MatchSPIFFEID(spiffeid.MatchMemberOf(td))), id: build, want: true},
		{name: "matcher refuses", a: mtls.AuthorizeMatcher(identity.MatchClaim("repository", "x")), id: build},
		{name: "id", a: mtls.AuthorizeID(build), id: build, want: true},
		{name: "id refuses another", a: mtls.AuthorizeID(build), id: other},
		{name: "id refuses zero", a: mtls.AuthorizeID(build), id: spiffeid.ID{}},
		{name: "member", a: mtls.AuthorizeMemberOf(td), id: build, want: true},
		{name: "member refuses another domain", a: mtls.AuthorizeMemberOf(td), id: other},
		{name: "member refuses zero", a: mtls.AuthorizeMemberOf(td), id: spiffeid.ID{}},
		{name: "all wraps a foreign refusal", a: mtls.AuthorizeAll(tlsconfig.AuthorizeID(other)), id: build},
		{name: "any wraps foreign refusals", a: mtls.AuthorizeAny(tlsconfig.AuthorizeID(other), nil), id: build},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.a(tc.id, [][]*x509.Certificate{})
			if (err == nil) != tc.want {
				t.Fatalf("err = %v, want accepted=%v", err, tc.want)
			}
			if err != nil && !errors.Is(err, mtls.ErrUnauthorized) {
				t.Fatalf("refusal %v does not wrap ErrUnauthorized", err)
			}
		})
	}
	var ue *mtls.UnauthorizedError
	if err := mtls.AuthorizeID(build)(other, nil); !errors.As(err, &ue) || ue.ID != other.String() {
		t.Errorf("AuthorizeID refusal = %v, want an UnauthorizedError naming %s", err, other)
	}
	if err := mtls.AuthorizeAny()(build, nil); !errors.Is(err, mtls.ErrUnauthorized) {
		t.Errorf("AuthorizeAny() err = %v, want ErrUnauthorized", err)
	}
	if _, err := mtls.ServerConfig(nil, nil, nil); !errors.Is(err, mtls.ErrConfig) {
		t.Errorf("ServerConfig(nil...) err = %v, want ErrConfig", err)
	}
}

// TestResumedSessionsAreVerifiedAgain: a TLS 1.3 session resumed from a
// ticket skips VerifyPeerCertificate, where go-spiffe checks the peer's
// chain against the bundle and runs the authorizer. A peer refused since
// its first connection (its CA left the bundle, the authorizer changed its
// mind) must not get back in by resuming; SPIRE disables session tickets
// on its server for this reason (spiffe/spire#6715).
func TestResumedSessionsAreVerifiedAgain(t *testing.T) {
	t.Parallel()
	td := spiffeid.RequireTrustDomainFromString("ci.test")
	ca, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	srvID, cliID := spiffeid.RequireFromPath(td, "/svc/deployer"), spiffeid.RequireFromPath(td, "/job/build")
	srvSVID, err := ca.X509SVID(t.Context(), srvID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	cliSVID, err := ca.X509SVID(t.Context(), cliID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	// revocable admits id until revoke is set.
	revocable := func(id spiffeid.ID, revoke *atomic.Bool) mtls.Authorizer {
		return func(got spiffeid.ID, _ [][]*x509.Certificate) error {
			if got != id || revoke.Load() {
				return errors.New("revoked")
			}
			return nil
		}
	}
	serve := func(t *testing.T, cfg *tls.Config) string {
		ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					c.SetDeadline(time.Now().Add(5 * time.Second))
					if c.(*tls.Conn).Handshake() == nil {
						c.Write([]byte("ok"))
					}
				}()
			}
		}()
		return ln.Addr().String()
	}
	// talk reports whether a connection completed both ways, and whether it
	// resumed a session.
	talk := func(addr string, cfg *tls.Config) (ok, resumed bool) {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
		if err != nil {
			return false, false
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		b, _ := io.ReadAll(c)
		return string(b) == "ok", c.ConnectionState().DidResume
	}
	for _, tc := range []struct {
		name   string
		server func(authz mtls.Authorizer) (*tls.Config, error)
	}{
		{"ServerConfig", func(a mtls.Authorizer) (*tls.Config, error) { return mtls.ServerConfig(srvSVID, ca, a) }},
		{"ServerConfigClientOptional", func(a mtls.Authorizer) (*tls.Config, error) {
			return mtls.ServerConfigClientOptional(srvSVID, ca, a)
		}},
		{"ServerConfig with tickets turned back on", func(a mtls.Authorizer) (*tls.Config, error) {
			c, err := mtls.ServerConfig(srvSVID, ca, a)
			if err == nil {
				c.SessionTicketsDisabled = false
			}
			return c, err
		}},
	} {
		t.Run(tc.name+" refuses a revoked client", func(t *testing.T) {
			t.Parallel()
			var revoked atomic.Bool
			scfg, err := tc.server(revocable(cliID, &revoked))
			if err != nil {
				t.Fatal(err)
			}
			addr := serve(t, scfg)
			ccfg, err := mtls.ClientConfig(cliSVID, ca, mtls.AuthorizeID(srvID))
			if err != nil {
				t.Fatal(err)
			}
			ccfg.ClientSessionCache = tls.NewLRUClientSessionCache(4) // the client's choice
			if ok, _ := talk(addr, ccfg); !ok {
				t.Fatal("first connection refused")
			}
			revoked.Store(true)
			if ok, resumed := talk(addr, ccfg); ok {
				t.Fatalf("revoked client admitted (resumed session: %v)", resumed)
			}
		})
	}
	t.Run("ClientConfig refuses a revoked server", func(t *testing.T) {
		t.Parallel()
		// A server that issues tickets (any TLS server may).
		addr := serve(t, tlsconfig.MTLSServerConfig(srvSVID, ca, tlsconfig.AuthorizeAny()))
		var revoked atomic.Bool
		ccfg, err := mtls.ClientConfig(cliSVID, ca, revocable(srvID, &revoked))
		if err != nil {
			t.Fatal(err)
		}
		ccfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
		if ok, _ := talk(addr, ccfg); !ok {
			t.Fatal("first connection refused")
		}
		revoked.Store(true)
		if ok, resumed := talk(addr, ccfg); ok {
			t.Fatalf("revoked server accepted (resumed session: %v)", resumed)
		}
	})
}
