package natsanomaly_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/natsanomaly"
	"github.com/ztci/ztci/audit/natsink"
	"github.com/ztci/ztci/internal/itest"
)

// TestReview21RunRefusesUnsafeStream: the feeder read any stream of that
// name. On one that lets events be deleted or purged, or drops them by
// itself (interest retention, a flood evicting the oldest), an event erased
// before the feeder reads it is never examined, and Check then vouches for
// the rest. Run must refuse such a stream with ErrConfig before consuming.
func TestReview21RunRefusesUnsafeStream(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for name, edit := range map[string]func(*jetstream.StreamConfig){
		"purge":      func(c *jetstream.StreamConfig) { c.DenyPurge = false },
		"delete":     func(c *jetstream.StreamConfig) { c.DenyDelete = false },
		"interest":   func(c *jetstream.StreamConfig) { c.Retention = jetstream.InterestPolicy },
		"discardold": func(c *jetstream.StreamConfig) { c.MaxMsgs = 100 },
	} {
		t.Run(name, func(t *testing.T) {
			sc := jetstream.StreamConfig{
				Name: "R21_" + name, Subjects: []string{"r21" + name + ".>"}, Storage: jetstream.FileStorage,
				DenyDelete: true, DenyPurge: true,
			}
			edit(&sc)
			if _, err := js.CreateStream(ctx, sc); err != nil {
				t.Fatal(err)
			}
			f, err := natsanomaly.New(js, sc.Name, &collector{})
			if err != nil {
				t.Fatal(err)
			}
			rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
			defer rcancel()
			err = f.Run(rctx)
			if !errors.Is(err, natsanomaly.ErrConfig) || !errors.Is(err, natsink.ErrStream) || !errors.Is(err, audit.ErrConfig) {
				t.Fatalf("Run on a %s stream: %v, want ErrConfig and natsink.ErrStream", name, err)
			}
			if errors.Is(rctx.Err(), context.DeadlineExceeded) {
				t.Error("Run consumed until its context ended")
			}
		})
	}
	// A max age is the operator's retention (the baseline covers it).
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: "R21_age", Subjects: []string{"r21age.>"}, Storage: jetstream.FileStorage,
		DenyDelete: true, DenyPurge: true, MaxAge: time.Hour,
	}); err != nil {
		t.Fatal(err)
	}
	f, err := natsanomaly.New(js, "R21_age", &collector{})
	if err != nil {
		t.Fatal(err)
	}
	rctx, rcancel := context.WithTimeout(ctx, time.Second)
	defer rcancel()
	if err := f.Run(rctx); err != nil {
		t.Errorf("Run on a stream with a max age: %v", err)
	}
}
