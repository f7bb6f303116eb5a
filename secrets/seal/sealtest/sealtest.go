// Package sealtest checks a vendor's [seal.KeyWrapper] (typically over a
// KMS) against the contract package seal relies on, the way testing/slogtest
// checks a slog.Handler.
//
//	func TestMyKMSWrapper(t *testing.T) {
//		sealtest.Run(t, mykms.NewWrapper(client, "arn:…:key/…"))
//	}
//
// The checks: the key id is usable; Wrap then Unwrap returns the data key;
// a changed, truncated or empty wrapped key fails to unwrap (never yields a
// key silently); the wrapped form and every error are free of the data key;
// wrapped keys fit [seal.MaxWrappedLen]; concurrent use works; and an
// [seal.Envelope] over the wrapper round-trips and refuses a changed record.
package sealtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ztci/ztci/secrets/seal"
)

// Run reports every failure of [TestKeyWrapper] as a test error.
func Run(t *testing.T, w seal.KeyWrapper) {
	t.Helper()
	if err := TestKeyWrapper(t.Context(), w); err != nil {
		for _, e := range unjoin(err) {
			t.Error(e)
		}
	}
}

// TestKeyWrapper checks w and returns every violation found, joined; nil
// means w conforms. It calls Wrap and Unwrap a few dozen times.
func TestKeyWrapper(ctx context.Context, w seal.KeyWrapper) error {
	if w == nil {
		return errors.New("sealtest: nil KeyWrapper")
	}
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf("sealtest: "+format, args...)) }
	if id := w.KeyID(); id == "" || len(id) > seal.MaxKeyIDLen {
		fail("KeyID is %d bytes, want 1..%d", len(id), seal.MaxKeyIDLen)
	}
	dek := make([]byte, seal.KeySize)
	if _, err := rand.Read(dek); err != nil {
		return err
	}
	leaks := func(what string, b []byte) {
		for _, form := range [][]byte{dek, []byte(hex.EncodeToString(dek)), []byte(base64.StdEncoding.EncodeToString(dek))} {
			if bytes.Contains(b, form) {
				fail("%s contains the data key", what)
				return
			}
		}
	}
	wrapped, err := w.Wrap(ctx, bytes.Clone(dek))
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("sealtest: Wrap: %w", err))...)
	}
	leaks("the wrapped key", wrapped)
	if len(wrapped) == 0 || len(wrapped) > seal.MaxWrappedLen {
		fail("wrapped key is %d bytes, want 1..%d", len(wrapped), seal.MaxWrappedLen)
	}
	got, err := w.Unwrap(ctx, bytes.Clone(wrapped))
	switch {
	case err != nil:
		fail("Unwrap of a fresh wrap: %v", err)
	case !bytes.Equal(got, dek):
		fail("Unwrap returned a different data key")
	}

	bad := map[string][]byte{"empty": {}, "truncated": wrapped[:len(wrapped)/2]}
	for _, i := range []int{0, len(wrapped) / 2, len(wrapped) - 1} {
		b := bytes.Clone(wrapped)
		b[i] ^= 0x01
		bad[fmt.Sprintf("byte %d flipped", i)] = b
	}
	for name, b := range bad {
		got, err := w.Unwrap(ctx, b)
		if err == nil {
			fail("Unwrap of a wrapped key with %s succeeded (%d bytes); it must fail", name, len(got))
			continue
		}
		leaks("the error of Unwrap ("+name+")", []byte(err.Error()))
	}

	var wg sync.WaitGroup
	var mu sync.Mutex
	for range 8 {
		wg.Go(func() {
			d := make([]byte, seal.KeySize)
			_, _ = rand.Read(d)
			wr, err := w.Wrap(ctx, bytes.Clone(d))
			if err == nil {
				var got []byte
				if got, err = w.Unwrap(ctx, wr); err == nil && !bytes.Equal(got, d) {
					err = errors.New("different data key")
				}
			}
			if err != nil {
				mu.Lock()
				fail("concurrent Wrap/Unwrap: %v", err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()

	errs = append(errs, checkEnvelope(ctx, w)...)
	return errors.Join(errs...)
}

func checkEnvelope(ctx context.Context, w seal.KeyWrapper) []error {
	env, err := seal.New(w)
	if err != nil {
		return []error{fmt.Errorf("sealtest: seal.New: %w", err)}
	}
	const plain = "sealtest-plaintext-canary"
	sealed, err := env.Seal(ctx, []byte(plain), []byte("aad"))
	if err != nil {
		return []error{fmt.Errorf("sealtest: Envelope.Seal: %w", err)}
	}
	var errs []error
	if got, err := env.Open(ctx, sealed, []byte("aad")); err != nil || string(got) != plain {
		errs = append(errs, fmt.Errorf("sealtest: Envelope.Open of a fresh record failed: %w", err))
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := env.Open(ctx, sealed, []byte("aad")); !errors.Is(err, seal.ErrOpen) {
		errs = append(errs, fmt.Errorf("sealtest: Envelope.Open of a changed record: %v, want seal.ErrOpen", err))
	} else if strings.Contains(err.Error(), plain) {
		errs = append(errs, errors.New("sealtest: an Open error contains the plaintext"))
	}
	return errs
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
