package natskill_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/audit/natskill"
	"github.com/ztci/ztci/internal/itest"
)

// TestReview31PurgeLapsedMarks: a mark whose Until had passed denied
// nobody but stayed in the bucket for ever, and in every replica's view:
// an automatic quarantine per anomalous identity (audit.Escalator, one
// hour) grew the bucket without bound. Now a Mark deletes the marks that
// lapsed more than the purge allowance ago (the fleet's clock-skew
// allowance), and never one still in force, one that lapsed within the
// allowance (a replica whose clock runs ahead must not end a mark early),
// or one without expiry.
func TestReview31PurgeLapsedMarks(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	t0 := time.Now().UTC().Truncate(time.Millisecond)
	var now atomic.Pointer[time.Time]
	now.Store(&t0)
	s := itest.Create(t, "kill-switch bucket", func(ctx context.Context) (*natskill.Switch, error) {
		return natskill.New(ctx, js, audittest.NewRecorder(), natskill.WithClock(func() time.Time { return *now.Load() }))
	})
	t.Cleanup(func() { s.Close() })
	ctx := t.Context()
	cases := []struct {
		name   string
		id     string
		until  time.Time
		purged bool
	}{
		{"lapsed past the allowance", "spiffe://example.org/lapsed-long-ago", t0.Add(time.Minute), true},
		{"lapsed within the allowance", "spiffe://example.org/lapsed-lately", t0.Add(90 * time.Minute), false},
		{"in force", "spiffe://example.org/in-force", t0.Add(3 * time.Hour), false},
		{"no expiry", "spiffe://example.org/for-ever", time.Time{}, false},
	}
	for _, tc := range cases {
		if err := s.Mark(ctx, natskill.KindJob, tc.id, "test", "operator", tc.until); err != nil {
			t.Fatalf("%s: Mark: %v", tc.name, err)
		}
	}
	later := t0.Add(2 * time.Hour) // the default allowance is one hour
	now.Store(&later)
	if err := s.Mark(ctx, natskill.KindJob, "spiffe://example.org/next", "test", "operator", time.Time{}); err != nil {
		t.Fatal(err)
	}
	kv := bucket(t, js)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := kv.Get(ctx, markKey(natskill.KindJob, tc.id))
			if gone := errors.Is(err, jetstream.ErrKeyNotFound); gone != tc.purged {
				t.Fatalf("after a Mark two hours on, Get: %v; want purged %v", err, tc.purged)
			}
			if err != nil && !tc.purged {
				t.Fatal(err)
			}
		})
	}
}

// TestReview31PurgeAfterOption: the allowance is at least a minute.
func TestReview31PurgeAfterOption(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	for _, d := range []time.Duration{-time.Hour, 0, 59 * time.Second} {
		if _, err := natskill.New(t.Context(), js, audittest.NewRecorder(), natskill.WithPurgeAfter(d)); !errors.Is(err, natskill.ErrConfig) {
			t.Errorf("WithPurgeAfter(%v): %v, want ErrConfig", d, err)
		}
	}
}

func bucket(t *testing.T, js jetstream.JetStream) jetstream.KeyValue {
	t.Helper()
	kv, err := js.KeyValue(t.Context(), "ztci_killswitch")
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

// markKey is the bucket key of a mark (see the package's security
// contract: the kind and the SHA-256 of the id).
func markKey(kind natskill.Kind, id string) string {
	sum := sha256.Sum256([]byte(id))
	return string(kind) + "." + base64.RawURLEncoding.EncodeToString(sum[:])
}
