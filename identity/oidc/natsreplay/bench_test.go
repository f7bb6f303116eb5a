package natsreplay_test

import (
	"context"
	"crypto/rand"
	"slices"
	"strconv"
	"testing"
	"time"

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
