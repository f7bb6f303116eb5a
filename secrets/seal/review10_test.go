package seal_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ztci/ztci/secrets/seal"
	"github.com/ztci/ztci/secrets/seal/sealtest"
)

// fakeKMS is a KMS whose ciphertexts name the key that made them, as AWS
// KMS's do: Decrypt without a key id opens a ciphertext of any key the
// caller may use.
type fakeKMS struct{ keys map[string]cipher.AEAD }

func newFakeKMS(t *testing.T, ids ...string) *fakeKMS {
	t.Helper()
	k := &fakeKMS{keys: map[string]cipher.AEAD{}}
	for _, id := range ids {
		material := make([]byte, 32)
		rand.Read(material)
		block, err := aes.NewCipher(material)
		if err != nil {
			t.Fatal(err)
		}
		k.keys[id], _ = cipher.NewGCM(block)
	}
	return k
}

// encrypt returns idLen | id | nonce | AES-GCM(pt, aad = id).
func (k *fakeKMS) encrypt(id string, pt []byte) ([]byte, error) {
	gcm, ok := k.keys[id]
	if !ok {
		return nil, errors.New("kms: no such key")
	}
	out := append([]byte{byte(len(id))}, id...)
	nonce := make([]byte, gcm.NonceSize())
	rand.Read(nonce)
	out = append(out, nonce...)
	return gcm.Seal(out, nonce, pt, []byte(id)), nil
}

// decrypt opens a ciphertext under the key it names; with keyID set, only
// under that key (AWS KMS Decrypt with KeyId: IncorrectKeyException).
func (k *fakeKMS) decrypt(keyID string, ct []byte) ([]byte, error) {
	if len(ct) < 1 || len(ct) < 1+int(ct[0])+12+16 {
		return nil, fmt.Errorf("%w: kms: malformed ciphertext", seal.ErrMalformed)
	}
	id := string(ct[1 : 1+ct[0]])
	if keyID != "" && id != keyID {
		return nil, fmt.Errorf("%w: kms: ciphertext of another key", seal.ErrTampered)
	}
	gcm, ok := k.keys[id]
	if !ok {
		return nil, errors.New("kms: no such key")
	}
	body := ct[1+ct[0]:]
	pt, err := gcm.Open(nil, body[:12], body[12:], []byte(id))
	if err != nil {
		return nil, fmt.Errorf("%w: kms: invalid ciphertext", seal.ErrTampered)
	}
	return pt, nil
}

// kmsKey is a KeyWrapper over one key of the KMS. pinned passes the key id
// to Decrypt, as the KeyWrapper contract requires.
type kmsKey struct {
	kms    *fakeKMS
	id     string
	pinned bool
}

func (w kmsKey) KeyID() string { return w.id }
func (w kmsKey) Wrap(_ context.Context, dek []byte) ([]byte, error) {
	return w.kms.encrypt(w.id, dek)
}
func (w kmsKey) Unwrap(_ context.Context, wrapped []byte) ([]byte, error) {
	if w.pinned {
		return w.kms.decrypt(w.id, wrapped)
	}
	return w.kms.decrypt("", wrapped)
}

// forgeRecord builds a version 1 record that names keyID but carries a
// data key wrapped by another key: what whoever may encrypt under that
// other key (one the service's KMS credentials may also decrypt with) can
// write, choosing the data key itself.
func forgeRecord(t *testing.T, keyID string, wrapped, dek, plaintext, aad []byte) []byte {
	t.Helper()
	hdr := []byte{'Z', 'S', 1, byte(len(keyID))}
	hdr = append(hdr, keyID...)
	hdr = binary.BigEndian.AppendUint16(hdr, uint16(len(wrapped)))
	hdr = append(hdr, wrapped...)
	block, _ := aes.NewCipher(dek)
	gcm, _ := cipher.NewGCM(block)
	nonce := make([]byte, 12)
	rand.Read(nonce)
	return gcm.Seal(append(bytes.Clone(hdr), nonce...), nonce, plaintext, append(bytes.Clone(hdr), aad...))
}

// TestReview10KMSKeyConfusion: a record naming the journal's key A whose
// data key was wrapped under another key B of the same KMS (which an
// attacker may encrypt with) must not open. The Envelope cannot tell which
// KEK gave the data key back; the KeyWrapper contract (Unwrap uses its own
// KEK only) is what refuses it, so the conformance kit must catch a
// wrapper that breaks it: sealtest passed such a wrapper, since one key
// alone cannot show it.
func TestReview10KMSKeyConfusion(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	kms := newFakeKMS(t, "journal-A", "tenant-B")
	dek := make([]byte, seal.KeySize)
	rand.Read(dek)
	wrappedByB, err := kms.encrypt("tenant-B", dek)
	if err != nil {
		t.Fatal(err)
	}
	forged := forgeRecord(t, "journal-A", wrappedByB, dek, []byte(`{"op":"revoke","lease":"x"}`), []byte("aad"))

	pinned, err := seal.New(kmsKey{kms, "journal-A", true})
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := pinned.Open(ctx, forged, []byte("aad")); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("a record naming key A with a data key wrapped by key B opened (%q, %v)", pt, err)
	}

	// A genuine record of key B relabelled as key A fails on the header
	// AAD, whatever the wrapper.
	envB, _ := seal.New(kmsKey{kms, "tenant-B", true})
	real, err := envB.Seal(ctx, []byte("record"), []byte("aad"))
	if err != nil {
		t.Fatal(err)
	}
	relabelled := bytes.Replace(real, []byte("\x08tenant-B"), []byte("\x09journal-A"), 1)
	for _, w := range []kmsKey{{kms, "journal-A", true}, {kms, "journal-A", false}} {
		env, _ := seal.New(w)
		if _, err := env.Open(ctx, relabelled, []byte("aad")); !errors.Is(err, seal.ErrOpen) {
			t.Errorf("pinned=%v: a relabelled record opened: %v", w.pinned, err)
		}
	}

	// The wrapper that breaks the contract is what lets the forgery in...
	lax, _ := seal.New(kmsKey{kms, "journal-A", false})
	if _, err := lax.Open(ctx, forged, []byte("aad")); err != nil {
		t.Fatalf("the forgery needs a lax wrapper to open; this one refused it: %v", err)
	}
	// ...and the conformance kit catches it, given another key of the KMS,
	if err := sealtest.TestKeyWrapper(ctx, kmsKey{kms, "journal-A", false}, kmsKey{kms, "tenant-B", false}); err == nil ||
		!strings.Contains(err.Error(), "own key only") || !strings.Contains(err.Error(), "an Envelope opened a record") {
		t.Fatalf("sealtest passed a wrapper that opens another key's data keys: %v", err)
	}
	// while the pinned wrapper and local keys pass.
	if err := sealtest.TestKeyWrapper(ctx, kmsKey{kms, "journal-A", true}, kmsKey{kms, "tenant-B", true}); err != nil {
		t.Fatalf("a pinned KMS wrapper fails sealtest: %v", err)
	}
	a, _ := seal.GenerateKey("a")
	b, _ := seal.GenerateKey("b")
	if err := sealtest.TestKeyWrapper(ctx, a, b); err != nil {
		t.Fatalf("local keys fail sealtest: %v", err)
	}
	if err := sealtest.TestKeyWrapper(ctx, a, a); err == nil {
		t.Fatal("sealtest accepted the same key as the other key")
	}
}
