package natskill_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/audit/natskill"
	"github.com/ztci/ztci/internal/itest"
)

// TestReview38StalenessIgnoresInjectedClock: staleness was measured with
// the clock of WithClock, which is there for mark expiry. A vendor's clock
// that carries no monotonic reading (a trusted-time source, time.Now().UTC(),
// a cached clock) and then stands still or steps back (an NTP correction, a
// stalled updater, or whoever sets the host's time) kept a replica cut off
// from NATS "fresh" for as long as it did: the replica went on allowing
// identities marked meanwhile, past the stale bound. The bound must hold on
// the process's monotonic clock whatever WithClock returns.
func TestReview38StalenessIgnoresInjectedClock(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		clock func(back *atomic.Int64) func() time.Time
	}{
		{name: "frozen", clock: func(*atomic.Int64) func() time.Time {
			at := time.Now().Round(0)
			return func() time.Time { return at }
		}},
		{name: "stepped-back", clock: func(back *atomic.Int64) func() time.Time {
			return func() time.Time { return time.Now().UTC().Add(-time.Duration(back.Load())) }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := itest.StartNATSCluster(t, 1)
			js := connect(t, c.URLs())
			var back atomic.Int64
			s := itest.Create(t, "kill-switch bucket", func(ctx context.Context) (*natskill.Switch, error) {
				return natskill.New(ctx, js, audittest.NewRecorder(), natskill.WithClock(tc.clock(&back)),
					natskill.WithStaleAfter(200*time.Millisecond), natskill.WithTimeout(100*time.Millisecond))
			})
			t.Cleanup(func() { s.Close() })
			const clean = "spiffe://example.org/ci/clean"
			waitFor(t, 5*time.Second, func() bool { return !s.Compromised(clean) })
			c.Nodes[0].Kill(t)
			back.Store(int64(time.Hour)) // the wall clock is set back an hour
			waitFor(t, 10*time.Second, func() bool { return s.Compromised(clean) })
			if err := s.Check(natskill.KindJob, clean); !errors.Is(err, natskill.ErrStale) {
				t.Errorf("check with NATS gone: %v, want ErrStale", err)
			}
		})
	}
}
