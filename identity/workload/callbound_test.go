package workload_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/svid/jwtsvid"
	"github.com/spiffe/go-spiffe/v2/workloadapi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/ztci/ztci/identity/svid"
	wl "github.com/ztci/ztci/identity/workload"
)

// heldSigner is a JWT-SVID key whose next toHold signatures block until
// release is closed, each announcing itself on held first: a FetchJWTSVID
// stays in progress, holding its slot, for as long as a test likes.
type heldSigner struct {
	crypto.Signer
	toHold  atomic.Int64
	held    chan struct{}
	release chan struct{}
}

func newHeldSigner(t *testing.T) *heldSigner {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &heldSigner{Signer: k, held: make(chan struct{}), release: make(chan struct{})}
}

func (s *heldSigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if s.toHold.Add(-1) >= 0 {
		s.held <- struct{}{}
		<-s.release
	}
	return s.Signer.Sign(r, digest, opts)
}

// jobClients serves srv on a fresh socket, whose attestor reads the job
// from request metadata (standing in for the uids of UID), and returns a
// go-spiffe client per job; the job travels in metadata a client
// interceptor adds after go-spiffe set the security header.
func jobClients(t *testing.T, srv *wl.Server, jobs ...string) map[string]*workloadapi.Client {
	t.Helper()
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
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	clients := map[string]*workloadapi.Client{}
	for _, job := range jobs {
		tag := grpc.WithUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			return invoker(metadata.AppendToOutgoingContext(ctx, "x-job", job), method, req, reply, cc, opts...)
		})
		c, err := workloadapi.New(t.Context(), workloadapi.WithAddr("unix://"+path), workloadapi.WithDialOptions(tag))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		clients[job] = c
	}
	return clients
}

// jobAttestor attests a caller as /job/<x-job metadata>.
var jobAttestor = wl.AttestorFunc(func(ctx context.Context, _ wl.Caller) (spiffeid.ID, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get("x-job"); len(v) == 1 {
		return spiffeid.FromPath(td, "/job/"+v[0])
	}
	return spiffeid.ID{}, wl.ErrNotAttested
})

// holdCalls starts n FetchJWTSVIDs from c and returns once all n are
// signing (holding their slots); their errors arrive on the channel after
// the signer's release.
func holdCalls(t *testing.T, sig *heldSigner, c *workloadapi.Client, n int) <-chan error {
	t.Helper()
	sig.toHold.Store(int64(n))
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := c.FetchJWTSVID(t.Context(), jwtsvid.Params{Audience: "a"})
			errs <- err
		}()
	}
	for range n {
		<-sig.held
	}
	return errs
}

// TestUnaryCallsBoundedPerID: FetchJWTSVID and ValidateJWTSVID had no
// bound on concurrency, so one job on a shared socket could keep any
// number of signatures and validations in progress and starve the others.
// Now one ID has at most WithMaxCallsPerID in progress; the next is
// refused with Unavailable (the spec's load-shedding code, which clients
// retry with a backoff) while another job is still served, and the job is
// served again once its calls end.
func TestUnaryCallsBoundedPerID(t *testing.T) {
	t.Parallel()
	sig := newHeldSigner(t)
	iss, err := svid.NewIssuer(td, svid.WithJWTSigner(sig, "held"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := wl.NewServer(iss, jobAttestor, wl.WithMaxCallsPerID(2))
	if err != nil {
		t.Fatal(err)
	}
	clients := jobClients(t, srv, "greedy", "honest")
	greedy, honest := clients["greedy"], clients["honest"]
	ctx := t.Context()
	token, err := honest.FetchJWTSVID(ctx, jwtsvid.Params{Audience: "a"})
	if err != nil {
		t.Fatal(err)
	}

	held := holdCalls(t, sig, greedy, 2)
	if _, err := greedy.FetchJWTSVID(ctx, jwtsvid.Params{Audience: "a"}); status.Code(err) != codes.Unavailable {
		t.Errorf("FetchJWTSVID beyond the per-ID bound: %v, want Unavailable", err)
	}
	if _, err := greedy.ValidateJWTSVID(ctx, token.Marshal(), "a"); status.Code(err) != codes.Unavailable {
		t.Errorf("ValidateJWTSVID beyond the per-ID bound: %v, want Unavailable", err)
	}
	if _, err := honest.FetchJWTSVID(ctx, jwtsvid.Params{Audience: "a"}); err != nil {
		t.Errorf("another job's FetchJWTSVID while the greedy one is at its bound: %v", err)
	}
	if _, err := honest.ValidateJWTSVID(ctx, token.Marshal(), "a"); err != nil {
		t.Errorf("another job's ValidateJWTSVID while the greedy one is at its bound: %v", err)
	}

	close(sig.release)
	for range 2 {
		if err := <-held; err != nil {
			t.Errorf("held call: %v", err)
		}
	}
	if _, err := greedy.FetchJWTSVID(ctx, jwtsvid.Params{Audience: "a"}); err != nil {
		t.Errorf("FetchJWTSVID after the job's calls ended: %v", err)
	}
}

// TestUnaryCallsBoundedInAll: WithMaxCalls bounds the calls in progress
// across jobs; one beyond it is refused with Unavailable, and served once a
// call ends.
func TestUnaryCallsBoundedInAll(t *testing.T) {
	t.Parallel()
	sig := newHeldSigner(t)
	iss, err := svid.NewIssuer(td, svid.WithJWTSigner(sig, "held"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := wl.NewServer(iss, jobAttestor, wl.WithMaxCalls(3), wl.WithMaxCallsPerID(2))
	if err != nil {
		t.Fatal(err)
	}
	clients := jobClients(t, srv, "a", "b", "c")
	heldA := holdCalls(t, sig, clients["a"], 2)
	heldB := holdCalls(t, sig, clients["b"], 1)
	if _, err := clients["c"].FetchJWTSVID(t.Context(), jwtsvid.Params{Audience: "a"}); status.Code(err) != codes.Unavailable {
		t.Errorf("FetchJWTSVID beyond the server's bound: %v, want Unavailable", err)
	}
	close(sig.release)
	for _, held := range []<-chan error{heldA, heldA, heldB} {
		if err := <-held; err != nil {
			t.Errorf("held call: %v", err)
		}
	}
	if _, err := clients["c"].FetchJWTSVID(t.Context(), jwtsvid.Params{Audience: "a"}); err != nil {
		t.Errorf("FetchJWTSVID after the calls ended: %v", err)
	}
}

// TestWithMaxCallsValidated: both bounds must be positive.
func TestWithMaxCallsValidated(t *testing.T) {
	t.Parallel()
	iss, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	for name, o := range map[string]wl.Option{"WithMaxCalls(0)": wl.WithMaxCalls(0), "WithMaxCallsPerID(0)": wl.WithMaxCallsPerID(0)} {
		if _, err := wl.NewServer(iss, jobAttestor, o); !errors.Is(err, wl.ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
}
