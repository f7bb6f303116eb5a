package oidc_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
)

var _ identity.DeferredTokenVerifier = (*oidc.Verifier)(nil)

// review28Setup returns an issuer and a single-use verifier of its tokens
// for audience "deploy", whose refusals are audited into the returned
// slice.
func review28Setup(t *testing.T, singleUse bool) (*oidc.Issuer, *oidc.Verifier, func() []audit.Event) {
	t.Helper()
	iss, err := oidc.NewIssuer("https://ci.example.com")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var events []audit.Event
	opts := []oidc.Option{oidc.WithKeySet(iss.KeySet()), oidc.WithAudit(audit.SinkFunc(func(_ context.Context, e audit.Event) error {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, e)
		return nil
	}))}
	if singleUse {
		opts = append(opts, oidc.WithSingleUse(oidc.NewMemoryReplayCache(16, nil)))
	}
	v, err := oidc.NewVerifier(iss.URL(), "deploy", opts...)
	if err != nil {
		t.Fatal(err)
	}
	return iss, v, func() []audit.Event {
		mu.Lock()
		defer mu.Unlock()
		return append([]audit.Event(nil), events...)
	}
}

func review28Mint(t *testing.T, iss *oidc.Issuer) string {
	t.Helper()
	tok, err := iss.Mint(t.Context(), oidc.Job{Claims: identity.Claims{Repository: "octo-org/app", Ref: "refs/heads/main"}}, "deploy")
	if err != nil {
		t.Fatal(err)
	}
	return tok.Reveal()
}

// TestReview28DeferredSpend: VerifyDeferred of a single-use verifier
// verifies without spending; only spend records the jti. Before, the
// only way to verify was Verify, which spent the token at once, so a
// caller that refused the request for a reason of its own (the deploy
// gate's busy job) had cost the job its token.
func TestReview28DeferredSpend(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	t.Run("unspent verification consumes nothing", func(t *testing.T) {
		t.Parallel()
		iss, v, _ := review28Setup(t, true)
		raw := review28Mint(t, iss)
		for range 3 {
			id, spend, err := v.VerifyDeferred(ctx, raw)
			if err != nil || spend == nil || id.Subject == "" {
				t.Fatalf("VerifyDeferred = %v, %v", id, err)
			}
		}
		if _, err := v.Verify(ctx, raw); err != nil {
			t.Fatalf("Verify after unspent verifications: %v, want the token still usable", err)
		}
		// Verify spent it: a later deferred verification passes, its spend does not.
		_, spend, err := v.VerifyDeferred(ctx, raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := spend(ctx); !errors.Is(err, oidc.ErrReplayed) {
			t.Fatalf("spend of a token Verify spent = %v, want ErrReplayed", err)
		}
	})
	t.Run("spend then Verify is a replay", func(t *testing.T) {
		t.Parallel()
		iss, v, events := review28Setup(t, true)
		raw := review28Mint(t, iss)
		_, spend, err := v.VerifyDeferred(ctx, raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := spend(ctx); err != nil {
			t.Fatalf("first spend: %v", err)
		}
		if err := spend(ctx); !errors.Is(err, oidc.ErrReplayed) {
			t.Fatalf("second call of one spend = %v, want ErrReplayed", err)
		}
		if _, err := v.Verify(ctx, raw); !errors.Is(err, oidc.ErrReplayed) {
			t.Fatalf("Verify of a spent token = %v, want ErrReplayed", err)
		}
		// The refused spend is audited as a refused verification.
		if got := len(events()); got != 2 {
			t.Fatalf("%d audit events, want 2 (the second spend, the replayed Verify)", got)
		}
	})
	t.Run("concurrent spends of one token", func(t *testing.T) {
		t.Parallel()
		iss, v, _ := review28Setup(t, true)
		raw := review28Mint(t, iss)
		const n = 8
		spends := make([]func(context.Context) error, n)
		for i := range spends {
			_, s, err := v.VerifyDeferred(ctx, raw)
			if err != nil {
				t.Fatal(err)
			}
			spends[i] = s
		}
		errs := make(chan error, n)
		for _, s := range spends {
			go func() { errs <- s(ctx) }()
		}
		won := 0
		for range n {
			switch err := <-errs; {
			case err == nil:
				won++
			case !errors.Is(err, oidc.ErrReplayed):
				t.Errorf("spend = %v, want nil or ErrReplayed", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d spends of one token succeeded, want exactly 1", won)
		}
	})
	t.Run("forged token has no spend", func(t *testing.T) {
		t.Parallel()
		iss, v, events := review28Setup(t, true)
		raw := review28Mint(t, iss)
		forged := raw[:len(raw)-4] + "AAAA"
		id, spend, err := v.VerifyDeferred(ctx, forged)
		if !errors.Is(err, oidc.ErrInvalidToken) || spend != nil || !id.IsZero() {
			t.Fatalf("VerifyDeferred(forged) = %v, spend %v, %v; want ErrInvalidToken, no spend", id, spend != nil, err)
		}
		if len(events()) != 1 {
			t.Fatalf("forged token not audited")
		}
	})
	t.Run("without single use spend consumes nothing", func(t *testing.T) {
		t.Parallel()
		iss, v, _ := review28Setup(t, false)
		raw := review28Mint(t, iss)
		for range 2 {
			_, spend, err := v.VerifyDeferred(ctx, raw)
			if err != nil {
				t.Fatal(err)
			}
			if err := spend(ctx); err != nil {
				t.Fatalf("spend without WithSingleUse: %v", err)
			}
		}
	})
}
