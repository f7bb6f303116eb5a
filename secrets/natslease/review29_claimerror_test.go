package natslease_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/ztci/ztci/internal/itest"
	"github.com/ztci/ztci/secrets/internal/leasetest"
	"github.com/ztci/ztci/secrets/natslease"
)

// onMessage is a slog.Handler that calls fn once, the first time a record
// with message msg is logged: a hook inside Claim's scan.
type onMessage struct {
	msg  string
	once *sync.Once
	fn   func()
}

func (h onMessage) Enabled(context.Context, slog.Level) bool { return true }
func (h onMessage) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.once.Do(h.fn)
	}
	return nil
}
func (h onMessage) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h onMessage) WithGroup(string) slog.Handler      { return h }

// Claim returned the claims it had taken together with the error that
// stopped its scan (here the reaper's context ending after the first
// claim). The LeaseReclaimer contract says an error means nothing was
// claimed, so the Reaper dropped those claims: leases it had claimed from
// a dead runner were neither revoked nor claimable by any reaper until the
// claim expired. Claim must either return them without error or give
// them back; either way the dead runner's lease is not stranded.
func TestReview29ClaimErrorMeansNothingClaimed(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	ctx := t.Context()
	claimCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	logger := slog.New(onMessage{msg: "natslease: owner alive", once: new(sync.Once), fn: cancel})
	reg, _ := newRegistry(t, js, natslease.WithReplicas(1), natslease.WithLogger(logger))
	if err := reg.Heartbeat(ctx, "live", time.Hour); err != nil {
		t.Fatal(err)
	}
	// Listed in this order: a dead owner's lease, a live owner's (whose
	// check ends the context), then another dead owner's.
	for _, rec := range [][2]string{{"l1", "dead"}, {"l2", "live"}, {"l3", "dead"}} {
		if err := reg.Register(ctx, leasetest.Record(rec[0], rec[1])); err != nil {
			t.Fatal(err)
		}
	}
	claims, err := reg.Claim(claimCtx, "reaper", time.Hour, 10)
	if err != nil && len(claims) > 0 {
		t.Fatalf("Claim returned %d claim(s) with error %v: an error must mean nothing was claimed", len(claims), err)
	}
	// l1 is the reaper's to revoke now: returned, or claimable again.
	for _, cl := range claims {
		if cl.Record.LeaseID == "l1" {
			if err := reg.Complete(ctx, cl); err != nil {
				t.Fatalf("Complete l1: %v", err)
			}
			return
		}
	}
	again, err := reg.Claim(ctx, "reaper", time.Hour, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, cl := range again {
		if cl.Record.LeaseID == "l1" {
			return
		}
	}
	t.Fatalf("l1 was neither returned (%+v) nor claimable again (%+v)", claims, again)
}
