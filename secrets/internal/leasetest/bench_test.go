package leasetest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/internal/itest"
	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/internal/leasetest"
	"github.com/ztci/ztci/secrets/natslease"
	"github.com/ztci/ztci/secrets/pglease"
)

// BenchmarkRegisterRelease measures what the lease registry adds to each
// lease a broker issues and revokes (one Register and one Release), on the
// in-memory registry, on a 3-node JetStream cluster (R3 bucket) and on
// PostgreSQL, all on loopback, in the same run.
func BenchmarkRegisterRelease(b *testing.B) {
	ctx := context.Background()
	regs := map[string]secrets.LeaseRegistry{"memory": secrets.NewMemoryLeaseRegistry()}

	c := itest.StartNATSCluster(b, 3)
	nc, err := nats.Connect(c.URLs())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for regs["nats-r3"] == nil {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		reg, err := natslease.New(actx, js, natslease.WithReplicas(3))
		if err == nil {
			err = reg.Heartbeat(actx, "warm-up", time.Second)
		}
		cancel()
		if err == nil {
			regs["nats-r3"] = reg
		} else if time.Now().After(deadline) {
			b.Fatal(err)
		}
	}

	pg := itest.StartPostgres(b, 50)
	pool, err := pgxpool.New(ctx, pg.AdminDSN())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	if regs["postgres"], err = pglease.New(ctx, pool); err != nil {
		b.Fatal(err)
	}

	for _, name := range []string{"memory", "nats-r3", "postgres"} {
		reg := regs[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				id := fmt.Sprintf("ztci_bench_%s_%d", name, i)
				if err := reg.Register(ctx, leasetest.Record(id, "bench-owner")); err != nil {
					b.Fatal(err)
				}
				if err := reg.Release(ctx, id); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
