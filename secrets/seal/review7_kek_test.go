package seal_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/ztci/ztci/secrets/seal"
)

// legacyKey wraps as seal.Key did before XAES: 12-byte random nonce ||
// AES-256-GCM under the KEK with the same key-id binding.
type legacyKey struct {
	id  string
	gcm cipher.AEAD
}

func (l legacyKey) KeyID() string { return l.id }
func (l legacyKey) Wrap(_ context.Context, dek []byte) ([]byte, error) {
	nonce := make([]byte, 12)
	_, _ = rand.Read(nonce)
	return l.gcm.Seal(nonce, nonce, dek, append([]byte("ztci-seal-kek-v1\x00"), l.id...)), nil
}
func (l legacyKey) Unwrap(context.Context, []byte) ([]byte, error) {
	return nil, errors.New("unused")
}

// Records written before the change of wrapping still open with the same
// key material, and only with it.
func TestReview7LegacyWrappedRecordsOpen(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	material := bytes.Repeat([]byte{5}, seal.KeySize)
	block, _ := aes.NewCipher(material)
	gcm, _ := cipher.NewGCM(block)
	old, err := seal.New(legacyKey{"k1", gcm})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := old.Seal(ctx, []byte("lease record"), []byte("aad"))
	if err != nil {
		t.Fatal(err)
	}
	k, _ := seal.NewKey("k1", material)
	env, _ := seal.NewLocal(k)
	if got, err := env.Open(ctx, rec, []byte("aad")); err != nil || string(got) != "lease record" {
		t.Fatalf("legacy record: %q, %v", got, err)
	}
	other, _ := seal.NewKey("k1", bytes.Repeat([]byte{6}, seal.KeySize))
	wrong, _ := seal.NewLocal(other)
	if _, err := wrong.Open(ctx, rec, []byte("aad")); !errors.Is(err, seal.ErrTampered) {
		t.Fatalf("legacy record under other material: %v, want ErrTampered", err)
	}
}
