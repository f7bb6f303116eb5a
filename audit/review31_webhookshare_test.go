package audit

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// TestReview31WebhookShareKey: the webhook's per-job share of its buffer
// was keyed by Correlation.JobID, which the event's producer takes from the
// job (a token's job claim, a vendor's job spec). A job naming itself
// afresh for each event had a new share per event, filled the whole buffer,
// and every other repository's audited action found it full. The share is
// the repository's (or, without repository claims, the actor's): varying
// the job id, or the subject (branch) of one repository, gains nothing.
func TestReview31WebhookShareKey(t *testing.T) {
	t.Parallel()
	const gha = "https://token.actions.githubusercontent.com"
	for _, tc := range []struct {
		name     string
		attacker func(i int) Event
	}{
		{"fresh job id per event, same repository", func(i int) Event {
			e := testEvent(i)
			e.Correlation.JobID = fmt.Sprintf("job-%d", i)
			return e
		}},
		{"fresh job id per event, actor without claims", func(i int) Event {
			e := testEvent(i)
			e.Actor.Claims = nil
			e.Correlation.JobID = fmt.Sprintf("job-%d", i)
			return e
		}},
		{"fresh branch and job id per event, same repository id", func(i int) Event {
			e := testEvent(i)
			e.Actor = Actor{ID: fmt.Sprintf("%s#repo:acme/app:ref:refs/heads/b%d", gha, i), Kind: "job",
				Claims: map[string]string{"repository": "acme/app", "repository_id": "42"}}
			e.Correlation.JobID = fmt.Sprintf("job-%d", i)
			return e
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := &limitEndpoint{limit: 1 << 20, gate: make(chan struct{})}
			w := newLimitWebhook(t, l, WithBatch(1, 0), WithBuffer(8, Reject))
			t.Cleanup(func() { close(l.gate) })
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
			if want := 8 * DefaultJobBufferShare / 100; taken != want {
				t.Fatalf("the attacker had %d events taken, want its share, %d", taken, want)
			}
			victim := testEvent(100)
			victim.Actor = Actor{ID: gha + "#repo:acme/victim:ref:refs/heads/main", Kind: "job",
				Claims: map[string]string{"repository": "acme/victim", "repository_id": "7"}}
			if err := w.Write(ended, victim); !errors.Is(err, context.Canceled) {
				t.Fatalf("another repository's Write: %v, want it buffered", err)
			}
		})
	}
}
