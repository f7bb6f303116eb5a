package workload_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/svid/jwtsvid"
	"github.com/spiffe/go-spiffe/v2/workloadapi"

	"github.com/ztci/ztci/identity/mtls"
	"github.com/ztci/ztci/identity/svid"
	"github.com/ztci/ztci/identity/workload"
)

var td = spiffeid.RequireTrustDomainFromString("ci.test")

// serve starts a Workload API server for id on a fresh unix socket and
// returns its address.
func serve(t *testing.T, iss *svid.Issuer, id spiffeid.ID) string {
	t.Helper()
	return serveWith(t, iss, workload.FixedID(id))
}

func serveWith(t *testing.T, iss *svid.Issuer, a workload.Attestor) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "wl") // short path: unix socket paths are limited to 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "agent.sock")
	l, err := workload.Listen(path, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	s, err := workload.NewServer(iss, a)
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
	return "unix://" + path
}

func TestGoSpiffeClientAndMTLS(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	iss, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	build := spiffeid.RequireFromPath(td, "/job/build")
	deploy := spiffeid.RequireFromPath(td, "/job/deploy")
	other := spiffeid.RequireFromPath(td, "/job/other")

	srcDeploy, err := workload.Open(ctx, serve(t, iss, deploy))
	if err != nil {
		t.Fatal(err)
	}
	defer srcDeploy.Close()
	got, err := srcDeploy.GetX509SVID()
	if err != nil || got.ID != deploy {
		t.Fatalf("X.509-SVID from go-spiffe client = %v, %v; want %v", got, err, deploy)
	}

	// The deploy stage serves mTLS and admits only the build stage.
	srvCfg, err := mtls.ServerConfig(srcDeploy, srcDeploy, mtls.AuthorizeAll(mtls.AuthorizeMemberOf(td), mtls.AuthorizeID(build)))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", srvCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if err := c.(*tls.Conn).HandshakeContext(ctx); err == nil {
					_, _ = c.Write([]byte("hello build"))
				}
			}()
		}
	}()

	dial := func(t *testing.T, id spiffeid.ID) (string, error) {
		src, err := workload.Open(ctx, serve(t, iss, id))
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		cliCfg, err := mtls.ClientConfig(src, src, mtls.AuthorizeID(deploy))
		if err != nil {
			t.Fatal(err)
		}
		c, err := tls.Dial("tcp", ln.Addr().String(), cliCfg)
		if err != nil {
			return "", err
		}
		defer c.Close()
		b, err := io.ReadAll(c)
		return string(b), err
	}

	tests := []struct {
		name    string
		id      spiffeid.ID
		wantErr bool
	}{
		{name: "build stage admitted", id: build},
		{name: "other workload refused", id: other, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg, err := dial(t, tc.id)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("connection from %v succeeded (%q), want refusal", tc.id, msg)
				}
				return
			}
			if err != nil || msg != "hello build" {
				t.Fatalf("got %q, %v", msg, err)
			}
		})
	}

	// JWT-SVIDs through the same client, validated against the bundle it serves.
	js, err := srcDeploy.FetchJWTSVID(ctx, jwtsvid.Params{Audience: "https://vault.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwtsvid.ParseAndValidate(js.Marshal(), srcDeploy, []string{"https://vault.example"}); err != nil {
		t.Fatalf("JWT-SVID does not validate: %v", err)
	}
	if _, err := jwtsvid.ParseAndValidate(js.Marshal(), srcDeploy, []string{"https://other"}); err == nil {
		t.Fatal("JWT-SVID validated for the wrong audience")
	}
}

func TestWorkloadAPIRefusals(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	iss, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	id := spiffeid.RequireFromPath(td, "/job/build")
	addr := serve(t, iss, id)
	c, err := workloadapi.New(ctx, workloadapi.WithAddr(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.FetchJWTSVID(ctx, jwtsvid.Params{Audience: "a", Subject: spiffeid.RequireFromPath(td, "/job/deploy")}); err == nil {
		t.Error("JWT-SVID issued for a SPIFFE ID the caller is not entitled to")
	}
	sv, err := c.FetchJWTSVID(ctx, jwtsvid.Params{Audience: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.ValidateJWTSVID(ctx, sv.Marshal(), "a"); err != nil || got.ID != id {
		t.Errorf("ValidateJWTSVID = %v, %v", got, err)
	}
	if _, err := c.ValidateJWTSVID(ctx, sv.Marshal(), "b"); err == nil {
		t.Error("ValidateJWTSVID accepted the wrong audience")
	}
}

func TestUIDAttestorOverRealSocket(t *testing.T) {
	t.Parallel()
	iss, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	id := spiffeid.RequireFromPath(td, "/job/build")
	tests := []struct {
		name    string
		uid     int
		wantErr bool
	}{
		{name: "own uid attested", uid: os.Getuid()},
		{name: "other uid refused", uid: os.Getuid() + 1, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr := serveWith(t, iss, workload.UID(map[int]spiffeid.ID{tc.uid: id}))
			c, err := workloadapi.New(t.Context(), workloadapi.WithAddr(addr))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			sv, err := c.FetchJWTSVID(t.Context(), jwtsvid.Params{Audience: "a"})
			if tc.wantErr != (err != nil) {
				t.Fatalf("FetchJWTSVID = %v, %v; want error %v", sv, err, tc.wantErr)
			}
		})
	}
}

func TestAttestorErrors(t *testing.T) {
	t.Parallel()
	a := workload.UID(map[int]spiffeid.ID{1: spiffeid.RequireFromPath(td, "/x")})
	if _, err := a.Attest(t.Context(), workload.Caller{UID: 1}); !errors.Is(err, workload.ErrNotAttested) {
		t.Errorf("caller without credentials: err = %v, want ErrNotAttested", err)
	}
}

// TestX509SVIDRotation: the server re-sends a fresh X.509-SVID at half its
// lifetime and go-spiffe's source picks it up.
func TestX509SVIDRotation(t *testing.T) {
	t.Parallel()
	iss, err := svid.NewIssuer(td, svid.WithX509TTL(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	src, err := workload.Open(t.Context(), serve(t, iss, spiffeid.RequireFromPath(td, "/job/rotate")))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	first, err := src.GetX509SVID()
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		s, err := src.GetX509SVID()
		if err == nil && s.Certificates[0].SerialNumber.Cmp(first.Certificates[0].SerialNumber) != 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("no rotated SVID received")
}
