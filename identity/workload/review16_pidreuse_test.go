//go:build linux

package workload_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/spiffe/go-spiffe/v2/proto/spiffe/workload"
	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"golang.org/x/sys/unix"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/ztci/ztci/identity/svid"
	wl "github.com/ztci/ztci/identity/workload"
)

// review16HelperEnv names the socket the helper process connects to.
const review16HelperEnv = "ZTCI_REVIEW16_CONNECT"

// TestReview16Helper is not a test: run as a child process with
// review16HelperEnv set, it connects to that socket, hands the connected
// descriptor to its parent over fd 3 (SCM_RIGHTS) and exits.
func TestReview16Helper(t *testing.T) {
	path := os.Getenv(review16HelperEnv)
	if path == "" {
		t.Skip("helper process only")
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		os.Exit(2)
	}
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		os.Exit(3)
	}
	if err := unix.Sendmsg(3, []byte{0}, unix.UnixRights(fd), nil, 0); err != nil {
		os.Exit(4)
	}
	os.Exit(0)
}

// review16ConnectionOfExitedProcess has a child process connect to the
// socket at path and pass the connection here, and returns it once the
// child has exited (and been reaped: its PID is free for another process).
func review16ConnectionOfExitedProcess(t *testing.T, path string) (net.Conn, int) {
	t.Helper()
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	mine, theirs := os.NewFile(uintptr(pair[0]), "mine"), os.NewFile(uintptr(pair[1]), "theirs")
	defer mine.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestReview16Helper$", "-test.count=1")
	cmd.Env = append(os.Environ(), review16HelperEnv+"="+path)
	cmd.ExtraFiles = []*os.File{theirs}
	if err := cmd.Run(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	theirs.Close()
	buf, oob := make([]byte, 1), make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := unix.Recvmsg(int(mine.Fd()), buf, oob, 0)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		t.Fatalf("control messages: %v %d", err, len(msgs))
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		t.Fatalf("rights: %v %v", err, fds)
	}
	f := os.NewFile(uintptr(fds[0]), "passed")
	defer f.Close()
	c, err := net.FileConn(f)
	if err != nil {
		t.Fatal(err)
	}
	return c, cmd.Process.Pid
}

// TestReview16AttestorPIDOfExitedProcess: SO_PEERCRED's PID names the
// process that connected, read once when the connection was accepted,
// while attestation runs on every request (and every half-life of an
// X.509-SVID stream). A process that connected and then exited, its
// connection passed on (here to this test process), left a PID that
// another process may hold by the time an attestor looks it up in /proc:
// the attestor read that other process's attributes and the holder of the
// connection was issued the SVID they entitle. An attestor that reads the
// PID now has its answer refused (PermissionDenied) unless the connecting
// process still runs after it answered; FixedID and UID, which never read
// the PID, are unchanged.
func TestReview16AttestorPIDOfExitedProcess(t *testing.T) {
	t.Parallel()
	id := spiffeid.RequireFromPath(td, "/job/by-pid")
	iss, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	var sawPID atomic.Int64
	byPID := wl.AttestorFunc(func(_ context.Context, c wl.Caller) (spiffeid.ID, error) {
		// A /proc/<pid> lookup would stand here.
		sawPID.Store(int64(c.PID))
		return id, nil
	})
	for _, tc := range []struct {
		name   string
		attest wl.Attestor
		want   codes.Code
	}{
		{"reads PID", byPID, codes.PermissionDenied},
		{"FixedID", wl.FixedID(id), codes.OK},
		{"UID", wl.UID(map[int]spiffeid.ID{os.Getuid(): id}), codes.OK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := wl.NewServer(iss, tc.attest)
			if err != nil {
				t.Fatal(err)
			}
			dir, err := os.MkdirTemp("", "wl")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(dir) })
			path := filepath.Join(dir, "s.sock")
			l, err := wl.Listen(path, 0o600)
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- srv.Serve(context.Background(), l) }()
			t.Cleanup(func() {
				srv.Close()
				<-done
			})
			c, childPID := review16ConnectionOfExitedProcess(t, path)
			var used atomic.Bool
			conn, err := grpc.NewClient("passthrough:///workload",
				grpc.WithTransportCredentials(insecure.NewCredentials()),
				grpc.WithContextDialer(func(context.Context, string) (net.Conn, error) {
					if used.Swap(true) {
						return nil, net.ErrClosed
					}
					return c, nil
				}))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.Close() })
			ctx := metadata.AppendToOutgoingContext(t.Context(), "workload.spiffe.io", "true")
			_, err = workload.NewSpiffeWorkloadAPIClient(conn).FetchJWTSVID(ctx, &workload.JWTSVIDRequest{Audience: []string{"vault"}})
			if got := status.Code(err); got != tc.want {
				t.Fatalf("FetchJWTSVID on a connection whose process exited: %v (%v), want %v", got, err, tc.want)
			}
			if tc.name == "reads PID" && sawPID.Load() != int64(childPID) {
				t.Fatalf("attestor saw pid %d, want the exited helper's %d", sawPID.Load(), childPID)
			}
		})
	}
}

// TestReview16AttestorPIDOfLiveProcess: a caller whose connecting process
// still runs (this test process) is attested by a PID-reading attestor as
// before.
func TestReview16AttestorPIDOfLiveProcess(t *testing.T) {
	t.Parallel()
	iss, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	id := spiffeid.RequireFromPath(td, "/job/live")
	srv, err := wl.NewServer(iss, wl.AttestorFunc(func(_ context.Context, c wl.Caller) (spiffeid.ID, error) {
		if c.PID != os.Getpid() {
			t.Errorf("attestor saw pid %d, want %d", c.PID, os.Getpid())
		}
		return id, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	client, ctx := review11Client(t, srv)
	resp, err := client.FetchJWTSVID(ctx, &workload.JWTSVIDRequest{Audience: []string{"vault"}})
	if err != nil || len(resp.GetSvids()) != 1 || resp.GetSvids()[0].GetSpiffeId() != id.String() {
		t.Fatalf("FetchJWTSVID from a live caller: %v, %v", resp, err)
	}
}
