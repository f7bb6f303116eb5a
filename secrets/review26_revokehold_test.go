package secrets_test

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/secrets"
)

// A kill switch that calls RevokeIdentity on a broker without a compromise
// checker ended the identity's jobs, but a job begun right after was not
// refused and got its leases. Begin refuses it for the hold, and again
// once the hold is over only if the checker marks it.
func TestReview26RevokeIdentityThenBegin(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	be := newMem("value-of-the-secret")
	b := newBroker(t, be, secrets.WithClock(clock), secrets.WithRevokedHold(time.Hour))
	if _, err := b.RevokeIdentity(ctx, job.ID()); err != nil {
		t.Fatal(err)
	}
	if j, err := b.Begin(ctx, spec("j-after")); !errors.Is(err, secrets.ErrCompromised) {
		if err == nil {
			_, lerr := j.Lease(ctx, "db")
			t.Fatalf("Begin after RevokeIdentity: allowed (lease: %v), want ErrCompromised", lerr)
		}
		t.Fatalf("Begin after RevokeIdentity: %v, want ErrCompromised", err)
	}
	other := identity.Identity{Issuer: "https://ci.example.com", Subject: "repo:octo/other:ref:refs/heads/main"}
	o, err := b.Begin(ctx, secrets.JobSpec{ID: "j-other", Identity: other})
	if err != nil {
		t.Fatalf("another identity's job: %v", err)
	}
	_ = o.End(ctx)
	now.Add(int64(time.Hour))
	j, err := b.Begin(ctx, spec("j-later"))
	if err != nil {
		t.Fatalf("Begin once the hold is over: %v", err)
	}
	_ = j.End(ctx)
}

// A journal record created by a refused Begin is removed.
func TestReview26RefusedBeginLeavesNoRecord(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	b := newBroker(t, newMem("value-of-the-secret"), secrets.WithJournal(dir))
	if _, err := b.RevokeIdentity(ctx, job.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Begin(ctx, spec("j-after")); !errors.Is(err, secrets.ErrCompromised) {
		t.Fatalf("Begin after RevokeIdentity: %v, want ErrCompromised", err)
	}
	if ents := journalFiles(t, dir); len(ents) != 0 {
		t.Fatalf("journal after a refused Begin: %v; want none", ents)
	}
}

func TestReview26RevokedHoldConfig(t *testing.T) {
	t.Parallel()
	for _, d := range []time.Duration{0, -time.Second} {
		if _, err := secrets.New(secrets.AllowNames("db"), newMem("v"), secrets.WithRevokedHold(d)); !errors.Is(err, secrets.ErrConfig) {
			t.Fatalf("WithRevokedHold(%v): %v, want ErrConfig", d, err)
		}
	}
}

// Past the bound on identities held, RevokeIdentity fails closed: every
// job is refused for the hold, not only the identity it could not hold.
func TestReview26RevokedHoldOverflow(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	b := newBroker(t, newMem("value-of-the-secret"))
	for i := range 10000 {
		if _, err := b.RevokeIdentity(ctx, fmt.Sprintf("id-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	j, err := b.Begin(ctx, spec("j-before"))
	if err != nil {
		t.Fatalf("Begin with 10000 other identities held: %v", err)
	}
	_ = j.End(ctx)
	if _, err := b.RevokeIdentity(ctx, job.ID()); err != nil {
		t.Fatal(err)
	}
	other := identity.Identity{Issuer: "https://ci.example.com", Subject: "repo:octo/other:ref:refs/heads/main"}
	for _, s := range []secrets.JobSpec{spec("j-after"), {ID: "j-other", Identity: other}} {
		if _, err := b.Begin(ctx, s); !errors.Is(err, secrets.ErrCompromised) {
			t.Fatalf("Begin %s past the bound: %v, want ErrCompromised", s.ID, err)
		}
	}
}
