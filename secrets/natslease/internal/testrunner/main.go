// Command testrunner stands in for a CI runner in natslease's kill -9 test:
// it begins a job through a real secrets.Broker whose leases are registered
// in a natslease bucket and issued by the PostgreSQL backend (a real login
// role per lease), prints "LEASE <id>" for the lease it holds, and sleeps
// until it is killed.
//
// Configuration comes from the environment, so that no credential shows in
// the process list: ZTCI_RUNNER_NATS (comma-separated URLs),
// ZTCI_RUNNER_BUCKET, ZTCI_RUNNER_PG (admin DSN), ZTCI_RUNNER_OWNER and
// ZTCI_RUNNER_HEARTBEAT (a duration).
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/natslease"
	"github.com/ztci/ztci/secrets/postgres"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "testrunner:", err)
		os.Exit(1)
	}
	select {}
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hb, err := time.ParseDuration(os.Getenv("ZTCI_RUNNER_HEARTBEAT"))
	if err != nil {
		return err
	}
	owner := os.Getenv("ZTCI_RUNNER_OWNER")
	nc, err := nats.Connect(os.Getenv("ZTCI_RUNNER_NATS"), nats.MaxReconnects(-1))
	if err != nil {
		return err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	reg, err := natslease.New(ctx, js, natslease.WithBucket(os.Getenv("ZTCI_RUNNER_BUCKET")), natslease.WithReplicas(3))
	if err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, os.Getenv("ZTCI_RUNNER_PG"))
	if err != nil {
		return err
	}
	be, err := postgres.New(pool, map[string]postgres.Role{
		"builds-ro": {Grants: []string{"GRANT SELECT ON public.builds TO {{role}}"}},
	})
	if err != nil {
		return err
	}
	b, err := secrets.New(secrets.AllowNames("builds-ro"), be,
		secrets.WithLeaseRegistry(reg, owner, "postgres"), secrets.WithLeaseHeartbeat(hb))
	if err != nil {
		return err
	}
	who := identity.Identity{Issuer: "https://ci.example.com", Subject: "repo:octo/app:runner:" + owner}
	// The job lives as long as the process: context.Background, not ctx.
	j, err := b.Begin(context.Background(), secrets.JobSpec{ID: owner + "-job", Identity: who})
	if err != nil {
		return err
	}
	l, err := j.Lease(ctx, "builds-ro")
	if err != nil {
		return err
	}
	fmt.Printf("LEASE %s\n", l.ID())
	return nil
}
