package workload_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/identity/svid"
	"github.com/ztci/ztci/identity/workload"
)

// TestCloseLeavesNoGoroutines opens a server with a live go-spiffe client
// streaming from it, closes both, and checks every goroutine they started has
// ended. It is not parallel, so other tests' goroutines stay parked.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		iss, err := svid.NewIssuer(td)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		dir, err := os.MkdirTemp("", "wl")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		l, err := workload.Listen(filepath.Join(dir, "s.sock"), 0o600)
		if err != nil {
			t.Fatal(err)
		}
		srv, err := workload.NewServer(iss, workload.FixedID(spiffeid.RequireFromPath(td, "/job/leak")))
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- srv.Serve(ctx, l) }()
		src, err := workload.Open(ctx, "unix://"+filepath.Join(dir, "s.sock"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := src.GetX509SVID(); err != nil {
			t.Fatal(err)
		}
		if err := src.Close(); err != nil {
			t.Fatal(err)
		}
		if err := srv.Close(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatalf("Serve: %v", err)
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= before {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines before, %d after Close:\n%s", before, n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
