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

	"github.com/ztci/ztci/identity/svid"
	wl "github.com/ztci/ztci/identity/workload"
)

// openWithin runs Open with a deadline long enough for a real server to
// answer, so that a refusal that should be immediate is told from a hang.
func openWithin(t *testing.T, addr string, opts ...wl.OpenOption) (*wl.Sources, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	src, err := wl.Open(ctx, addr, opts...)
	if err == nil {
		t.Cleanup(func() { src.Close() })
	}
	return src, err
}

// TestReview22OpenRefusesTCP: Open used to hand a tcp:// address to
// go-spiffe, so whoever answered on the network path chose the CA the job
// trusts. It is now refused (ErrTransport) unless WithSecuredTransport.
func TestReview22OpenRefusesTCP(t *testing.T) {
	t.Parallel()
	iss, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	job := spiffeid.RequireFromPath(td, "/job/tcp")
	srv, err := wl.NewServer(iss, wl.FixedID(job), wl.WithNonUnixListener())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), ln) }()
	defer func() {
		srv.Close()
		<-done
	}()
	addr := "tcp://" + ln.Addr().String()
	if src, err := openWithin(t, addr); !errors.Is(err, wl.ErrTransport) {
		if src != nil {
			s, _ := src.GetX509SVID()
			t.Fatalf("Open(%s) trusted whoever answered there and got %v", addr, s.ID)
		}
		t.Fatalf("Open(%s) = %v, want ErrTransport", addr, err)
	}
	src, err := openWithin(t, addr, wl.WithSecuredTransport())
	if err != nil {
		t.Fatalf("WithSecuredTransport: %v", err)
	}
	if s, err := src.GetX509SVID(); err != nil || s.ID != job {
		t.Fatalf("WithSecuredTransport: %v, %v", s, err)
	}
}

// TestReview22OpenRefusesUnixAddressForms: the unix address forms go-spiffe
// takes but that do not name one absolute path are refused, and so is the
// SPIFFE_ENDPOINT_SOCKET fallback when it names TCP.
func TestReview22OpenRefusesUnixAddressForms(t *testing.T) {
	for _, addr := range []string{"unix://host/run/s.sock", "unix:run/s.sock", "unix:///run/s.sock?x=1", "unix:///run/s.sock#f", "unix://", "http://127.0.0.1:1", "/run/s.sock"} {
		if _, err := openWithin(t, addr); !errors.Is(err, wl.ErrTransport) {
			t.Errorf("Open(%q) = %v, want ErrTransport", addr, err)
		}
	}
	t.Setenv("SPIFFE_ENDPOINT_SOCKET", "tcp://127.0.0.1:1")
	if _, err := openWithin(t, ""); !errors.Is(err, wl.ErrTransport) {
		t.Errorf(`Open("") with SPIFFE_ENDPOINT_SOCKET=tcp:// = %v, want ErrTransport`, err)
	}
}

