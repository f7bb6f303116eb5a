package secrets_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ztci/ztci/secrets"
)

// greedyBackend grants more than it is asked for, as a vendor's backend
// (or a misconfigured engine) may: ttl at every issue and renewal, 0
// meaning no expiry. It names its leases itself.
type greedyBackend struct{ ttl time.Duration }

func (g greedyBackend) Issue(_ context.Context, req secrets.Request) (secrets.Grant, error) {
	return secrets.Grant{LeaseID: "greedy-" + req.LeaseID, Value: secrets.NewValue("a-value-long-enough-to-mask"),
		TTL: g.ttl, Renewable: true}, nil
}

func (greedyBackend) Revoke(context.Context, string) error { return nil }

func (g greedyBackend) Renew(context.Context, string, time.Duration) (time.Duration, error) {
	return g.ttl, nil
}

// recordingRegistry is a LeaseRegistry that keeps what it was told.
type recordingRegistry struct {
	mu   sync.Mutex
	recs []secrets.LeaseRecord
}

func (*recordingRegistry) Heartbeat(context.Context, string, time.Duration) error { return nil }

func (r *recordingRegistry) Register(_ context.Context, rec secrets.LeaseRecord) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec)
	return nil
}

func (*recordingRegistry) Release(context.Context, string) error { return nil }

func (r *recordingRegistry) records() []secrets.LeaseRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]secrets.LeaseRecord(nil), r.recs...)
}

// TestReview17GrantLongerThanAsked: the broker took the backend's TTL as
// the lease's lifetime. A backend that granted a day when asked for a
// minute (only the Vault backend held itself to the ask), or that set no
// expiry, handed the job a lease the job was told lasts a day (or
// forever), whose value it could read and which it could renew for as
// long, and recorded that in the fleet's lease registry. The broker holds
// every lease to what it asked for, whatever a backend answers.
func TestReview17GrantLongerThanAsked(t *testing.T) {
	t.Parallel()
	for _, granted := range []time.Duration{24 * time.Hour, 0} {
		t.Run(granted.String(), func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
			reg := &recordingRegistry{}
			b := newBroker(t, greedyBackend{ttl: granted}, secrets.WithTTL(time.Minute), secrets.WithClock(clock),
				secrets.WithLeaseRegistry(reg, "runner-1", "greedy"))
			j, err := b.Begin(t.Context(), spec("r17-greedy"))
			if err != nil {
				t.Fatal(err)
			}
			defer j.End(context.Background())
			l, err := j.Lease(t.Context(), "db")
			if err != nil {
				t.Fatal(err)
			}
			if exp := l.ExpiresAt(); exp.IsZero() || exp.After(clock().Add(time.Minute)) {
				t.Errorf("lease expires %v, want at most the minute asked (%v)", exp, clock().Add(time.Minute))
			}
			for _, rec := range reg.records() {
				if rec.ExpiresAt.After(clock().Add(time.Minute)) {
					t.Errorf("registry holds lease %s until %v, past the minute asked", rec.LeaseID, rec.ExpiresAt)
				}
			}
			advance(30 * time.Second)
			exp, err := l.Renew(t.Context(), 20*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if want := clock().Add(20 * time.Second); exp.IsZero() || exp.After(want) || !l.ExpiresAt().Equal(exp) {
				t.Errorf("renewal: expires %v (lease says %v), want at most the 20s asked (%v)", exp, l.ExpiresAt(), want)
			}
			advance(20 * time.Second)
			if _, err := l.Value(); !errors.Is(err, secrets.ErrExpired) {
				t.Errorf("Value past the lifetime asked: %v, want ErrExpired", err)
			}
		})
	}
}
