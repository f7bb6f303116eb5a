//go:build linux

package workload

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/identity/svid"
)

// review25Other is a uid that is neither ours nor root's.
const review25Other = 4242

// review25Dir is a fresh private directory short enough for a socket path
// (108 bytes).
func review25Dir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "wl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// review25Serve serves a FixedID Workload API on l and returns the ID.
func review25Serve(t *testing.T, l net.Listener) spiffeid.ID {
	t.Helper()
	td := spiffeid.RequireTrustDomainFromString("ci.test")
	iss, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	id := spiffeid.RequireFromPath(td, "/job/peercred")
	srv, err := NewServer(iss, FixedID(id))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), l) }()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return id
}

// review25Open runs Open with a deadline long enough for a real server to
// answer, so that a refusal is told from a hang.
func review25Open(t *testing.T, addr string, opts ...OpenOption) (*Sources, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	src, err := Open(ctx, addr, opts...)
	if err == nil {
		t.Cleanup(func() { src.Close() })
	}
	return src, err
}

// TestReview25CheckSocketPeer: the peer check reads the serving process's
// uid from a real connection and refuses it when the trust set excludes
// it (here a WithSocketOwner-only set, and an empty one), accepts it under
// Open's own rule, and fails closed on a connection with no credentials.
func TestReview25CheckSocketPeer(t *testing.T) {
	t.Parallel()
	path := filepath.Join(review25Dir(t), "s.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for name, trusted := range map[string]func(uint32) bool{
		"WithSocketOwner only": func(uid uint32) bool { return uid == review25Other },
		"nobody":               func(uint32) bool { return false },
	} {
		if err := checkSocketPeer(c, trusted); !errors.Is(err, ErrTransport) {
			t.Errorf("%s: checkSocketPeer = %v, want ErrTransport", name, err)
		}
	}
	if err := checkSocketPeer(c, trustedOwner(nil)); err != nil {
		t.Errorf("served by us: checkSocketPeer = %v, want nil", err)
	}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if err := checkSocketPeer(a, trustedOwner(nil)); !errors.Is(err, ErrTransport) {
		t.Errorf("a pipe: checkSocketPeer = %v, want ErrTransport", err)
	}
}

// review25ListenAs binds a unix socket at path as us and calls listen(2)
// with the calling thread's effective uid set to uid, so that the kernel
// records uid as the server's credentials (SO_PEERCRED) while the socket
// file stays ours: the state after another user won the race for the name
// and the path check passed on the agent's socket. The raw setresuid
// changes one locked thread only; that thread is restored or, if it cannot
// be, left locked so the runtime discards it.
func review25ListenAs(t *testing.T, path string, uid int) net.Listener {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if _, _, e := syscall.RawSyscall(syscall.SYS_SETRESUID, ^uintptr(0), uintptr(uid), ^uintptr(0)); e != 0 {
			runtime.UnlockOSThread()
			errc <- e
			return
		}
		lerr := syscall.Listen(fd, 16)
		if _, _, e := syscall.RawSyscall(syscall.SYS_SETRESUID, ^uintptr(0), 0, ^uintptr(0)); e != 0 {
			errc <- errors.Join(lerr, e) // thread stays locked: discarded on return
			return
		}
		runtime.UnlockOSThread()
		errc <- lerr
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	l, err := net.FileListener(f)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestReview25OpenRefusesSocketServedByAnotherUID: the path check passes
// (a private directory, a socket file owned by us) but the process serving
// the socket runs as another uid, as when the agent's socket in /tmp was
// unlinked after the check and another user bound the name. Open used to
// trust that server's CA; it now closes the connection (ErrTransport),
// unless WithSocketOwner names that uid. A socket served by us still
// opens.
func TestReview25OpenRefusesSocketServedByAnotherUID(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("listening as another uid needs root")
	}
	path := filepath.Join(review25Dir(t), "s.sock")
	review25Serve(t, review25ListenAs(t, path, review25Other))
	addr := "unix://" + path
	if src, err := review25Open(t, addr); !errors.Is(err, ErrTransport) {
		if err == nil {
			s, _ := src.GetX509SVID()
			t.Fatalf("Open(%s) trusted a server running as uid %d and got %v", addr, review25Other, s.ID)
		}
		t.Fatalf("Open(%s) = %v, want ErrTransport", addr, err)
	}
	if _, err := review25Open(t, addr, WithSocketOwner(review25Other)); err != nil {
		t.Fatalf("WithSocketOwner(%d): %v", review25Other, err)
	}
	if _, err := review25Open(t, addr, WithSecuredTransport()); err != nil {
		t.Fatalf("WithSecuredTransport: %v", err)
	}

	ours := filepath.Join(review25Dir(t), "s.sock")
	l, err := Listen(ours, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	id := review25Serve(t, l)
	src, err := review25Open(t, "unix://"+ours)
	if err != nil {
		t.Fatalf("served by us: %v", err)
	}
	if s, err := src.GetX509SVID(); err != nil || s.ID != id {
		t.Fatalf("served by us: %v, %v", s, err)
	}
}
