package httpauth_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/spiffetls/tlsconfig"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/httpauth"
	"github.com/ztci/ztci/identity/mtls"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/identity/svid"
)

var td = spiffeid.RequireTrustDomainFromString("ci.test")

func whoami(w http.ResponseWriter, r *http.Request) {
	id, ok := identity.FromContext(r.Context())
	if !ok {
		http.Error(w, "no identity", http.StatusInternalServerError)
		return
	}
	fmt.Fprint(w, id.ID())
}

func TestMiddlewareMTLSAndBearer(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	ca, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	build := spiffeid.RequireFromPath(td, "/job/build")
	server := spiffeid.RequireFromPath(td, "/svc/deployer")
	iss, err := oidc.NewIssuer("https://ci.test")
	if err != nil {
		t.Fatal(err)
	}
	v, err := oidc.NewVerifier("https://ci.test", "deployer", oidc.WithKeySet(iss.KeySet()))
	if err != nil {
		t.Fatal(err)
	}
	a, err := httpauth.New(httpauth.WithMTLS(ca, mtls.AuthorizeID(build)), httpauth.WithBearer(v))
	if err != nil {
		t.Fatal(err)
	}
	srvSVID, err := ca.X509SVID(ctx, server, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	// Client certificates optional: the same listener serves bearer callers.
	srvCfg, err := mtls.ServerConfigClientOptional(srvSVID, ca, mtls.AuthorizeMemberOf(td))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", srvCfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: a.Middleware(http.HandlerFunc(whoami)), ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	url := "https://" + ln.Addr().String()

	clientFor := func(t *testing.T, id spiffeid.ID) *http.Client {
		s, err := ca.X509SVID(ctx, id, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := mtls.ClientConfig(s, ca, mtls.AuthorizeID(server))
		if err != nil {
			t.Fatal(err)
		}
		return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
	}
	tok, err := iss.Mint(ctx, oidc.Job{Claims: identity.Claims{Repository: "octo-org/app"}}, "deployer")
	if err != nil {
		t.Fatal(err)
	}
	wrongTok, err := iss.Mint(ctx, oidc.Job{Claims: identity.Claims{Repository: "octo-org/app"}}, "someone-else")
	if err != nil {
		t.Fatal(err)
	}
	serverOnly, err := tlsconfigServerAuth(ca, server)
	if err != nil {
		t.Fatal(err)
	}
	bearerClient := func(raw string) *http.Client {
		base := &http.Transport{TLSClientConfig: serverOnly}
		rt, err := httpauth.RoundTripper(url, identity.TokenSourceFunc(func(context.Context) (string, error) { return raw, nil }), base)
		if err != nil {
			t.Fatal(err)
		}
		return &http.Client{Transport: rt}
	}
	tests := []struct {
		name   string
		client *http.Client
		status int
		body   string
	}{
		{name: "mTLS build stage", client: clientFor(t, build), status: 200, body: build.String()},
		{name: "mTLS other workload", client: clientFor(t, spiffeid.RequireFromPath(td, "/job/other")), status: 401},
		{name: "bearer job token", client: bearerClient(tok.Reveal()), status: 200, body: "https://ci.test#repo:octo-org/app"},
		{name: "bearer wrong audience", client: bearerClient(wrongTok.Reveal()), status: 401},
		{name: "no credential", client: bearerClient(""), status: 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, err := tc.client.Get(url)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || (tc.body != "" && string(b) != tc.body) {
				t.Fatalf("got %d %q, want %d %q", resp.StatusCode, b, tc.status, tc.body)
			}
		})
	}
}

func TestAuthenticateRejectsOtherSchemes(t *testing.T) {
	t.Parallel()
	a, err := httpauth.New(httpauth.WithBearer(identity.TokenVerifierFunc(func(context.Context, string) (identity.Identity, error) {
		return identity.Identity{Issuer: "i", Subject: "s"}, nil
	})))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Token abc"} {
		r := httptest.NewRequest(http.MethodGet, "https://deployer.test/", nil) // over TLS
		r.Header.Set("Authorization", h)
		if _, err := a.Authenticate(r); err == nil {
			t.Errorf("Authorization %q accepted", h)
		}
	}
	if _, err := httpauth.New(); err == nil {
		t.Error("New without credentials accepted")
	}
}

// tlsconfigServerAuth authenticates the server's SVID without presenting a
// client certificate (a bearer-token caller).
func tlsconfigServerAuth(ca *svid.Issuer, server spiffeid.ID) (*tls.Config, error) {
	return tlsconfig.TLSClientConfig(ca, tlsconfig.AuthorizeID(server)), nil
}

// TestAuthorizerSeesVerifiedChains checks that the authorizer of WithMTLS
// receives what go-spiffe's tlsconfig gives every Authorizer: the chains
// verified against the bundle, from the SVID to a bundle authority. The
// certificates a client presents are not a chain: a client can append any
// certificate it likes (here another trust domain's CA certificate, which is
// public), and an authorizer that asks "was this SVID issued under CA X"
// must not be answered by that list.
func TestAuthorizerSeesVerifiedChains(t *testing.T) {
	t.Parallel()
	ca, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	other, err := svid.NewIssuer(spiffeid.RequireTrustDomainFromString("other.test"))
	if err != nil {
		t.Fatal(err)
	}
	decoy := other.X509Bundle().X509Authorities()[0]
	root := ca.X509Bundle().X509Authorities()[0]
	job := spiffeid.RequireFromPath(td, "/job/build")
	s, err := ca.X509SVID(t.Context(), job, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var seen [][]*x509.Certificate
	authz := func(_ spiffeid.ID, chains [][]*x509.Certificate) error {
		seen = chains
		for _, chain := range chains {
			for _, c := range chain {
				if c.Equal(decoy) {
					return nil // "issued under the other CA": what the decoy claims
				}
			}
		}
		return errors.New("not issued under the other CA")
	}
	a, err := httpauth.New(httpauth.WithMTLS(ca, authz))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{s.Certificates[0], decoy}}
	if id, err := a.Authenticate(r); err == nil {
		t.Fatalf("an appended certificate reached the authorizer as part of the chain: accepted %s", id.ID())
	}
	if len(seen) == 0 {
		t.Fatal("authorizer not called")
	}
	for _, chain := range seen {
		if len(chain) < 2 || !chain[0].Equal(s.Certificates[0]) || !chain[len(chain)-1].Equal(root) {
			t.Fatalf("authorizer got a chain of %d certificates, want the SVID up to the bundle's CA", len(chain))
		}
	}
}
