package oci

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
)

// budgetOf refuses past max bytes and records what it was charged.
type budgetOf struct{ max, used int64 }

var errOver = errors.New("over budget")

func (b *budgetOf) Charge(n int64) error {
	b.used += n
	if b.used > b.max {
		return errOver
	}
	return nil
}

func response(body []byte) *http.Response {
	return &http.Response{Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body))}
}

// Reads under a context carrying a ReadBudget are charged to it together,
// and the read that takes it past its bound fails with ErrReadBudget (an
// undecidable registry error, not a fault of one artifact) wrapping the
// budget's own error; each read alone is within its own limit.
func TestReview17ReadBudget(t *testing.T) {
	body := bytes.Repeat([]byte("x"), 40<<10)
	b := &budgetOf{max: 100 << 10}
	ctx := WithReadBudget(context.Background(), b)
	for i := range 2 {
		if got, err := readBounded(ctx, response(body), "blob", MaxBundleSize); err != nil || len(got) != len(body) {
			t.Fatalf("read %d within the budget: %d bytes, %v", i, len(got), err)
		}
	}
	_, err := readBounded(ctx, response(body), "blob", MaxBundleSize)
	if !errors.Is(err, ErrReadBudget) || !errors.Is(err, errOver) || !errors.Is(err, ErrRegistry) ||
		errors.Is(err, ErrTooLarge) || errors.Is(err, ErrMalformed) {
		t.Fatalf("read past the budget: %v; want ErrReadBudget wrapping the budget's error", err)
	}
	if b.used > b.max+int64(len(body)) {
		t.Errorf("charged %d bytes for a budget of %d", b.used, b.max)
	}
	// No budget: reads are bounded per read only, as before.
	if _, err := readBounded(context.Background(), response(body), "blob", MaxBundleSize); err != nil {
		t.Errorf("read without a budget: %v", err)
	}
}
