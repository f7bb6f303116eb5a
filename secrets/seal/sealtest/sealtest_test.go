package sealtest_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/secrets/seal"
	"github.com/ztci/ztci/secrets/seal/sealtest"
)

func TestLocalKeyConforms(t *testing.T) {
	t.Parallel()
	k, err := seal.GenerateKey("local")
	if err != nil {
		t.Fatal(err)
	}
	sealtest.Run(t, k)
}

// xorWrapper is a broken KMS: it does not authenticate (and it scribbles
// over the slice it wraps, which Envelope must survive).
type xorWrapper struct{}

func (xorWrapper) KeyID() string { return "xor" }
func (xorWrapper) Wrap(_ context.Context, dek []byte) ([]byte, error) {
	for i := range dek {
		dek[i] ^= 0x5a
	}
	return dek, nil
}
func (xorWrapper) Unwrap(_ context.Context, w []byte) ([]byte, error) {
	if len(w) != seal.KeySize {
		return nil, errors.New("bad wrapped key length")
	}
	out := make([]byte, len(w))
	for i := range w {
		out[i] = w[i] ^ 0x5a
	}
	return out, nil
}

// plainWrapper is a broken KMS: it stores the data key as it is.
type plainWrapper struct{}

func (plainWrapper) KeyID() string { return "plain" }
func (plainWrapper) Wrap(_ context.Context, dek []byte) ([]byte, error) {
	return append([]byte("v1:"), dek...), nil
}
func (plainWrapper) Unwrap(_ context.Context, w []byte) ([]byte, error) {
	if len(w) != 3+seal.KeySize || string(w[:3]) != "v1:" {
		return nil, errors.New("bad wrapped key")
	}
	return w[3:], nil
}

func TestBrokenWrappersCaught(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		w    seal.KeyWrapper
		want []string
	}{
		{"unauthenticated", xorWrapper{}, []string{"byte 0 flipped succeeded", "byte 31 flipped succeeded"}},
		// An Envelope refuses to seal with it (its records would carry
		// their own key): the Envelope check reports that too.
		{"stores the key in clear", plainWrapper{}, []string{"the wrapped key contains the data key", "Envelope.Seal"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := sealtest.TestKeyWrapper(t.Context(), tt.w)
			if err == nil {
				t.Fatal("a broken wrapper passed")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("missing finding %q in:\n%v", want, err)
				}
			}
			// Envelope copes with a wrapper that scribbles over its input.
			if tt.name != "stores the key in clear" && strings.Contains(err.Error(), "Envelope") {
				t.Errorf("Envelope check failed: %v", err)
			}
		})
	}
}
