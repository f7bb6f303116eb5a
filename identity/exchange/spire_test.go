package exchange_test

import (
	"crypto/tls"
	"encoding/pem"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/bundle/x509bundle"
	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/svid/x509svid"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/exchange"
	"github.com/ztci/ztci/identity/mtls"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/identity/workload"
	"github.com/ztci/ztci/internal/itest"
)

// TestExchangeSVIDFederatesWithSPIRE (issue #14 item 6): an X.509-SVID that
// the token exchange issued in ci.test and a workload of a real SPIRE in
// spire.test authenticate each other over mTLS once the two trust domains
// federate (each trusts the other's bundle), and the SPIRE workload's
// authorizer refuses an exchange SVID for another repository.
func TestExchangeSVIDFederatesWithSPIRE(t *testing.T) {
	ctx := t.Context()
	tokens, v, ca, tm := exchangeParts(t, "/ci/{platform}/{repository...}", oidc.WithTTL(5*time.Minute))
	ex, err := exchange.New(v, ca, tm)
	if err != nil {
		t.Fatal(err)
	}
	exchangeSVID := func(repo string) *x509svid.SVID {
		t.Helper()
		tok, err := tokens.Mint(ctx, oidc.Job{Claims: identity.Claims{Platform: "ztci", Repository: repo, Ref: "refs/heads/main"}}, "spiffe://ci.test")
		if err != nil {
			t.Fatal(err)
		}
		x, err := ex.X509SVID(ctx, tok.Reveal())
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	app, other := exchangeSVID("octo-org/app"), exchangeSVID("octo-org/other")

	// SPIRE in spire.test trusts ci.test's CA (a federation), and its deploy
	// workload gets ci.test's bundle with its SVID.
	spireTD := spiffeid.RequireTrustDomainFromString("spire.test")
	deploy := spiffeid.RequireFromPath(spireTD, "/job/deploy")
	spire := itest.StartSPIRE(t, spireTD.Name())
	var caPEM []byte
	for _, c := range ca.X509Bundle().X509Authorities() {
		caPEM = append(caPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	spire.SetFederatedBundle(t, td.IDString(), caPEM)
	spire.CreateEntry(t, itest.Entry{SPIFFEID: deploy.String(), Selectors: []string{itest.UIDSelector()}, FederatesWith: []string{td.IDString()}})
	spire.WaitX509SVID(t, deploy.String())
	src, err := workload.Open(ctx, spire.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := src.GetX509BundleForTrustDomain(td); err != nil {
		t.Fatalf("SPIRE agent did not serve the federated ci.test bundle with the SVID: %v", err)
	}

	// ztci's side trusts spire.test's bundle as SPIRE publishes it.
	spireBundle, err := x509bundle.Parse(spireTD, spire.X509BundlePEM(t))
	if err != nil {
		t.Fatal(err)
	}
	trust := x509bundle.NewSet(ca.X509Bundle(), spireBundle)

	serverCfg, err := mtls.ServerConfig(src, src, mtls.AuthorizeID(app.ID))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		client *x509svid.SVID
		want   bool
	}{
		{name: "exchange SVID of the admitted repository", client: app, want: true},
		{name: "exchange SVID of another repository", client: other},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clientCfg, err := mtls.ClientConfig(tc.client, trust, mtls.AuthorizeID(deploy))
			if err != nil {
				t.Fatal(err)
			}
			serr, cerr := pipeHandshake(t, serverCfg, clientCfg)
			if tc.want {
				if serr != nil || cerr != nil {
					t.Fatalf("handshake: server %v, client %v", serr, cerr)
				}
				return
			}
			if !errors.Is(serr, mtls.ErrUnauthorized) {
				t.Fatalf("SPIRE workload's refusal = %v (client %v), want ErrUnauthorized", serr, cerr)
			}
		})
	}

	// Without the federation the exchange SVID does not verify at all.
	lone, err := mtls.ServerConfig(src, x509bundle.NewSet(spireBundle), mtls.AuthorizeID(app.ID))
	if err != nil {
		t.Fatal(err)
	}
	clientCfg, err := mtls.ClientConfig(app, trust, mtls.AuthorizeID(deploy))
	if err != nil {
		t.Fatal(err)
	}
	if serr, _ := pipeHandshake(t, lone, clientCfg); serr == nil {
		t.Fatal("a SPIRE workload that does not trust ci.test accepted an exchange SVID")
	}
}

// pipeHandshake runs a TLS handshake between server and client over a loopback
// TCP connection and returns each side's error. (Over net.Pipe the TLS 1.3
// server's session tickets and the client's close_notify block each other
// until tls.Conn.Close's 5-second write deadline; kernel buffers do not.)
func pipeHandshake(t *testing.T, server, client *tls.Config) (serverErr, clientErr error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	errc := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			errc <- err
			return
		}
		srv := tls.Server(c, server)
		err = srv.HandshakeContext(t.Context())
		srv.Close()
		errc <- err
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	cli := tls.Client(raw, client)
	clientErr = cli.HandshakeContext(t.Context())
	cli.Close()
	return <-errc, clientErr
}
