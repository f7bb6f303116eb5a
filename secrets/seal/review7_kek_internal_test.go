package seal

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"testing"
)

// A KEK must never encrypt under GCM with a random 96-bit nonce of its own:
// it wraps one data key per record, and after ~2^32 wraps (days for a busy
// audit sealer) a repeated nonce gives away its authentication key. A wrap
// that opens under the KEK's own GCM with its stored 12-byte nonce is
// exactly that construction.
func TestReview7KEKWrapIsNotRandomNonceGCM(t *testing.T) {
	t.Parallel()
	k, err := NewKey("k1", bytes.Repeat([]byte{7}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	dek := bytes.Repeat([]byte{9}, KeySize)
	w, err := k.Wrap(context.Background(), bytes.Clone(dek))
	if err != nil {
		t.Fatal(err)
	}
	if len(w) >= nonceLen+tagLen {
		if got, err := k.aes.Open(nil, w[:nonceLen], w[nonceLen:], k.kekAAD()); err == nil && bytes.Equal(got, dek) {
			t.Fatal("the data key is wrapped by AES-GCM under the KEK with a random 96-bit nonce")
		}
	}
	got, err := k.Unwrap(context.Background(), w)
	if err != nil || !bytes.Equal(got, dek) {
		t.Fatalf("Unwrap = %x, %v", got, err)
	}
}

// The derivation is XAES-256-GCM: the C2SP test vectors, both branches of
// the subkey doubling.
func TestReview7XAESVectors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		key  byte
		aad  string
		want string
	}{
		{1, "", "ce546ef63c9cc60765923609b33a9a1974e96e52daf2fcf7075e2271"},
		{3, "c2sp.org/XAES-256-GCM", "986ec1832593df5443a179437fd083bf3fdb41abd740a21f71eb769d"},
	} {
		k, err := NewKey("v", bytes.Repeat([]byte{tt.key}, KeySize))
		if err != nil {
			t.Fatal(err)
		}
		nonce := []byte("ABCDEFGHIJKLMNOPQRSTUVWX")
		gcm, err := k.derive(nonce)
		if err != nil {
			t.Fatal(err)
		}
		got := gcm.Seal(nil, nonce[12:], []byte("XAES-256-GCM"), []byte(tt.aad))
		if hex.EncodeToString(got) != tt.want {
			t.Errorf("key %#x: %x, want %s", tt.key, got, tt.want)
		}
	}
}

// Every byte of a wrapped key, and its length, is authenticated; a data
// key of the wrong size is not wrapped.
func TestReview7WrappedKeyTamper(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k, _ := NewKey("k1", bytes.Repeat([]byte{7}, KeySize))
	w, _ := k.Wrap(ctx, make([]byte, KeySize))
	for i := range w {
		b := bytes.Clone(w)
		b[i] ^= 0x80
		if _, err := k.Unwrap(ctx, b); !errors.Is(err, ErrOpen) {
			t.Fatalf("byte %d flipped: %v", i, err)
		}
	}
	for _, n := range []int{0, 1, len(w) - 1, legacyWrappedLen} {
		if _, err := k.Unwrap(ctx, w[:n]); !errors.Is(err, ErrOpen) {
			t.Fatalf("cut to %d bytes: %v", n, err)
		}
	}
	if _, err := k.Wrap(ctx, make([]byte, 16)); !errors.Is(err, ErrSeal) {
		t.Fatalf("16-byte data key: %v, want ErrSeal", err)
	}
}
