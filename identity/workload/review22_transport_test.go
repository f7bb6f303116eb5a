package workload_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/workloadapi"

	"github.com/ztci/ztci/identity/svid"
	wl "github.com/ztci/ztci/identity/workload"
)

// TestReview22ServeRefusesNonUnixListeners: a FixedID server handed a TCP
// listener used to give the job's SVID and private key to anyone who could
// reach the port. Serve now refuses it (ErrTransport, the listener closed)
// unless WithNonUnixListener says the vendor secured the transport, and
// then the TCP caller is served.
func TestReview22ServeRefusesNonUnixListeners(t *testing.T) {
	t.Parallel()
	iss, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	job := spiffeid.RequireFromPath(td, "/job/42")
	srv, err := wl.NewServer(iss, wl.FixedID(job))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), ln) }()
	select {
	case err := <-done:
		if !errors.Is(err, wl.ErrTransport) {
			t.Fatalf("Serve(tcp) = %v, want ErrTransport", err)
		}
	case <-time.After(2 * time.Second):
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if s, err := workloadapi.FetchX509SVID(ctx, workloadapi.WithAddr("tcp://"+ln.Addr().String())); err == nil {
			t.Fatalf("a TCP caller fetched %s and its private key", s.ID)
		}
		t.Fatal("Serve(tcp) still serving")
	}
	if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Fatal("the refused listener still accepts connections")
	}

	opted, err := wl.NewServer(iss, wl.FixedID(job), wl.WithNonUnixListener())
	if err != nil {
		t.Fatal(err)
	}
	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- opted.Serve(context.Background(), ln2) }()
	defer func() {
		opted.Close()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	s, err := workloadapi.FetchX509SVID(ctx, workloadapi.WithAddr("tcp://"+ln2.Addr().String()))
	if err != nil || s.ID != job {
		t.Fatalf("with WithNonUnixListener: %v, %v", s, err)
	}
}

// disguised says it listens on a unix socket but hands out TCP connections.
type disguised struct{ net.Listener }

func (disguised) Addr() net.Addr { return &net.UnixAddr{Name: "/run/job.sock", Net: "unix"} }

// TestReview22ServeRefusesNonUnixConnections: a listener whose address says
// "unix" (a vendor's wrapper, say) but that accepts TCP connections is
// refused connection by connection: nothing is served to them.
func TestReview22ServeRefusesNonUnixConnections(t *testing.T) {
	t.Parallel()
	iss, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := wl.NewServer(iss, wl.FixedID(spiffeid.RequireFromPath(td, "/job/42")))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), disguised{ln}) }()
	defer func() {
		srv.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	if s, err := workloadapi.FetchX509SVID(ctx, workloadapi.WithAddr("tcp://"+ln.Addr().String())); err == nil {
		t.Fatalf("a TCP caller fetched %s and its private key", s.ID)
	}

	// A unix socket is still served.
	dir, err := os.MkdirTemp("", "wl")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "s.sock")
	ul, err := wl.Listen(path, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	srv2, err := wl.NewServer(iss, wl.FixedID(spiffeid.RequireFromPath(td, "/job/42")))
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv2.Serve(context.Background(), ul) }()
	defer func() {
		srv2.Close()
		<-served
	}()
	ctx2, cancel2 := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel2()
	if _, err := workloadapi.FetchX509SVID(ctx2, workloadapi.WithAddr("unix://"+path)); err != nil {
		t.Fatalf("unix socket: %v", err)
	}
}
