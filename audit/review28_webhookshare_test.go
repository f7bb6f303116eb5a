package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestReview28WebhookJobShare: the webhook's buffer (4,096 events, 4 MiB)
// was shared by every job on a first-come basis. One job bursting events
// (each held until its batch is delivered, so a slow endpoint keeps them
// all) filled it, and every other job's audited action then found the
// buffer full and failed (Reject) or stalled (Block): one job denied every
// other. A job's events must hold at most its share of the buffer, by
// count and by bytes, so that another job's event is still taken. (Review
// 31: a share is its repository's, or else its actor's; never the
// Correlation.JobID the job chooses, so the victim is of another
// repository.)
func TestReview28WebhookJobShare(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 900)
	for _, tc := range []struct {
		name     string
		opts     []Option
		attacker func(i int) Event
		victim   Event
	}{
		{
			name:     "count by job",
			opts:     []Option{WithBuffer(8, Reject)},
			attacker: func(i int) Event { e := testEvent(i); e.Correlation.JobID = "attacker"; return e },
			victim:   otherRepoEvent(),
		},
		{
			name: "count by actor",
			opts: []Option{WithBuffer(8, Reject)},
			attacker: func(i int) Event {
				e := testEvent(i)
				e.Correlation.JobID, e.Actor.ID = "", "spiffe://example.org/attacker"
				e.Actor.Claims = nil // no repository: the actor is the share
				return e
			},
			victim: func() Event {
				e := testEvent(100)
				e.Correlation.JobID, e.Actor.ID = "", "spiffe://example.org/victim"
				e.Actor.Claims = nil
				return e
			}(),
		},
		{
			name: "bytes by job",
			opts: []Option{WithBuffer(64, Reject), WithBufferBytes(8 << 10), WithJobBufferShare(50)},
			attacker: func(i int) Event {
				e := testEvent(i)
				e.Correlation.JobID, e.Reason = "attacker", big
				return e
			},
			victim: otherRepoEvent(),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := &limitEndpoint{limit: 1 << 20, gate: make(chan struct{})}
			w := newLimitWebhook(t, l, append([]Option{WithBatch(1, 0)}, tc.opts...)...)
			t.Cleanup(func() { close(l.gate) }) // before Close, which delivers
			// A Write with an ended context returns once its event is
			// buffered (the endpoint holds every request), or at once
			// when the buffer is full.
			ended, cancel := context.WithCancel(t.Context())
			cancel()
			taken := 0
			for i := range 64 {
				err := w.Write(ended, tc.attacker(i))
				if errors.Is(err, ErrBufferFull) {
					break
				}
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("attacker Write %d: %v", i, err)
				}
				taken++
			}
			if taken == 0 || taken == 64 {
				t.Fatalf("the attacker's job had %d events taken, want some but not all", taken)
			}
			if err := w.Write(ended, tc.victim); !errors.Is(err, context.Canceled) {
				t.Fatalf("after another job's %d events, Write: %v, want it buffered", taken, err)
			}
		})
	}
}

// TestReview28WebhookJobShareOption: the share is a percentage.
func TestReview28WebhookJobShareOption(t *testing.T) {
	t.Parallel()
	for _, p := range []int{-1, 0, 101} {
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			t.Parallel()
			if _, err := NewWebhook("https://example.org/x", WithJobBufferShare(p)); !errors.Is(err, ErrConfig) {
				t.Fatalf("WithJobBufferShare(%d): %v, want ErrConfig", p, err)
			}
		})
	}
	w, err := NewWebhook("https://example.org/x", WithJobBufferShare(100))
	if err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
}

// otherRepoEvent is an event of a job of another repository than
// testEvent's.
func otherRepoEvent() Event {
	e := testEvent(100)
	e.Correlation.JobID = "victim"
	e.Actor.Claims = map[string]string{"repository": "acme/other"}
	return e
}
