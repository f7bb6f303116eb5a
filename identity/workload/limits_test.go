package workload_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/spiffe/go-spiffe/v2/proto/spiffe/workload"
	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/ztci/ztci/identity/svid"
	wl "github.com/ztci/ztci/identity/workload"
)

// TestStreamsBeyondTheBoundAreRefused opens WithMaxStreams(2) X.509-SVID
// streams, checks a third is refused with ResourceExhausted before anything
// is minted, and that a slot frees when a stream ends.
func TestStreamsBeyondTheBoundAreRefused(t *testing.T) {
	t.Parallel()
	iss, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "wl")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "s.sock")
	l, err := wl.Listen(path, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := wl.NewServer(iss, wl.FixedID(spiffeid.RequireFromPath(td, "/job/x")), wl.WithMaxStreams(2))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), l) }()
	defer func() {
		srv.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	conn, err := grpc.NewClient("unix://"+path, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := workload.NewSpiffeWorkloadAPIClient(conn)
	ctx := metadata.AppendToOutgoingContext(t.Context(), "workload.spiffe.io", "true")
	open := func(ctx context.Context) (*workload.X509SVIDResponse, error) {
		stream, err := client.FetchX509SVID(ctx, &workload.X509SVIDRequest{})
		if err != nil {
			return nil, err
		}
		return stream.Recv()
	}
	first, cancelFirst := context.WithCancel(ctx)
	for range 2 {
		if _, err := open(first); err != nil {
			t.Fatalf("stream within the bound: %v", err)
		}
	}
	if _, err := open(ctx); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("third stream: %v, want ResourceExhausted", err)
	}
	cancelFirst() // both open streams end
	var err3 error
	for range 100 { // the server notices the cancellations asynchronously
		third, cancel := context.WithCancel(ctx)
		_, err3 = open(third)
		cancel()
		if err3 == nil {
			break
		}
	}
	if err3 != nil {
		t.Fatalf("stream after others ended: %v", err3)
	}
	if _, err := wl.NewServer(iss, wl.FixedID(spiffeid.RequireFromPath(td, "/job/x")), wl.WithMaxStreams(0)); !errors.Is(err, wl.ErrConfig) {
		t.Fatalf("WithMaxStreams(0): %v, want ErrConfig", err)
	}
}

// TestListenSocketIsPrivateFromTheStart checks the socket appears at its
// path with exactly the requested permissions whatever the umask would
// give, leaves no temporary directory behind, refuses to replace a file
// that is not a socket, and is removed on Close.
func TestListenSocketIsPrivateFromTheStart(t *testing.T) {
	t.Parallel()
	for _, mode := range []os.FileMode{0o600, 0o660, 0o666} {
		dir := t.TempDir()
		path := filepath.Join(dir, "agent.sock")
		l, err := wl.Listen(path, mode)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != mode {
			t.Fatalf("socket mode %v, want socket %v", fi.Mode(), mode)
		}
		if l.Addr().String() != path {
			t.Fatalf("Addr() = %s, want %s", l.Addr(), path)
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 1 {
			t.Fatalf("directory holds %d entries after Listen, want only the socket", len(entries))
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Lstat(path); !os.IsNotExist(err) {
			t.Fatalf("socket still present after Close: %v", err)
		}
	}
	dir := t.TempDir()
	notSocket := filepath.Join(dir, "file")
	if err := os.WriteFile(notSocket, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := wl.Listen(notSocket, 0o600); !errors.Is(err, wl.ErrConfig) {
		t.Fatalf("Listen over a regular file: %v, want ErrConfig", err)
	}
	if _, err := wl.Listen(filepath.Join(dir, "s"), os.ModeSetuid|0o600); !errors.Is(err, wl.ErrConfig) {
		t.Fatalf("Listen with setuid mode: %v, want ErrConfig", err)
	}
}
