package workload_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/identity/svid"
	"github.com/ztci/ztci/identity/workload"
)

// A runner serves the Workload API to a job; the job fetches its SVID with
// go-spiffe's client.
func ExampleServer() {
	ctx := context.Background()
	td := spiffeid.RequireTrustDomainFromString("ci.example.com")
	ca, err := svid.NewIssuer(td)
	if err != nil {
		panic(err)
	}
	// The socket goes in a private directory (MkdirTemp: 0700, random name),
	// never at a fixed path in a shared one: another user could bind it
	// first and serve the job an identity of their choosing.
	dir, err := os.MkdirTemp("", "wl")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "job.sock")

	l, err := workload.Listen(sock, 0o600)
	if err != nil {
		panic(err)
	}
	srv, err := workload.NewServer(ca, workload.FixedID(spiffeid.RequireFromPath(td, "/job/42")))
	if err != nil {
		panic(err)
	}
	done := make(chan error)
	go func() { done <- srv.Serve(ctx, l) }()

	// Inside the job:
	src, err := workload.Open(ctx, "unix://"+sock)
	if err != nil {
		panic(err)
	}
	s, err := src.GetX509SVID()
	if err != nil {
		panic(err)
	}
	fmt.Println(s.ID)
	src.Close()

	srv.Close()
	fmt.Println("served:", <-done)
	// Output:
	// spiffe://ci.example.com/job/42
	// served: <nil>
}
