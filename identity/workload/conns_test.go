package workload_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/identity/svid"
	wl "github.com/ztci/ztci/identity/workload"
)

// TestConnectionsBeyondThePerUIDBoundAreClosed opens raw connections to a
// server whose attestor refuses this test's uid, as any local process that
// can reach a shared socket may. Each one used to be kept open for as long
// as the caller liked (the stream and call bounds count requests, not
// connections), holding server goroutines, memory and a file descriptor:
// 2,000 of them held 6,000 goroutines and 50 MiB. With
// WithMaxConnsPerUID(2) the third is closed when accepted, and a slot
// frees when a connection closes.
func TestConnectionsBeyondThePerUIDBoundAreClosed(t *testing.T) {
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
	other := os.Getuid() + 1 // not us: every connection of this test is unattested
	srv, err := wl.NewServer(iss, wl.UID(map[int]spiffeid.ID{other: spiffeid.RequireFromPath(td, "/job/other")}), wl.WithMaxConnsPerUID(2))
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
	dial := func() net.Conn {
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		// A refused connection may be closed before the preface is written;
		// closedByServer then sees it.
		_, _ = c.Write([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00"))
		return c
	}
	first, second := dial(), dial()
	defer first.Close()
	defer second.Close()
	for _, c := range []net.Conn{first, second} {
		if closedByServer(c) {
			t.Fatal("a connection within the bound was closed")
		}
	}
	third := dial()
	defer third.Close()
	if !closedByServer(third) {
		t.Fatal("a third connection of one uid was kept open with WithMaxConnsPerUID(2)")
	}
	first.Close()
	for range 100 { // the server sees the close asynchronously
		c := dial()
		ok := !closedByServer(c)
		c.Close()
		if ok {
			return
		}
	}
	t.Fatal("no connection admitted after one of the two closed")
}

// closedByServer reads c until the server closes it (true) or nothing
// more arrives for 200ms (false).
func closedByServer(c net.Conn) bool {
	buf := make([]byte, 4096)
	for {
		if err := c.SetReadDeadline(time.Now().Add(200 * time.Millisecond)); err != nil {
			return true
		}
		_, err := c.Read(buf)
		var ne net.Error
		switch {
		case err == nil:
		case errors.As(err, &ne) && ne.Timeout():
			return false
		case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
			return true
		default:
			return true
		}
	}
}
