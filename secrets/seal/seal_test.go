package seal_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/ztci/ztci/secrets/seal"
)

const canary = "CANARY-plaintext-7f3e9a1c" // must never appear sealed or in errors

func mustKey(t testing.TB, id string, b byte) seal.Key {
	t.Helper()
	k, err := seal.NewKey(id, bytes.Repeat([]byte{b}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustLocal(t testing.TB, keys ...seal.Key) *seal.Envelope {
	t.Helper()
	e, err := seal.NewLocal(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func noCanary(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), canary) {
		t.Fatalf("error leaks the plaintext: %v", err)
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	e := mustLocal(t, mustKey(t, "k1", 1))
	ctx := t.Context()
	for _, pt := range [][]byte{nil, []byte(canary), bytes.Repeat([]byte("x"), 1<<16)} {
		sealed, err := e.Seal(ctx, pt, []byte("lease-1"))
		if err != nil {
			t.Fatal(err)
		}
		if len(pt) > 0 && bytes.Contains(sealed, pt) {
			t.Fatal("sealed record contains the plaintext")
		}
		got, err := e.Open(ctx, sealed, []byte("lease-1"))
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("Open = %q, %v", got, err)
		}
		if id, err := seal.KeyIDOf(sealed); err != nil || id != "k1" {
			t.Fatalf("KeyIDOf = %q, %v", id, err)
		}
	}
	a, _ := e.Seal(ctx, []byte(canary), nil)
	b, _ := e.Seal(ctx, []byte(canary), nil)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same plaintext are identical: data key or nonce reused")
	}
}

// A bit flip anywhere in a record must be refused, never yield plaintext.
func TestEveryBitFlipRefused(t *testing.T) {
	t.Parallel()
	e := mustLocal(t, mustKey(t, "k1", 1))
	ctx := t.Context()
	sealed, err := e.Seal(ctx, []byte(canary), []byte("ctx"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range len(sealed) * 8 {
		bad := bytes.Clone(sealed)
		bad[i/8] ^= 1 << (i % 8)
		pt, err := e.Open(ctx, bad, []byte("ctx"))
		if !errors.Is(err, seal.ErrOpen) || pt != nil {
			t.Fatalf("flip of bit %d: Open = %q, %v; want ErrOpen and no plaintext", i, pt, err)
		}
		noCanary(t, err)
	}
}

func TestTamperClasses(t *testing.T) {
	t.Parallel()
	e := mustLocal(t, mustKey(t, "k1", 1))
	ctx := t.Context()
	sealed, err := e.Seal(ctx, []byte(canary), []byte("ctx"))
	if err != nil {
		t.Fatal(err)
	}
	// Offsets follow the v1 layout: "ZS" 1 idLen "k1" wrappedLen(2) wrapped nonce body.
	const wrappedAt = 3 + 1 + 2 + 2
	tests := []struct {
		name string
		edit func([]byte) []byte
		want error
	}{
		{"magic", func(b []byte) []byte { b[0] ^= 1; return b }, seal.ErrMalformed},
		{"version", func(b []byte) []byte { b[2] = 2; return b }, seal.ErrMalformed},
		{"key id", func(b []byte) []byte { b[5] ^= 1; return b }, seal.ErrUnknownKey},
		{"wrapped key", func(b []byte) []byte { b[wrappedAt+20] ^= 1; return b }, seal.ErrTampered},
		{"ciphertext", func(b []byte) []byte { b[len(b)-tagOff] ^= 1; return b }, seal.ErrTampered},
		{"tag", func(b []byte) []byte { b[len(b)-1] ^= 1; return b }, seal.ErrTampered},
		{"truncated", func(b []byte) []byte { return b[:len(b)-17-len(canary)] }, seal.ErrMalformed},
		{"appended", func(b []byte) []byte { return append(b, 0) }, seal.ErrTampered},
		{"empty", func([]byte) []byte { return nil }, seal.ErrMalformed},
		{"wrong aad", func(b []byte) []byte { return b }, seal.ErrTampered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			aad := []byte("ctx")
			if tt.name == "wrong aad" {
				aad = []byte("other")
			}
			pt, err := e.Open(t.Context(), tt.edit(bytes.Clone(sealed)), aad)
			if !errors.Is(err, tt.want) || pt != nil {
				t.Fatalf("Open = %q, %v; want %v", pt, err, tt.want)
			}
			noCanary(t, err)
		})
	}
}

// tagOff reaches into the ciphertext proper, before the 16-byte tag.
const tagOff = 16 + 3

func TestWrongKeySameID(t *testing.T) {
	t.Parallel()
	sealed, err := mustLocal(t, mustKey(t, "k1", 1)).Seal(t.Context(), []byte(canary), nil)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := mustLocal(t, mustKey(t, "k1", 2)).Open(t.Context(), sealed, nil)
	if !errors.Is(err, seal.ErrTampered) || pt != nil {
		t.Fatalf("Open with other material under the same id = %q, %v; want ErrTampered", pt, err)
	}
	noCanary(t, err)
}

func TestRotation(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	k1, k2 := mustKey(t, "k1", 1), mustKey(t, "k2", 2)
	old, err := mustLocal(t, k1).Seal(ctx, []byte("old"), nil)
	if err != nil {
		t.Fatal(err)
	}
	rotated := mustLocal(t, k2, k1)
	if got, err := rotated.Open(ctx, old, nil); err != nil || string(got) != "old" {
		t.Fatalf("old record after rotation: %q, %v", got, err)
	}
	fresh, err := rotated.Seal(ctx, []byte("new"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := seal.KeyIDOf(fresh); id != "k2" || rotated.CurrentKeyID() != "k2" {
		t.Fatalf("new record under %q, want k2", id)
	}
	// Retiring k1 leaves its records unreadable, with a typed error.
	retired := mustLocal(t, k2)
	if _, err := retired.Open(ctx, old, nil); !errors.Is(err, seal.ErrUnknownKey) {
		t.Fatalf("record under a retired key: %v, want ErrUnknownKey", err)
	}
	if got, err := retired.Open(ctx, fresh, nil); err != nil || string(got) != "new" {
		t.Fatalf("new record: %q, %v", got, err)
	}
}

// Swapping two records between contexts (lease ids) is refused.
func TestRecordSwap(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e := mustLocal(t, mustKey(t, "k1", 1))
	a, _ := e.Seal(ctx, []byte("lease a"), []byte("lease-a"))
	b, _ := e.Seal(ctx, []byte("lease b"), []byte("lease-b"))
	if _, err := e.Open(ctx, a, []byte("lease-b")); !errors.Is(err, seal.ErrTampered) {
		t.Fatalf("a opened as b: %v", err)
	}
	if _, err := e.Open(ctx, b, []byte("lease-a")); !errors.Is(err, seal.ErrTampered) {
		t.Fatalf("b opened as a: %v", err)
	}
	// The wrapped data key of one record spliced into another is refused too.
	ha, _ := e.Seal(ctx, []byte("x"), nil)
	hb, _ := e.Seal(ctx, []byte("y"), nil)
	const hdr = 3 + 1 + 2 + 2 + 1 + 24 + 32 + 16 // local wrapped key: version+nonce+dek+tag
	spliced := append(bytes.Clone(hb[:hdr]), ha[hdr:]...)
	if _, err := e.Open(ctx, spliced, nil); !errors.Is(err, seal.ErrTampered) {
		t.Fatalf("spliced header: %v", err)
	}
}

// kms is a KMS-style wrapper double: it delegates to a local key but can
// fail like a remote service.
type kms struct {
	seal.Key
	unwrapErr error
	short     bool
}

func (k kms) Unwrap(ctx context.Context, w []byte) ([]byte, error) {
	if k.unwrapErr != nil {
		return nil, k.unwrapErr
	}
	dek, err := k.Key.Unwrap(ctx, w)
	if k.short && err == nil {
		return dek[:16], nil
	}
	return dek, err
}

func TestKeyWrapperSeam(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	base := mustKey(t, "kms/key-1", 3)
	ok, err := seal.New(kms{Key: base})
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := ok.Seal(ctx, []byte(canary), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ok.Open(ctx, sealed, nil); err != nil || string(got) != canary {
		t.Fatalf("Open = %q, %v", got, err)
	}
	down := errors.New("kms: unavailable")
	e, _ := seal.New(kms{Key: base, unwrapErr: down})
	if _, err := e.Open(ctx, sealed, nil); !errors.Is(err, seal.ErrUnwrap) || !errors.Is(err, down) {
		t.Fatalf("KMS failure: %v, want ErrUnwrap wrapping the cause", err)
	}
	e, _ = seal.New(kms{Key: base, short: true})
	if _, err := e.Open(ctx, sealed, nil); !errors.Is(err, seal.ErrTampered) {
		t.Fatalf("short data key: %v, want ErrTampered", err)
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	k := mustKey(t, "k", 1)
	tests := []struct {
		name string
		do   func() error
	}{
		{"no keys", func() error { _, err := seal.NewLocal(); return err }},
		{"zero key", func() error { _, err := seal.NewLocal(seal.Key{}); return err }},
		{"duplicate id", func() error { _, err := seal.NewLocal(k, mustKey(t, "k", 2)); return err }},
		{"nil current", func() error { _, err := seal.New(nil); return err }},
		{"nil previous", func() error { _, err := seal.New(k, nil); return err }},
		{"empty id", func() error { _, err := seal.NewKey("", make([]byte, 32)); return err }},
		{"long id", func() error { _, err := seal.NewKey(strings.Repeat("k", 256), make([]byte, 32)); return err }},
		{"short material", func() error { _, err := seal.NewKey("k", make([]byte, 16)); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := tt.do(); !errors.Is(err, seal.ErrConfig) {
				t.Fatalf("err = %v, want ErrConfig", err)
			}
		})
	}
}

// Key material never leaves a Key through printing, logging or JSON, nor
// through the errors of a failed NewKey.
func TestKeyRedacts(t *testing.T) {
	t.Parallel()
	material := []byte("KEYCANARY-0123456789abcdefghijkl") // 32 bytes
	k, err := seal.NewKey("k1", material)
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("key", "k", k)
	js, _ := json.Marshal(k)
	_, shortErr := seal.NewKey("k1", material[:31])
	for _, out := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", k, k, k, k), logged.String(), string(js), shortErr.Error()} {
		if strings.Contains(out, "KEYCANARY") {
			t.Fatalf("key material leaked: %s", out)
		}
	}
	if !strings.Contains(string(js), `"k1"`) {
		t.Fatalf("JSON lost the key id: %s", js)
	}
}

func FuzzOpen(f *testing.F) {
	e := mustLocal(f, mustKey(f, "k1", 1))
	valid, err := e.Seal(context.Background(), []byte(canary), []byte("aad"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(valid[:20])
	f.Add([]byte("ZS\x01\x02k1\x00\x01x"))
	f.Add([]byte("ZS\x01\xffk"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		pt, err := e.Open(context.Background(), data, []byte("aad"))
		if err != nil {
			if !errors.Is(err, seal.ErrOpen) || pt != nil {
				t.Fatalf("Open = %q, %v: errors must wrap ErrOpen and carry no plaintext", pt, err)
			}
			return
		}
		// Only a record this key sealed can authenticate.
		if string(pt) != canary {
			t.Fatalf("forged record opened: %q", pt)
		}
	})
}

func BenchmarkSeal1KiB(b *testing.B) {
	e := mustLocal(b, mustKey(b, "k1", 1))
	pt := make([]byte, 1024)
	b.ReportAllocs()
	b.SetBytes(int64(len(pt)))
	for b.Loop() {
		if _, err := e.Seal(b.Context(), pt, []byte("lease")); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen1KiB(b *testing.B) {
	e := mustLocal(b, mustKey(b, "k1", 1))
	sealed, _ := e.Seal(b.Context(), make([]byte, 1024), []byte("lease"))
	b.ReportAllocs()
	b.SetBytes(1024)
	for b.Loop() {
		if _, err := e.Open(b.Context(), sealed, []byte("lease")); err != nil {
			b.Fatal(err)
		}
	}
}
