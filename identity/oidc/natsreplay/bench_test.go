package natsreplay_test

import (
	"context"
	"crypto/rand"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/audit/natskill"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/identity/oidc/natsreplay"
	"github.com/ztci/ztci/internal/itest"
)

// BenchmarkClaim measures one claim of a fresh token id, one at a time, on
// the in-memory cache (the single-process baseline) and on loopback NATS
// (one server, and a 3-node cluster with an R3 bucket), and reports the
// p50 and p99 latency of the claims it timed.
func BenchmarkClaim(b *testing.B) {
	b.Run("memory", func(b *testing.B) {
		benchClaim(b, oidc.NewMemoryReplayCache(1<<30, nil))
	})
	b.Run("nats-R1", func(b *testing.B) {
		c := itest.StartNATSCluster(b, 1)
		rc, err := natsreplay.New(context.Background(), connect(b, c.URLs()))
		if err != nil {
			b.Fatal(err)
		}
		benchClaim(b, rc)
	})
	b.Run("nats-R3-cluster", func(b *testing.B) {
		_, caches := replicas(b)
		benchClaim(b, caches[0])
	})
	// The peer: a bare create-only KV write with a per-key TTL on an R3
	// bucket of the same cluster shape, what a claim is made of; the
	// difference to nats-R3-cluster is natsreplay's own cost.
	b.Run("nats-R3-cluster/bare-kv-create-peer", func(b *testing.B) {
		c, _ := replicas(b)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		kv, err := connect(b, c.URLsFrom(0)).CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: "peer", History: 1, Replicas: 3, Storage: jetstream.FileStorage, LimitMarkerTTL: time.Minute,
		})
		if err != nil {
			b.Fatal(err)
		}
		lat := make([]time.Duration, 0, 1<<16)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			t0 := time.Now()
			if _, err := kv.Create(context.Background(), "k"+strconv.Itoa(i), nil, jetstream.KeyTTL(time.Hour)); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		reportLatency(b, lat)
	})
}

func benchClaim(b *testing.B, rc oidc.ReplayCache) {
	ctx := context.Background()
	until := time.Now().Add(time.Hour)
	prefix := "https://ci.example.com\x00" + rand.Text()
	lat := make([]time.Duration, 0, 1<<16)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		if err := rc.Claim(ctx, prefix+strconv.Itoa(i), until); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	reportLatency(b, lat)
}

// reportLatency adds the p50 and p99 of the samples, in microseconds.
func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Nanoseconds()) / 1e3 }
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}

// BenchmarkGateDecision is what the fleet adds to one gate decision: the
// replay claim of the job token plus the kill-switch check of its identity,
// in memory (one process) and on loopback NATS (the replay bucket and the
// kill-switch bucket on the same servers).
func BenchmarkGateDecision(b *testing.B) {
	ctx := context.Background()
	b.Run("memory", func(b *testing.B) {
		ks, err := audit.NewKillSwitch(audittest.NewRecorder())
		if err != nil {
			b.Fatal(err)
		}
		benchDecision(b, oidc.NewMemoryReplayCache(1<<30, nil), ks)
	})
	b.Run("nats-R1", func(b *testing.B) {
		c := itest.StartNATSCluster(b, 1)
		js := connect(b, c.URLs())
		rc, err := natsreplay.New(ctx, js)
		if err != nil {
			b.Fatal(err)
		}
		ks, err := natskill.New(ctx, js, audittest.NewRecorder())
		if err != nil {
			b.Fatal(err)
		}
		defer ks.Close()
		benchDecision(b, rc, ks)
	})
	b.Run("nats-R3-cluster", func(b *testing.B) {
		c, caches := replicas(b)
		ks, err := natskill.New(ctx, connect(b, c.URLsFrom(0)), audittest.NewRecorder(), natskill.WithReplicas(3))
		if err != nil {
			b.Fatal(err)
		}
		defer ks.Close()
		benchDecision(b, caches[0], ks)
	})
}

func benchDecision(b *testing.B, rc oidc.ReplayCache, ks audit.CompromiseChecker) {
	ctx := context.Background()
	until := time.Now().Add(time.Hour)
	prefix := "https://ci.example.com\x00" + rand.Text()
	lat := make([]time.Duration, 0, 1<<16)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		if err := rc.Claim(ctx, prefix+strconv.Itoa(i), until); err != nil {
			b.Fatal(err)
		}
		if ks.Compromised("spiffe://example.org/ci/job") {
			b.Fatal("unmarked identity reported compromised")
		}
		lat = append(lat, time.Since(t0))
	}
	reportLatency(b, lat)
}
