package gate

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/ztci/ztci/internal/oci"
)

// verificationBudget bounds the work of one image verification (one flight,
// however many requests share it): the bytes read from the registry
// (Limits.MaxFetchBytes) and the bundles handed to a verifier
// (Limits.MaxVerifiedBundles). The first charge past a bound cancels the
// verification with an error wrapping ErrBudgetExceeded as its cause, so
// nothing after it runs and the image verifier returns an error, never a
// verdict on the attestations that fitted (which its cache would keep).
type verificationBudget struct {
	maxBytes, maxBundles int64
	bytes, bundles       atomic.Int64
	cancel               context.CancelCauseFunc
}

type budgetKey struct{}

// withBudget returns ctx carrying a fresh budget of l for the registry
// client and the gate's bundle verifiers, and its cancel function.
func withBudget(ctx context.Context, l Limits) (context.Context, context.CancelCauseFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	b := &verificationBudget{maxBytes: l.MaxFetchBytes, maxBundles: int64(l.MaxVerifiedBundles), cancel: cancel}
	ctx = context.WithValue(oci.WithReadBudget(ctx, b), budgetKey{}, b)
	return ctx, cancel
}

// Charge records n bytes read from the registry (oci.ReadBudget).
func (b *verificationBudget) Charge(n int64) error {
	if b.bytes.Add(n) > b.maxBytes {
		return b.exceeded(fmt.Errorf("%w: more than %d bytes read from the registry (Limits.MaxFetchBytes)", ErrBudgetExceeded, b.maxBytes))
	}
	return nil
}

func (b *verificationBudget) exceeded(err error) error {
	b.cancel(err)
	return err
}

// chargeBundle records one bundle about to be verified under ctx; nil when
// ctx carries no budget (inline bundles, bounded by Limits.MaxBundles).
func chargeBundle(ctx context.Context) error {
	b, _ := ctx.Value(budgetKey{}).(*verificationBudget)
	if b == nil || b.bundles.Add(1) <= b.maxBundles {
		return nil
	}
	return b.exceeded(fmt.Errorf("%w: more than %d bundles to verify (Limits.MaxVerifiedBundles)", ErrBudgetExceeded, b.maxBundles))
}
