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
//
// Given other keys of the same KMS (wrappers with other key ids), it also
// checks that the wrapper uses its own key only: Unwrap refuses a data key
// another key wrapped, and an Envelope holding both keys refuses a record
// sealed under another key whose header names this one. A wrapper over a
// KMS whose ciphertexts name their key (AWS KMS Decrypt without KeyId)
// fails this unless it pins its key; one key alone cannot show it.
//
//	sealtest.Run(t, mykms.NewWrapper(client, keyA), mykms.NewWrapper(client, keyB))
package sealtest

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
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
func Run(t *testing.T, w seal.KeyWrapper, others ...seal.KeyWrapper) {
	t.Helper()
	if err := TestKeyWrapper(t.Context(), w, others...); err != nil {
		for _, e := range unjoin(err) {
			t.Error(e)
		}
	}
}

// TestKeyWrapper checks w and returns every violation found, joined; nil
// means w conforms. It calls Wrap and Unwrap a few dozen times. others are
// wrappers of other keys of the same KMS, if any: w must refuse what they
// wrapped (see the package documentation).
func TestKeyWrapper(ctx context.Context, w seal.KeyWrapper, others ...seal.KeyWrapper) error {
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
	for _, o := range others {
		errs = append(errs, checkOwnKeyOnly(ctx, w, o)...)
	}
	return errors.Join(errs...)
}

// checkOwnKeyOnly checks that w opens nothing other wrapped. The Envelope
// authenticates its header with the data key, but cannot tell which KEK
// gave that key back: if w's Unwrap opens a key other wrapped, whoever can
// wrap under other (encrypt with a key the KMS lets w's credentials
// decrypt) writes records that open as if sealed under w's key id.
func checkOwnKeyOnly(ctx context.Context, w, other seal.KeyWrapper) []error {
	if other == nil {
		return []error{errors.New("sealtest: nil other KeyWrapper")}
	}
	id, oid := w.KeyID(), other.KeyID()
	if id == oid {
		return []error{fmt.Errorf("sealtest: the other wrapper has the same key id %q; pass a wrapper of another key", id)}
	}
	var errs []error
	dek := make([]byte, seal.KeySize)
	if _, err := rand.Read(dek); err != nil {
		return []error{err}
	}
	wrapped, err := other.Wrap(ctx, bytes.Clone(dek))
	if err != nil {
		return []error{fmt.Errorf("sealtest: Wrap with other key %q: %w", oid, err)}
	}
	if got, err := w.Unwrap(ctx, wrapped); err == nil {
		errs = append(errs, fmt.Errorf("sealtest: Unwrap with key %q opened a data key wrapped by key %q (%d bytes); it must use its own key only", id, oid, len(got)))
	}
	// The same through an Envelope holding both keys: a record sealed
	// under other, relabelled with w's id and resealed with the same data
	// key (what whoever can wrap under other can build), must not open.
	env, err := seal.New(w, other)
	if err != nil {
		return append(errs, fmt.Errorf("sealtest: seal.New: %w", err))
	}
	forged, err := forge(id, wrapped, dek, []byte("sealtest-forged-record"), []byte("aad"))
	if err != nil {
		return append(errs, err)
	}
	if _, err := env.Open(ctx, forged, []byte("aad")); !errors.Is(err, seal.ErrOpen) {
		errs = append(errs, fmt.Errorf("sealtest: an Envelope opened a record naming key %q whose data key key %q wrapped (err %v)", id, oid, err))
	}
	return errs
}

// forge builds a version 1 record naming keyID around a wrapped data key,
// sealed with dek (see package seal's record format).
func forge(keyID string, wrapped, dek, plaintext, aad []byte) ([]byte, error) {
	hdr := []byte{'Z', 'S', 1, byte(len(keyID))}
	hdr = append(hdr, keyID...)
	hdr = append(hdr, byte(len(wrapped)>>8), byte(len(wrapped)))
	hdr = append(hdr, wrapped...)
	block, err := aes.NewCipher(dek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := append(bytes.Clone(hdr), nonce...)
	return gcm.Seal(out, nonce, plaintext, append(bytes.Clone(hdr), aad...)), nil
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
