package secrets_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ztci/ztci/secrets"
)

// A broker registers each lease in the fleet's registry and heartbeats for
// it; when its host stops heartbeating, a reaper on any node revokes the
// lease at the backend. One process shares a MemoryLeaseRegistry; a fleet
// uses secrets/natslease or secrets/pglease.
func ExampleReaper() {
	ctx := context.Background()
	reg := secrets.NewMemoryLeaseRegistry()

	// A lease registered by a runner that died before revoking it: its
	// owner never heartbeats again.
	// (A broker refuses to issue a lease it cannot register.)
	for _, err := range []error{
		reg.Heartbeat(ctx, "runner-7", 50*time.Millisecond),
		reg.Register(ctx, secrets.LeaseRecord{
			LeaseID: "ztci_4f1c", Backend: "postgres", Name: "db/ci-readonly", JobID: "run-42",
			Identity: "spiffe://ci.example.com/runner", Owner: "runner-7",
		}),
		// A lease of a runner that is alive.
		reg.Heartbeat(ctx, "runner-8", time.Hour),
		reg.Register(ctx, secrets.LeaseRecord{
			LeaseID: "ztci_9a0b", Backend: "postgres", Name: "db/ci-readonly", JobID: "run-43",
			Identity: "spiffe://ci.example.com/runner", Owner: "runner-8",
		}),
	} {
		if err != nil {
			panic(err)
		}
	}

	backend := secrets.RevokerFunc(func(_ context.Context, leaseID string) error {
		fmt.Println("revoked at the backend:", leaseID)
		return nil
	})
	reaper, err := secrets.NewReaper(reg, map[string]secrets.Revoker{"postgres": backend})
	if err != nil {
		panic(err)
	}
	time.Sleep(100 * time.Millisecond) // runner-7's heartbeat lapses
	rep, err := reaper.Reap(ctx)
	fmt.Printf("revoked %d, failed %d, err %v\n", rep.Revoked, rep.Failed, err)
	// Output:
	// revoked at the backend: ztci_4f1c
	// revoked 1, failed 0, err <nil>
}
