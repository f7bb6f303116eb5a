package workload_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/svid/jwtsvid"
	"github.com/spiffe/go-spiffe/v2/workloadapi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ztci/ztci/identity/svid"
	wl "github.com/ztci/ztci/identity/workload"
)

// TestReview32NoCredentialsIsNotRoot: a caller the server has no
// credentials for (a listener other than a unix socket; every caller on a
// platform without SO_PEERCRED support) used to reach the attestor as
// Caller{UID: 0, GID: 0, PID: 0}: root's uid and gid. An attestor keyed by
// uid that, unlike UID, does not check HasCredentials, and maps root (the
// runner's own tools) to an ID, handed that ID and its private key to
// every such caller. Such a caller now has PID, UID and GID -1, which name
// no user, group or process.
func TestReview32NoCredentialsIsNotRoot(t *testing.T) {
	t.Parallel()
	iss, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	runner := spiffeid.RequireFromPath(td, "/runner")
	var (
		mu   sync.Mutex
		seen []wl.Caller
	)
	byUID := wl.AttestorFunc(func(_ context.Context, c wl.Caller) (spiffeid.ID, error) {
		mu.Lock()
		seen = append(seen, c)
		mu.Unlock()
		if id, ok := map[int]spiffeid.ID{0: runner}[c.UID]; ok {
			return id, nil
		}
		return spiffeid.ID{}, wl.ErrNotAttested
	})
	srv, err := wl.NewServer(iss, byUID, wl.WithNonUnixListener())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background(), ln) }()
	defer func() {
		srv.Close()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	c, err := workloadapi.New(ctx, workloadapi.WithAddr("tcp://"+ln.Addr().String()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := c.FetchJWTSVID(ctx, jwtsvid.Params{Audience: "aud"})
	if err == nil {
		t.Fatalf("a caller without credentials was attested as uid 0: %s", s.ID)
	}
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("FetchJWTSVID = %v, want PermissionDenied", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) == 0 {
		t.Fatal("the attestor was not asked")
	}
	for _, c := range seen {
		if c.HasCredentials || c.UID != -1 || c.GID != -1 || c.PID != -1 {
			t.Errorf("caller without credentials reached the attestor as %+v, want PID, UID and GID -1", c)
		}
	}
}
