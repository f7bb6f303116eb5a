package seal_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ztci/ztci/secrets/seal"
)

// leakyKMS is a KeyWrapper whose client errors quote what a real KMS
// client's may: a key URI with credentials, a token, the data key.
type leakyKMS struct {
	seal.Key
	wrapErr, unwrapErr error
}

func (k leakyKMS) Wrap(ctx context.Context, dek []byte) ([]byte, error) {
	if k.wrapErr != nil {
		return nil, k.wrapErr
	}
	return k.Key.Wrap(ctx, dek)
}

func (k leakyKMS) Unwrap(ctx context.Context, w []byte) ([]byte, error) {
	if k.unwrapErr != nil {
		return nil, k.unwrapErr
	}
	return k.Key.Unwrap(ctx, w)
}

// TestReview22WrapperErrorWithheld: Envelope passed a KeyWrapper's error
// text on in Seal's and Open's errors, which reach callers, job logs and
// error pages (the lease journal's Begin and Recover). Such an error now
// names its class, the operation and the configured key id; the wrapper's
// error stays reachable through errors.Is/As and WrapperError.Cause for an
// operator's log.
func TestReview22WrapperErrorWithheld(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	const secret = "CANARY-kms-7d1e" // a credential in a key URI, a token, key bytes
	leak := fmt.Errorf("kms: POST https://user:%s@kms.example/keys/1: %w", secret, context.DeadlineExceeded)
	base := mustKey(t, "kms/key-1", 4)
	sealed, err := mustLocal(t, base).Seal(ctx, []byte(canary), nil)
	if err != nil {
		t.Fatal(err)
	}
	tampered := fmt.Errorf("%w: ciphertext %s rejected", seal.ErrTampered, secret)
	for _, tc := range []struct {
		name   string
		w      leakyKMS
		class  error
		op     string
		isLeak error
	}{
		{"wrap", leakyKMS{Key: base, wrapErr: leak}, seal.ErrSeal, "wrap", leak},
		{"unwrap", leakyKMS{Key: base, unwrapErr: leak}, seal.ErrUnwrap, "unwrap", leak},
		{"unwrap tampered", leakyKMS{Key: base, unwrapErr: tampered}, seal.ErrTampered, "unwrap", tampered},
	} {
		e, err := seal.New(tc.w)
		if err != nil {
			t.Fatal(err)
		}
		if tc.op == "wrap" {
			_, err = e.Seal(ctx, []byte(canary), nil)
		} else {
			_, err = e.Open(ctx, sealed, nil)
		}
		if err == nil {
			t.Fatalf("%s: no error", tc.name)
		}
		for _, out := range []string{err.Error(), fmt.Sprintf("%+v %#v", err, err)} {
			if strings.Contains(out, secret) {
				t.Errorf("%s: error quotes the wrapper's error: %s", tc.name, out)
			}
		}
		noCanary(t, err)
		var we *seal.WrapperError
		if !errors.Is(err, tc.class) || !errors.Is(err, tc.isLeak) || !errors.As(err, &we) {
			t.Fatalf("%s: %v, want the class, the cause and a *WrapperError", tc.name, err)
		}
		if we.KeyID != "kms/key-1" || we.Op != tc.op || !strings.Contains(we.Cause().Error(), secret) {
			t.Errorf("%s: WrapperError %+v, cause %v", tc.name, we, we.Cause())
		}
		if tc.op == "unwrap" && !errors.Is(err, seal.ErrOpen) {
			t.Errorf("%s: %v does not wrap ErrOpen", tc.name, err)
		}
	}
}
