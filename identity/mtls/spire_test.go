package mtls_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/spiffe/go-spiffe/v2/bundle/x509bundle"
	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/svid/x509svid"
	"github.com/spiffe/go-spiffe/v2/workloadapi"

	"github.com/ztci/ztci/identity/mtls"
	"github.com/ztci/ztci/identity/svid"
	"github.com/ztci/ztci/identity/workload"
	"github.com/ztci/ztci/internal/itest"
)

// stageSVIDs are the X.509-SVIDs of a pipeline's stages and the bundles to
// verify them with, all fetched from one kind of Workload API.
type stageSVIDs struct {
	svids   map[spiffeid.ID]*x509svid.SVID
	bundles x509bundle.Source
}

// fetchX509 fetches every X.509-SVID the Workload API at addr serves to
// this process, with go-spiffe's client, into s.
func (s *stageSVIDs) fetchX509(t *testing.T, ctx context.Context, addr string) {
	t.Helper()
	c, err := workloadapi.FetchX509Context(ctx, workloadapi.WithAddr(addr))
	if err != nil {
		t.Fatalf("FetchX509Context %s: %v", addr, err)
	}
	for _, sv := range c.SVIDs {
		s.svids[sv.ID] = sv
	}
	s.bundles = c.Bundles
}

// ztciWorkloadAPI serves id from iss on a fresh socket and returns its
// address.
func ztciWorkloadAPI(t *testing.T, iss *svid.Issuer, id spiffeid.ID) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "wl") // unix socket paths are limited to 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	l, err := workload.Listen(filepath.Join(dir, "agent.sock"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	s, err := workload.NewServer(iss, workload.FixedID(id))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(context.Background(), l) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return "unix://" + filepath.Join(dir, "agent.sock")
}

// handshake runs a TLS handshake between server and client over a loopback
// TCP connection and returns each side's error. (Over net.Pipe the TLS 1.3
// server's session tickets and the client's close_notify block each other
// until tls.Conn.Close's 5-second write deadline; kernel buffers do not.)
func handshake(t *testing.T, server, client *tls.Config) (serverErr, clientErr error) {
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

// answer is the authorization outcome of one connection attempt.
type answer struct {
	Accepted     bool
	Unauthorized bool // the refusing side's error wraps mtls.ErrUnauthorized
}

func authorize(t *testing.T, s stageSVIDs, server, client spiffeid.ID, serverAuthz, clientAuthz mtls.Authorizer) answer {
	t.Helper()
	sc, err := mtls.ServerConfig(s.svids[server], s.bundles, serverAuthz)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := mtls.ClientConfig(s.svids[client], s.bundles, clientAuthz)
	if err != nil {
		t.Fatal(err)
	}
	serr, cerr := handshake(t, sc, cc)
	if serr == nil && cerr == nil {
		return answer{Accepted: true}
	}
	// The side that refused has the authorizer's error; the other sees
	// the alert or the closed pipe.
	return answer{Unauthorized: errors.Is(serr, mtls.ErrUnauthorized) || errors.Is(cerr, mtls.ErrUnauthorized)}
}

// TestAuthorizationSameForSPIREAndZTCI (issue #14 item 6): mTLS between
// stages authorizes the same way whether the stages' SVIDs come from a real
// SPIRE agent or from ztci's Workload API server.
func TestAuthorizationSameForSPIREAndZTCI(t *testing.T) {
	ctx := t.Context()
	td := spiffeid.RequireTrustDomainFromString("ci.test")
	build := spiffeid.RequireFromPath(td, "/job/build")
	deploy := spiffeid.RequireFromPath(td, "/job/deploy")
	other := spiffeid.RequireFromPath(td, "/job/other")
	stages := []spiffeid.ID{build, deploy, other}

	// SPIRE: the three entries select this process's user, so the agent
	// serves all three SVIDs to it.
	spire := itest.StartSPIRE(t, td.Name())
	for _, id := range stages {
		spire.CreateEntry(t, itest.Entry{SPIFFEID: id.String(), Selectors: []string{itest.UIDSelector()}})
	}
	spire.WaitX509SVID(t, build.String(), deploy.String(), other.String())
	fromSPIRE := stageSVIDs{svids: map[spiffeid.ID]*x509svid.SVID{}}
	fromSPIRE.fetchX509(t, ctx, spire.Addr())

	// ztci: one socket per stage, as the runner lays them out.
	iss, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	fromZTCI := stageSVIDs{svids: map[spiffeid.ID]*x509svid.SVID{}}
	for _, id := range stages {
		fromZTCI.fetchX509(t, ctx, ztciWorkloadAPI(t, iss, id))
	}

	onlyBuild := mtls.AuthorizeAll(mtls.AuthorizeMemberOf(td), mtls.AuthorizeID(build))
	tests := []struct {
		name           string
		server, client spiffeid.ID
		serverAuthz    mtls.Authorizer
		clientAuthz    mtls.Authorizer
		want           answer
	}{
		{name: "deploy admits build", server: deploy, client: build, serverAuthz: onlyBuild, clientAuthz: mtls.AuthorizeID(deploy), want: answer{Accepted: true}},
		{name: "deploy refuses other", server: deploy, client: other, serverAuthz: onlyBuild, clientAuthz: mtls.AuthorizeID(deploy), want: answer{Unauthorized: true}},
		{name: "build refuses a server that is not deploy", server: other, client: build, serverAuthz: mtls.AuthorizeMemberOf(td), clientAuthz: mtls.AuthorizeID(deploy), want: answer{Unauthorized: true}},
		{name: "other trust domain refused", server: deploy, client: build, serverAuthz: mtls.AuthorizeMemberOf(spiffeid.RequireTrustDomainFromString("evil.test")), clientAuthz: mtls.AuthorizeID(deploy), want: answer{Unauthorized: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spireAnswer := authorize(t, fromSPIRE, tc.server, tc.client, tc.serverAuthz, tc.clientAuthz)
			ztciAnswer := authorize(t, fromZTCI, tc.server, tc.client, tc.serverAuthz, tc.clientAuthz)
			if spireAnswer != tc.want || ztciAnswer != tc.want {
				t.Fatalf("SPIRE %+v, ztci %+v; want %+v from both", spireAnswer, ztciAnswer, tc.want)
			}
		})
	}

	// Each Workload API's SVIDs verify only against its own trust bundle:
	// two independent CAs for one trust domain name do not trust each other.
	if got := authorize(t, stageSVIDs{svids: map[spiffeid.ID]*x509svid.SVID{deploy: fromSPIRE.svids[deploy], build: fromZTCI.svids[build]}, bundles: fromSPIRE.bundles},
		deploy, build, onlyBuild, mtls.AuthorizeID(deploy)); got.Accepted {
		t.Fatal("a SPIRE workload accepted an SVID from an unrelated ztci CA")
	}
}
