package natsink_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/natsink"
)

// TestReview21SinkRefusesUnsafeStream: the sink published to whatever
// stream of that name it found. A stream pre-created with interest or
// work-queue retention, memory storage, an evicting limit, deletes or
// purges allowed, rollup or per-message TTL headers, sources, or subjects
// beyond the sink's prefix (whose writers share the de-duplication window
// and can pre-empt an event's id) loses events or lets them be erased.
// Write must refuse it with ErrStream, publishing nothing; a max age (the
// operator's retention) is accepted.
func TestReview21SinkRefusesUnsafeStream(t *testing.T) {
	js, _, _ := startNATS(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for name, edit := range map[string]func(*jetstream.StreamConfig){
		"interest":    func(c *jetstream.StreamConfig) { c.Retention = jetstream.InterestPolicy },
		"workqueue":   func(c *jetstream.StreamConfig) { c.Retention = jetstream.WorkQueuePolicy },
		"memory":      func(c *jetstream.StreamConfig) { c.Storage = jetstream.MemoryStorage },
		"discardold":  func(c *jetstream.StreamConfig) { c.MaxMsgs = 1000 },
		"discardbyte": func(c *jetstream.StreamConfig) { c.MaxBytes = 1 << 20 },
		"persubject":  func(c *jetstream.StreamConfig) { c.MaxMsgsPerSubject = 10 },
		"delete":      func(c *jetstream.StreamConfig) { c.DenyDelete = false },
		"purge":       func(c *jetstream.StreamConfig) { c.DenyPurge = false },
		"rollup":      func(c *jetstream.StreamConfig) { c.AllowRollup, c.DenyPurge = true, false }, // the server requires purges for rollups
		"msgttl":      func(c *jetstream.StreamConfig) { c.AllowMsgTTL = true },
		"sources":     func(c *jetstream.StreamConfig) { c.Sources = []*jetstream.StreamSource{{Name: "AUDIT"}} },
		"wider":       func(c *jetstream.StreamConfig) { c.Subjects = append(c.Subjects, "r21elsewhere.>") },
		"async":       func(c *jetstream.StreamConfig) { c.PersistMode = jetstream.AsyncPersistMode },
		"schedules":   func(c *jetstream.StreamConfig) { c.AllowMsgSchedules = true }, // the server then also allows rollups and purges
		"mirror":      func(c *jetstream.StreamConfig) { c.Subjects, c.Mirror = nil, &jetstream.StreamSource{Name: "R21_NONE"} },
		"transform": func(c *jetstream.StreamConfig) {
			c.SubjectTransform = &jetstream.SubjectTransformConfig{Source: c.Subjects[0], Destination: "r21transformed.>"}
		},
	} {
		t.Run(name, func(t *testing.T) {
			prefix := "r21" + name
			sc := jetstream.StreamConfig{
				Name: "R21_" + name, Subjects: []string{prefix + ".>"}, Storage: jetstream.FileStorage,
				DenyDelete: true, DenyPurge: true,
			}
			edit(&sc)
			st, err := js.CreateStream(ctx, sc)
			if err != nil {
				t.Fatal(err)
			}
			sink, err := natsink.New(js, sc.Name, natsink.TenantAttribute("tenant"), natsink.WithSubjectPrefix(prefix))
			if err != nil {
				t.Fatal(err)
			}
			err = sink.Write(ctx, event("e-"+name, "acme"))
			if !errors.Is(err, natsink.ErrStream) || !errors.Is(err, audit.ErrSink) || !errors.Is(err, audit.ErrConfig) {
				t.Fatalf("Write to a %s stream: %v, want ErrStream and ErrSink", name, err)
			}
			info, err := st.Info(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n := info.State.Msgs; n != 0 && name != "sources" {
				t.Errorf("%d events published to the refused stream", n)
			}
		})
	}

	t.Run("max age and discard new limits", func(t *testing.T) {
		sc := jetstream.StreamConfig{
			Name: "R21_retention", Subjects: []string{"r21retention.>"}, Storage: jetstream.FileStorage,
			DenyDelete: true, DenyPurge: true, MaxAge: 24 * time.Hour,
			Discard: jetstream.DiscardNew, MaxMsgs: 1000, MaxMsgsPerSubject: 100, DiscardNewPerSubject: true,
		}
		if _, err := js.CreateStream(ctx, sc); err != nil {
			t.Fatal(err)
		}
		sink, err := natsink.New(js, sc.Name, natsink.TenantAttribute("tenant"), natsink.WithSubjectPrefix("r21retention"))
		if err != nil {
			t.Fatal(err)
		}
		if err := sink.Write(ctx, event("e-retention", "acme")); err != nil {
			t.Fatalf("Write: %v", err)
		}
	})
}

// TestReview21NewNeedsStreamLookup: a Publisher that cannot read the
// stream's settings is refused unless the caller opts out explicitly, so
// the check is never skipped by accident.
func TestReview21NewNeedsStreamLookup(t *testing.T) {
	t.Parallel()
	if _, err := natsink.New(fakeNone{}, "AUDIT", natsink.TenantAttribute("t")); !errors.Is(err, natsink.ErrConfig) {
		t.Errorf("New without a StreamLookup: %v, want ErrConfig", err)
	}
	if _, err := natsink.New(fakeNone{}, "AUDIT", natsink.TenantAttribute("t"), natsink.WithoutStreamCheck()); err != nil {
		t.Errorf("New with WithoutStreamCheck: %v", err)
	}
}
