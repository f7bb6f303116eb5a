package oci

import (
	"context"
	"fmt"
	"io"
)

// ErrReadBudget: a read would take more than the ReadBudget its context
// carries allows. It wraps ErrRegistry and none of the finer sentinels that
// describe one artifact (ErrTooLarge, ErrMalformed, …), so verify/image
// treats it as an image it cannot decide, never as one rejected attestation:
// what is left unread must not leave a verdict of what fitted.
var ErrReadBudget = fmt.Errorf("%w: read budget exhausted", ErrRegistry)

// ReadBudget is charged with every byte of a response body a Client reads
// under a context that carries it ([WithReadBudget]): manifests, indexes,
// referrers listings and blobs, as they arrive. A caller bounds what one
// operation (one image verification) may take from registries, which the
// per-read limits alone do not: hundreds of referrers of 8 MiB each are
// each within them. Charge is called from the reading goroutine and must be
// safe for concurrent use when the context is shared.
type ReadBudget interface {
	// Charge records n more bytes. An error stops the read; the Client's
	// call fails with it, wrapped in ErrReadBudget.
	Charge(n int64) error
}

type readBudgetKey struct{}

// WithReadBudget returns ctx carrying b for every read a Client makes under it.
func WithReadBudget(ctx context.Context, b ReadBudget) context.Context {
	return context.WithValue(ctx, readBudgetKey{}, b)
}

func readBudgetOf(ctx context.Context) ReadBudget {
	b, _ := ctx.Value(readBudgetKey{}).(ReadBudget)
	return b
}

// chargedReader charges b with what it reads and stops at b's first refusal.
type chargedReader struct {
	r   io.Reader
	b   ReadBudget
	err error // the budget's refusal
}

func (c *chargedReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		if cerr := c.b.Charge(int64(n)); cerr != nil {
			c.err = cerr
			return n, cerr
		}
	}
	return n, err
}
