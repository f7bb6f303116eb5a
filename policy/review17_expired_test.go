package policy_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/ztci/ztci/policy"
)

// failingSource returns allowAll until fail is set, then fail.
type failingSource struct {
	mu   sync.Mutex
	fail error
}

func (s *failingSource) set(err error) { s.mu.Lock(); s.fail = err; s.mu.Unlock() }

func (s *failingSource) Load(context.Context) (*policy.Bundle, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return nil, s.fail
	}
	return &policy.Bundle{Modules: map[string]string{"p.rego": allowAll}}, nil
}

// TestReview17ExpiredPolicyStopsDeciding: a Source that says the policy
// in force is past its maximum age (policy/ocibundle's WithMaxAge: no
// signature from the publisher for that long, the registry unreachable or
// holding back newer bundles) made no difference: the Engine kept
// deciding with that policy for ever, as after any failed reload. Now
// Evaluate fails closed (ErrNoDecision, wrapping the Source's ErrExpired)
// until a reload succeeds; any other failed reload still keeps the policy
// in force, and does not lift an expiry.
func TestReview17ExpiredPolicyStopsDeciding(t *testing.T) {
	t.Parallel()
	src := &failingSource{}
	e, err := policy.New(t.Context(), src, policy.WithQuery("data.test.decision"))
	if err != nil {
		t.Fatal(err)
	}
	decides := func(step string) {
		t.Helper()
		if d, err := e.Evaluate(t.Context(), policy.Input{}); err != nil || !d.Allowed {
			t.Fatalf("%s: %v %v, want the policy in force", step, d, err)
		}
	}
	refuses := func(step string) {
		t.Helper()
		d, err := e.Evaluate(t.Context(), policy.Input{})
		if !errors.Is(err, policy.ErrNoDecision) || !errors.Is(err, policy.ErrExpired) || d.Allowed {
			t.Fatalf("%s: %v %v, want ErrNoDecision wrapping ErrExpired", step, d, err)
		}
	}

	src.set(errors.Join(policy.ErrLoad, errors.New("registry down")))
	if err := e.Reload(t.Context()); err == nil {
		t.Fatal("failing source reloaded")
	}
	decides("ordinary reload failure")

	expired := errors.Join(policy.ErrExpired, errors.New("signed 3 days ago"))
	src.set(expired)
	if err := e.Reload(t.Context()); !errors.Is(err, policy.ErrExpired) {
		t.Fatalf("reload: %v", err)
	}
	refuses("expired")

	src.set(errors.Join(policy.ErrLoad, errors.New("registry down")))
	_ = e.Reload(t.Context())
	refuses("ordinary failure after expiry")

	src.set(nil)
	if err := e.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	decides("reloaded after expiry")
}