// servedAt serves a FixedID Workload API on a socket at path and returns
// the ID it hands out.
func servedAt(t *testing.T, path string) spiffeid.ID {
	t.Helper()
	iss, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	id := spiffeid.RequireFromPath(td, "/job/path")
	l, err := wl.Listen(path, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := wl.NewServer(iss, wl.FixedID(id))
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

// TestReview22OpenChecksSocketPath: a socket in a directory others may
// write (or reached through such a directory or a symlink others own) may
// be another user's Workload API; Open used to dial it and trust that
// user's CA. Each case builds the layout with a real, serving socket. The
// owner cases chown to an unused uid, so they need root (the mode cases do
// not); as root, "owned by us" means owned by root.
func TestReview22OpenChecksSocketPath(t *testing.T) {
	t.Parallel()
	const other = 4242 // a uid that is neither ours nor root's
	root := func() bool { return os.Geteuid() == 0 }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name   string
		asRoot bool
		// layout returns the address to open, given a fresh private base
		// directory; sock serves a socket at a path.
		layout func(base string) string
		opts   []wl.OpenOption
		ok     bool
	}{
		{"private directory", false, func(b string) string {
			servedAt(t, filepath.Join(b, "s.sock"))
			return "unix://" + filepath.Join(b, "s.sock")
		}, nil, true},
		{"world-writable directory", false, func(b string) string {
			servedAt(t, filepath.Join(b, "s.sock"))
			must(os.Chmod(b, 0o777))
			return "unix://" + filepath.Join(b, "s.sock")
		}, nil, false},
		{"group-writable directory", false, func(b string) string {
			servedAt(t, filepath.Join(b, "s.sock"))
			must(os.Chmod(b, 0o770))
			return "unix://" + filepath.Join(b, "s.sock")
		}, nil, false},
		{"world-writable ancestor", false, func(b string) string {
			d := filepath.Join(b, "d")
			must(os.Mkdir(d, 0o700))
			servedAt(t, filepath.Join(d, "s.sock"))
			must(os.Chmod(b, 0o777))
			return "unix://" + filepath.Join(d, "s.sock")
		}, nil, false},
		{"sticky world-writable directory", false, func(b string) string {
			servedAt(t, filepath.Join(b, "s.sock"))
			must(os.Chmod(b, 0o777|os.ModeSticky))
			return "unix://" + filepath.Join(b, "s.sock")
		}, nil, true},
		{"dot-dot through a private directory", false, func(b string) string {
			must(os.Mkdir(filepath.Join(b, "d"), 0o700))
			servedAt(t, filepath.Join(b, "s.sock"))
			return "unix://" + b + "/d/../s.sock"
		}, nil, true},
		{"symlink in a private directory", false, func(b string) string {
			servedAt(t, filepath.Join(b, "s.sock"))
			must(os.Symlink("s.sock", filepath.Join(b, "link")))
			return "unix://" + filepath.Join(b, "link")
		}, nil, true},
		{"symlink in a world-writable directory", false, func(b string) string {
			d := filepath.Join(b, "d")
			must(os.Mkdir(d, 0o700))
			servedAt(t, filepath.Join(d, "s.sock"))
			pub := filepath.Join(b, "pub")
			must(os.Mkdir(pub, 0o700))
			must(os.Symlink(filepath.Join(d, "s.sock"), filepath.Join(pub, "link")))
			must(os.Chmod(pub, 0o777))
			return "unix://" + filepath.Join(pub, "link")
		}, nil, false},
		{"symlink into a world-writable directory", false, func(b string) string {
			d := filepath.Join(b, "d")
			must(os.Mkdir(d, 0o700))
			servedAt(t, filepath.Join(d, "s.sock"))
			must(os.Chmod(d, 0o777))
			must(os.Symlink(d, filepath.Join(b, "link")))
			return "unix://" + filepath.Join(b, "link", "s.sock")
		}, nil, false},
		{"symlink loop", false, func(b string) string {
			must(os.Symlink("b", filepath.Join(b, "a")))
			must(os.Symlink("a", filepath.Join(b, "b")))
			return "unix://" + filepath.Join(b, "a")
		}, nil, false},
		{"regular file", false, func(b string) string {
			must(os.WriteFile(filepath.Join(b, "f"), nil, 0o600))
			return "unix://" + filepath.Join(b, "f")
		}, nil, false},
		{"socket owned by another uid", true, func(b string) string {
			servedAt(t, filepath.Join(b, "s.sock"))
			must(os.Lchown(filepath.Join(b, "s.sock"), other, other))
			return "unix://" + filepath.Join(b, "s.sock")
		}, nil, false},
		{"socket owned by a WithSocketOwner uid", true, func(b string) string {
			servedAt(t, filepath.Join(b, "s.sock"))
			must(os.Lchown(filepath.Join(b, "s.sock"), other, other))
			return "unix://" + filepath.Join(b, "s.sock")
		}, []wl.OpenOption{wl.WithSocketOwner(other)}, true},
		{"directory owned by another uid", true, func(b string) string {
			d := filepath.Join(b, "d")
			must(os.Mkdir(d, 0o700))
			servedAt(t, filepath.Join(d, "s.sock"))
			must(os.Lchown(d, other, other))
			return "unix://" + filepath.Join(d, "s.sock")
		}, nil, false},
		{"symlink owned by another uid in a sticky directory", true, func(b string) string {
			d := filepath.Join(b, "d")
			must(os.Mkdir(d, 0o700))
			servedAt(t, filepath.Join(d, "s.sock"))
			must(os.Symlink(filepath.Join(d, "s.sock"), filepath.Join(b, "link")))
			must(os.Lchown(filepath.Join(b, "link"), other, other))
			must(os.Chmod(b, 0o777|os.ModeSticky))
			return "unix://" + filepath.Join(b, "link")
		}, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.asRoot && !root() {
				t.Skip("chown to another uid needs root")
			}
			base, err := os.MkdirTemp("", "wl") // short: socket paths are limited to 108 bytes
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(base, 0o700); os.RemoveAll(base) })
			addr := c.layout(base)
			src, err := openWithin(t, addr, c.opts...)
			switch {
			case c.ok && err != nil:
				t.Fatalf("Open(%s) = %v, want it served", addr, err)
			case !c.ok && err == nil:
				s, _ := src.GetX509SVID()
				t.Fatalf("Open(%s) trusted the socket there and got %v", addr, s.ID)
			case !c.ok && !errors.Is(err, wl.ErrTransport):
				t.Fatalf("Open(%s) = %v, want ErrTransport", addr, err)
			}
		})
	}
}

// TestReview22WithSocketOwnerValidated: a uid that cannot be one is a
// configuration error, not a trusted owner.
func TestReview22WithSocketOwnerValidated(t *testing.T) {
	t.Parallel()
	for _, uid := range []int{-1, 1 << 33} {
		if _, err := wl.Open(t.Context(), "unix:///nonexistent", wl.WithSocketOwner(uid)); !errors.Is(err, wl.ErrConfig) {
			t.Errorf("WithSocketOwner(%d): %v, want ErrConfig", uid, err)
		}
	}
}
