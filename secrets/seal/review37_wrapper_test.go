package seal_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ztci/ztci/secrets/seal"
)

// inPlace is a KeyWrapper that decrypts in place, a common Go idiom
// (gcm.Open(wrapped[:0], ...)): the data key it returns is a view of the
// slice it was given.
type inPlace struct{ seal.Key }

func (k inPlace) Unwrap(ctx context.Context, w []byte) ([]byte, error) {
	dek, err := k.Key.Unwrap(ctx, w)
	if err != nil {
		return nil, err
	}
	n := copy(w, dek)
	return w[:n], nil
}

// TestReview37UnwrapGetsACopy: Open hands the wrapper a copy of the wrapped
// key, so a wrapper that decrypts in place neither writes the data key into
// the caller's record nor has it cleared there afterwards.
func TestReview37UnwrapGetsACopy(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e, err := seal.New(inPlace{mustKey(t, "kms/in-place", 7)})
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := e.Seal(ctx, []byte(canary), []byte("lease-1"))
	if err != nil {
		t.Fatal(err)
	}
	orig := bytes.Clone(sealed)
	for i := range 2 {
		got, err := e.Open(ctx, sealed, []byte("lease-1"))
		if err != nil || string(got) != canary {
			t.Fatalf("Open #%d = %q, %v", i, got, err)
		}
		if !bytes.Equal(sealed, orig) {
			t.Fatalf("Open #%d changed the caller's record", i)
		}
	}
}

// drifting is a KeyWrapper whose KeyID changes after New (a KMS alias that
// resolves to its newest version, a wrapper configured twice).
type drifting struct {
	seal.Key
	id *atomic.Pointer[string]
}

func (d drifting) KeyID() string { return *d.id.Load() }

// TestReview37SealUsesTheCheckedKeyID: Seal never writes a key id other than
// the one New checked and registered: an id that drifted to another key's
// id would make the record open with (or be refused by) the wrong key, and
// one past MaxKeyIDLen would overflow its length byte. Seal refuses instead
// of writing a record that never opens.
func TestReview37SealUsesTheCheckedKeyID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, id string }{
		{"another key's id", "kms/old"},
		{"too long", strings.Repeat("k", seal.MaxKeyIDLen+1)},
		{"256 bytes (length byte 0)", strings.Repeat("k", 256)},
		{"empty", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			var id atomic.Pointer[string]
			first := "kms/current"
			id.Store(&first)
			cur := drifting{mustKey(t, "kms/current", 1), &id}
			e, err := seal.New(cur, mustKey(t, "kms/old", 2))
			if err != nil {
				t.Fatal(err)
			}
			id.Store(&tc.id)
			sealed, err := e.Seal(ctx, []byte(canary), nil)
			if !errors.Is(err, seal.ErrSeal) {
				got, oerr := e.Open(ctx, sealed, nil)
				t.Fatalf("Seal after the key id changed: err %v (record opens: %q, %v), want ErrSeal", err, got, oerr)
			}
			if e.CurrentKeyID() != first {
				t.Fatalf("CurrentKeyID = %q, want the id New registered", e.CurrentKeyID())
			}
		})
	}
}

// plainWrapper is a KeyWrapper that "wraps" by returning the data key in
// clear inside its framing: a no-op wrapper left in from development, or a
// KMS wrapper returning GenerateDataKey's Plaintext field where it meant
// CiphertextBlob.
type plainWrapper struct {
	id             string
	prefix, suffix []byte
	encode         func([]byte) []byte
}

func (p plainWrapper) KeyID() string { return p.id }
func (p plainWrapper) Wrap(_ context.Context, dek []byte) ([]byte, error) {
	if p.encode != nil {
		dek = p.encode(dek)
	}
	return append(append(bytes.Clone(p.prefix), dek...), p.suffix...), nil
}
func (p plainWrapper) Unwrap(_ context.Context, w []byte) ([]byte, error) {
	if len(w) < len(p.prefix)+len(p.suffix)+seal.KeySize {
		return nil, seal.ErrMalformed
	}
	return bytes.Clone(w[len(p.prefix) : len(w)-len(p.suffix)]), nil
}

// TestReview37WrapperReturningTheKeyRefused: a record carries its wrapped
// data key; if the wrapper handed the key back in clear, every record
// Seal wrote opened for anyone who reads it, and nothing said so. Seal
// refuses a wrapped key that contains the data key.
func TestReview37WrapperReturningTheKeyRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		w    plainWrapper
	}{
		{"identity", plainWrapper{id: "noop"}},
		{"framed", plainWrapper{id: "kms/plaintext-field", prefix: []byte("\x01\x02kms-envelope-v1"), suffix: []byte("trailer")}},
		{"suffix only", plainWrapper{id: "kms/suffix", suffix: bytes.Repeat([]byte{0}, 100)}},
		{"marshalled GenerateDataKey answer", plainWrapper{id: "kms/json", prefix: []byte(`{"CiphertextBlob":"AQID","Plaintext":"`), suffix: []byte(`"}`),
			encode: func(b []byte) []byte { return []byte(base64.StdEncoding.EncodeToString(b)) }}},
		{"base64url", plainWrapper{id: "kms/b64url", encode: func(b []byte) []byte { return []byte(base64.URLEncoding.EncodeToString(b)) }}},
		{"hex", plainWrapper{id: "kms/hex", encode: func(b []byte) []byte { return []byte(hex.EncodeToString(b)) }}},
		{"HEX", plainWrapper{id: "kms/HEX", encode: func(b []byte) []byte { return []byte(strings.ToUpper(hex.EncodeToString(b))) }}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, err := seal.New(tc.w)
			if err != nil {
				t.Fatal(err)
			}
			sealed, err := e.Seal(t.Context(), []byte(canary), nil)
			if !errors.Is(err, seal.ErrSeal) || sealed != nil {
				t.Fatalf("Seal with a wrapper returning the key in clear = %d bytes, %v; want ErrSeal", len(sealed), err)
			}
		})
	}
}
