package seal_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/ztci/ztci/secrets/seal"
)

// Key material, plaintext and data keys never reach text: every fmt verb
// of a Key and an Envelope, slog, JSON, and every error of Open.
func TestReview7NothingSecretPrinted(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	material := []byte("canary-kek-material-0123456789ab")
	k, err := seal.NewKey("k1", material)
	if err != nil {
		t.Fatal(err)
	}
	env, _ := seal.NewLocal(k)
	const plain = "canary-plaintext-value"
	rec, _ := env.Seal(ctx, []byte(plain), []byte("aad"))
	var out bytes.Buffer
	for _, v := range []any{k, env, &k, struct{ K seal.Key }{k}} {
		fmt.Fprintf(&out, "%v %+v %#v %s %q %x %X %d %08b|", v, v, v, v, v, v, v, v, v)
	}
	slog.New(slog.NewTextHandler(&out, nil)).Info("m", "k", k, "env", env)
	slog.New(slog.NewJSONHandler(&out, nil)).Info("m", "k", k, "env", env)
	other, _ := seal.GenerateKey("k1")
	wrong, _ := seal.NewLocal(other)
	for _, b := range [][]byte{rec, rec[:len(rec)-1], append(bytes.Clone(rec[:len(rec)-1]), rec[len(rec)-1]^1)} {
		for _, e := range []*seal.Envelope{env, wrong} {
			if _, err := e.Open(ctx, b, []byte("other")); err != nil {
				out.WriteString(err.Error())
			}
		}
	}
	text := out.String()
	words := [][]byte{material[:16], material[16:], []byte(plain)}
	for _, w := range words {
		for _, form := range []string{string(w), fmt.Sprintf("%x", w), fmt.Sprintf("%X", w), fmt.Sprint([]byte(w))[1:20]} {
			if strings.Contains(text, form) {
				t.Fatalf("%q printed in:\n%s", form, text)
			}
		}
	}
	// The expanded AES key schedule starts with the material as 32-bit words.
	for i := 0; i+4 <= len(material); i += 4 {
		w := uint32(material[i])<<24 | uint32(material[i+1])<<16 | uint32(material[i+2])<<8 | uint32(material[i+3])
		if strings.Contains(text, fmt.Sprint(w)) {
			t.Fatalf("key schedule word %d printed", w)
		}
	}
}

// A zero or nil Envelope fails with a typed error instead of panicking.
func TestReview7ZeroEnvelope(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	var zero seal.Envelope
	if _, err := zero.Seal(ctx, []byte("x"), nil); !errors.Is(err, seal.ErrSeal) {
		t.Fatalf("zero Seal: %v", err)
	}
	var nilEnv *seal.Envelope
	if _, err := nilEnv.Seal(ctx, []byte("x"), nil); !errors.Is(err, seal.ErrSeal) {
		t.Fatalf("nil Seal: %v", err)
	}
	k, _ := seal.GenerateKey("k1")
	env, _ := seal.NewLocal(k)
	rec, _ := env.Seal(ctx, []byte("x"), nil)
	for _, e := range []*seal.Envelope{&zero, nilEnv} {
		if _, err := e.Open(ctx, rec, nil); !errors.Is(err, seal.ErrUnknownKey) {
			t.Fatalf("Open: %v, want ErrUnknownKey", err)
		}
	}
}
