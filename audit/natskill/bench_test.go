package natskill_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/audit/natskill"
	"github.com/ztci/ztci/internal/itest"
)

// BenchmarkCompromised is the kill-switch check on the decision path, with
// 1,000 marks: the in-memory audit.KillSwitch (single-process baseline)
// against the fleet switch following a loopback NATS bucket.
func BenchmarkCompromised(b *testing.B) {
	ctx := context.Background()
	b.Run("memory-killswitch", func(b *testing.B) {
		ks, err := audit.NewKillSwitch(audittest.NewRecorder())
		if err != nil {
			b.Fatal(err)
		}
		for i := range 1000 {
			_ = ks.Mark(ctx, fmt.Sprintf("spiffe://example.org/ci/job-%d", i), "alert", "falco", time.Time{})
		}
		benchCheck(b, ks)
	})
	b.Run("nats-switch", func(b *testing.B) {
		c := itest.StartNATSCluster(b, 1)
		ks, err := natskill.New(ctx, connect(b, c.URLs()), audittest.NewRecorder())
		if err != nil {
			b.Fatal(err)
		}
		defer ks.Close()
		for i := range 1000 {
			if err := ks.Mark(ctx, natskill.KindJob, fmt.Sprintf("spiffe://example.org/ci/job-%d", i), "alert", "falco", time.Time{}); err != nil {
				b.Fatal(err)
			}
		}
		benchCheck(b, ks)
	})
}

func benchCheck(b *testing.B, c audit.CompromiseChecker) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		id := "spiffe://example.org/ci/job-500"
		if i%2 == 1 {
			id = "spiffe://example.org/ci/clean"
		}
		if c.Compromised(id) != (i%2 == 0) {
			b.Fatalf("Compromised(%q) wrong", id)
		}
	}
}
