package secrets_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ztci/ztci/secrets"
)

// ttlBackend grants what it is asked for and records the lifetimes asked
// of it, as PostgreSQL's VALID UNTIL or a Vault renewal increment would.
type ttlBackend struct {
	mu    sync.Mutex
	asked []time.Duration
}

func (b *ttlBackend) ask(d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.asked = append(b.asked, d)
}

func (b *ttlBackend) last() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.asked[len(b.asked)-1]
}

func (b *ttlBackend) Issue(_ context.Context, req secrets.Request) (secrets.Grant, error) {
	b.ask(req.TTL)
	return secrets.Grant{Value: secrets.NewValue("a-value-long-enough-to-mask"), TTL: req.TTL, Renewable: true}, nil
}

func (*ttlBackend) Revoke(context.Context, string) error { return nil }

func (b *ttlBackend) Renew(_ context.Context, _ string, ttl time.Duration) (time.Duration, error) {
	b.ask(ttl)
	return ttl, nil
}

// TestReview10RenewCapped: Renew passed the job's ttl to the backend as
// it was, so a job could stretch a lease the operator bounded with
// WithTTL(1m) to a day (VALID UNTIL tomorrow, the largest Vault
// increment), which outlives the job if its revocation fails; and a zero
// ttl asked for a lease that had already expired.
func TestReview10RenewCapped(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		be := &ttlBackend{}
		b, err := secrets.New(secrets.AllowNames("db"), be, secrets.WithTTL(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		j, err := b.Begin(t.Context(), spec("r10-renew"))
		if err != nil {
			t.Fatal(err)
		}
		defer j.End(context.Background())
		l, err := j.Lease(t.Context(), "db")
		if err != nil {
			t.Fatal(err)
		}
		for _, ask := range []time.Duration{24 * time.Hour, 0, -time.Second} {
			exp, err := l.Renew(t.Context(), ask)
			if err != nil {
				t.Fatalf("Renew(%v): %v", ask, err)
			}
			if got := be.last(); got != time.Minute {
				t.Errorf("Renew(%v) asked the backend for %v, want the broker's TTL of 1m", ask, got)
			}
			if want := time.Now().Add(time.Minute); !exp.Equal(want) {
				t.Errorf("Renew(%v) = %v, want %v", ask, exp, want)
			}
		}
		if _, err := l.Renew(t.Context(), 30*time.Second); err != nil || be.last() != 30*time.Second {
			t.Fatalf("a shorter renewal: asked %v, %v", be.last(), err)
		}
	})
}

// TestReview10LeaseEndsWithJob: a job whose context ends in 30 s was given
// leases of the broker's full TTL (15 minutes by default), so when the
// revocation at its end failed (backend down) the credential outlived the
// job by up to that much. The lifetime asked of the backend, for an issue
// and for a renewal, ends no later than the job's deadline; a job past its
// deadline.
func TestReview10LeaseEndsWithJob(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		be := &ttlBackend{}
		b, err := secrets.New(secrets.AllowNames("db"), be)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		j, err := b.Begin(ctx, spec("r10-deadline"))
		if err != nil {
			t.Fatal(err)
		}
		defer j.End(context.Background())
		l, err := j.Lease(ctx, "db")
		if err != nil {
			t.Fatal(err)
		}
		if got := be.last(); got != 30*time.Second {
			t.Errorf("issue asked the backend for %v, want the 30s left to the job", got)
		}
		if want := time.Now().Add(30 * time.Second); !l.ExpiresAt().Equal(want) {
			t.Errorf("lease expires %v, want the job's deadline %v", l.ExpiresAt(), want)
		}
		time.Sleep(20 * time.Second)
		if _, err := l.Renew(ctx, 10*time.Minute); err != nil {
			t.Fatal(err)
		}
		if got := be.last(); got != 10*time.Second {
			t.Errorf("renewal asked the backend for %v, want the 10s left to the job", got)
		}
	})
}
