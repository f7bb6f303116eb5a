package pgreplay_test

import (
	"context"
	"crypto/rand"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/identity/oidc/pgreplay"
	"github.com/ztci/ztci/internal/itest"
)

// BenchmarkClaim measures one claim of a fresh token id, one at a time, on
// the in-memory cache (the single-process baseline) and on a loopback
// PostgreSQL, and reports the p50 and p99 latency of the claims it timed.
func BenchmarkClaim(b *testing.B) {
	b.Run("memory", func(b *testing.B) {
		benchClaim(b, oidc.NewMemoryReplayCache(1<<30, nil))
	})
	b.Run("postgres", func(b *testing.B) {
		rc, err := pgreplay.New(context.Background(), pool(b, itest.StartPostgres(b, 20)))
		if err != nil {
			b.Fatal(err)
		}
		defer rc.Close()
		benchClaim(b, rc)
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
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Nanoseconds()) / 1e3 }
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}
