package workload_test

import (
	"context"
	"fmt"
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

// TestOneCallerCannotHoldEveryStream: on a socket shared by several jobs,
// one job opens as many streams as the server allows in all and keeps them
// open; another job's stream must still be served. Before the per-ID bound
// the greedy job held all DefaultMaxStreams and every other job got
// ResourceExhausted for as long as it liked. The attestor here reads the
// job from request metadata, standing in for the uids of UID.
func TestOneCallerCannotHoldEveryStream(t *testing.T) {
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
	attest := wl.AttestorFunc(func(ctx context.Context, _ wl.Caller) (spiffeid.ID, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		if v := md.Get("x-job"); len(v) == 1 {
			return spiffeid.FromPath(td, "/job/"+v[0])
		}
		return spiffeid.ID{}, wl.ErrNotAttested
	})
	srv, err := wl.NewServer(iss, attest) // default bounds
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
	job := func(name string) context.Context {
		return metadata.AppendToOutgoingContext(t.Context(), "workload.spiffe.io", "true", "x-job", name)
	}

	// The greedy job asks for every stream the server has.
	greedy, stopGreedy := context.WithCancel(job("greedy"))
	defer stopGreedy()
	held, refused := 0, 0
	for range wl.DefaultMaxStreams {
		stream, err := client.FetchX509Bundles(greedy, &workload.X509BundlesRequest{})
		if err == nil {
			_, err = stream.Recv()
		}
		switch status.Code(err) {
		case codes.OK:
			held++
		case codes.ResourceExhausted:
			refused++
		default:
			t.Fatalf("greedy stream: %v", err)
		}
	}
	if held != wl.DefaultMaxStreamsPerID {
		t.Errorf("greedy job holds %d streams, want the per-ID bound %d (%d refused)", held, wl.DefaultMaxStreamsPerID, refused)
	}

	// Other jobs are still served, each up to its own bound.
	for i := range 2 {
		stream, err := client.FetchX509SVID(job(fmt.Sprintf("honest-%d", i)), &workload.X509SVIDRequest{})
		if err == nil {
			_, err = stream.Recv()
		}
		if err != nil {
			t.Fatalf("honest job %d while another holds its streams: %v", i, err)
		}
	}
}

// TestWithMaxStreamsPerIDValidated: the bound must be positive.
func TestWithMaxStreamsPerIDValidated(t *testing.T) {
	t.Parallel()
	iss, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wl.NewServer(iss, wl.FixedID(spiffeid.RequireFromPath(td, "/x")), wl.WithMaxStreamsPerID(0)); err == nil {
		t.Fatal("WithMaxStreamsPerID(0) accepted")
	}
}
