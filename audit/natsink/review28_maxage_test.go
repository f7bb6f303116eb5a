package natsink_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/natsink"
)

// TestReview28SinkRefusesShortenedMaxAge: the sink re-read its stream's
// settings but never looked at the max age. Someone with stream-edit
// rights who set it to a second had the whole audit trail age out while
// the sink kept writing into the stream. A max age shorter than the one
// the first check saw (for ever included), or under WithMinMaxAge, must
// fail Write with ErrStream, publishing nothing, until it is restored.
func TestReview28SinkRefusesShortenedMaxAge(t *testing.T) {
	js, _, _ := startNATS(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for _, tc := range []struct {
		name      string
		start, to time.Duration
		opts      []natsink.Option
		refused   bool
	}{
		{name: "forever to a second", start: 0, to: time.Second, refused: true},
		{name: "a day to an hour", start: 24 * time.Hour, to: time.Hour, refused: true},
		{name: "a day to for ever", start: 24 * time.Hour, to: 0},
		{name: "a day to two", start: 24 * time.Hour, to: 48 * time.Hour},
		{name: "under the floor", start: 2 * time.Hour, to: 2 * time.Hour, refused: true,
			opts: []natsink.Option{natsink.WithMinMaxAge(24 * time.Hour)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := fmt.Sprintf("r28age%d", time.Now().UnixNano())
			safe := jetstream.StreamConfig{
				Name: id, Subjects: []string{id + ".>"}, Storage: jetstream.FileStorage,
				DenyDelete: true, DenyPurge: true, MaxAge: tc.start,
			}
			if _, err := js.CreateStream(ctx, safe); err != nil {
				t.Fatal(err)
			}
			opts := append([]natsink.Option{natsink.WithSubjectPrefix(id), natsink.WithStreamCheckInterval(time.Millisecond)}, tc.opts...)
			sink, err := natsink.New(js, id, natsink.TenantAttribute("tenant"), opts...)
			if err != nil {
				t.Fatal(err)
			}
			first := sink.Write(ctx, event("before", "acme"))
			if tc.start != tc.to { // the sink's first check sees the start
				if first != nil {
					t.Fatalf("Write to the safe stream: %v", first)
				}
				edited := safe
				edited.MaxAge = tc.to
				if _, err := js.UpdateStream(ctx, edited); err != nil {
					t.Fatal(err)
				}
				time.Sleep(2 * time.Millisecond) // past the check interval
			}
			err = sink.Write(ctx, event("after", "acme"))
			if tc.start == tc.to {
				err = errors.Join(first, err)
			}
			if tc.refused != errors.Is(err, natsink.ErrStream) {
				t.Fatalf("Write with max age %v (from %v): %v, want refused %v", tc.to, tc.start, err, tc.refused)
			}
			if tc.refused && !errors.Is(err, audit.ErrSink) {
				t.Fatalf("Write: %v, want ErrSink too", err)
			}
			if !tc.refused || tc.start == tc.to {
				return
			}
			st, err := js.Stream(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if n := st.CachedInfo().State.Msgs; n != 1 {
				t.Fatalf("the stream holds %d events, want only the one before the edit", n)
			}
			if _, err := js.UpdateStream(ctx, safe); err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Millisecond)
			if err := sink.Write(ctx, event("restored", "acme")); err != nil {
				t.Fatalf("Write once the max age is restored: %v", err)
			}
		})
	}
}

// TestReview28MinMaxAgeOption: the floor must be positive and needs the
// stream check.
func TestReview28MinMaxAgeOption(t *testing.T) {
	t.Parallel()
	if _, err := natsink.New(fakeNone{}, "AUDIT", natsink.TenantAttribute("t"), natsink.WithMinMaxAge(0)); !errors.Is(err, natsink.ErrConfig) {
		t.Errorf("WithMinMaxAge(0): %v, want ErrConfig", err)
	}
	if _, err := natsink.New(fakeNone{}, "AUDIT", natsink.TenantAttribute("t"), natsink.WithoutStreamCheck(), natsink.WithMinMaxAge(time.Hour)); !errors.Is(err, natsink.ErrConfig) {
		t.Errorf("WithMinMaxAge with WithoutStreamCheck: %v, want ErrConfig", err)
	}
}
