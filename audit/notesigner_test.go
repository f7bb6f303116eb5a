package audit

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// kmsKey stands for a key held in a KMS: Public and Sign only.
type kmsKey struct{ k crypto.Signer }

func (h kmsKey) Public() crypto.PublicKey { return h.k.Public() }
func (h kmsKey) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	return h.k.Sign(r, d, o)
}

// testPQ stands for a post-quantum signature scheme (ML-DSA, say) plugged
// in through the note.Signer seam: signature type 0xff followed by its own
// identifier, as the signed-note specification reserves for unassigned
// types. The mathematics underneath is Ed25519 — the test proves the seam
// carries an algorithm the package does not know from end to end, not any
// post-quantum property.
const testPQType = "\xffztci-test-pq-v1"

type testPQSigner struct {
	name string
	key  ed25519.PrivateKey
}

func testPQHash(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.Sum256([]byte(name + "\n" + testPQType + string(pub)))
	return binary.BigEndian.Uint32(h[:4])
}

func (s testPQSigner) Name() string    { return s.name }
func (s testPQSigner) KeyHash() uint32 { return testPQHash(s.name, s.key.Public().(ed25519.PublicKey)) }
func (s testPQSigner) Sign(msg []byte) ([]byte, error) {
	return ed25519.Sign(s.key, append([]byte(testPQType), msg...)), nil
}

type testPQVerifier struct {
	name string
	pub  ed25519.PublicKey
}

func (v testPQVerifier) Name() string    { return v.name }
func (v testPQVerifier) KeyHash() uint32 { return testPQHash(v.name, v.pub) }
func (v testPQVerifier) Verify(msg, sig []byte) bool {
	return ed25519.Verify(v.pub, append([]byte(testPQType), msg...), sig)
}

func mustKey[K crypto.Signer](t *testing.T, k K, err error) crypto.Signer {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	return kmsKey{k}
}

// Every checkpoint algorithm the seam carries, through one path end to end:
// open with the signer, append, checkpoint, close, verify the file with the
// verifier alone (signatures, roots, inclusion), reopen and continue.
func TestCheckpointAlgorithms(t *testing.T) {
	t.Parallel()
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k256 := mustKey(t, p256, err)
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	k384 := mustKey(t, p384, err)
	p521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	k521 := mustKey(t, p521, err)
	pqKey := testKey(9)

	cases := map[string]func(t *testing.T) signerVerifier{
		"ed25519 crypto.Signer": func(t *testing.T) signerVerifier {
			s, v, err := NewCheckpointSigner(testOrigin, kmsKey{testKey(3)})
			if err != nil {
				t.Fatal(err)
			}
			return signerVerifier{s, v}
		},
		"ecdsa-p256": func(t *testing.T) signerVerifier { return fromSigner(t, k256) },
		"ecdsa-p384": func(t *testing.T) signerVerifier { return fromSigner(t, k384) },
		"ecdsa-p521": func(t *testing.T) signerVerifier { return fromSigner(t, k521) },
		"pq stand-in": func(t *testing.T) signerVerifier {
			v, err := NewNoteVerifier(testPQVerifier{testOrigin, pqKey.Public().(ed25519.PublicKey)})
			if err != nil {
				t.Fatal(err)
			}
			return signerVerifier{testPQSigner{testOrigin, pqKey}, v}
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sv := mk(t)
			path := filepath.Join(t.TempDir(), "audit.log")
			l, err := OpenWithSigner(t.Context(), path, sv.s, sv.v, WithCheckpointEvery(4), WithoutSyncUnsafe())
			if err != nil {
				t.Fatal(err)
			}
			var last Receipt
			for i := range 10 {
				if last, err = l.Append(t.Context(), testEvent(i)); err != nil {
					t.Fatal(err)
				}
			}
			cp, err := l.Checkpoint(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			p, err := l.InclusionProof(last.Index, cp.Size)
			if err != nil {
				t.Fatal(err)
			}
			if err := sv.v.Inclusion(cp, last.Index, last.Entry, p); err != nil {
				t.Fatalf("inclusion: %v", err)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := sv.v.Log(t.Context(), bytes.NewReader(b))
			if err != nil || rep.Entries != 10 || rep.Latest.Size != 10 || rep.Unsigned != 0 {
				t.Fatalf("Verifier.Log = %+v, %v", rep, err)
			}
			// The Ed25519 verifier of the same origin refuses it, and the
			// algorithm's own verifier refuses an Ed25519 checkpoint.
			if _, err := testVerifier(t).Log(t.Context(), bytes.NewReader(b)); !errors.Is(err, ErrCheckpointSignature) {
				t.Errorf("Ed25519 verifier on a %s log: %v, want ErrCheckpointSignature", name, err)
			}
			ed, _, _ := newSigner(testOrigin, testKey(1))
			edCP, err := signCheckpoint(ed, cp.Size, cp.Root)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sv.v.Checkpoint(edCP.Signed); !errors.Is(err, ErrCheckpointSignature) {
				t.Errorf("%s verifier accepted an Ed25519 checkpoint: %v", name, err)
			}
			l, err = OpenWithSigner(t.Context(), path, sv.s, sv.v, WithoutSyncUnsafe())
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			if _, err := l.Append(t.Context(), testEvent(10)); err != nil {
				t.Fatal(err)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// signerVerifier is a checkpoint signer and the verifier for it.
type signerVerifier struct {
	s note.Signer
	v *Verifier
}

func fromSigner(t *testing.T, k crypto.Signer) signerVerifier {
	t.Helper()
	s, v, err := NewCheckpointSigner(testOrigin, k)
	if err != nil {
		t.Fatal(err)
	}
	if v.VerifierKey() == "" {
		t.Error("no verifier key for an ECDSA checkpoint key")
	}
	return signerVerifier{s, v}
}

func TestCheckpointSignerRefusals(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for name, k := range map[string]crypto.Signer{"rsa": rsaKey, "p224": p224, "nil": nil} {
		if _, _, err := NewCheckpointSigner(testOrigin, k); !errors.Is(err, ErrConfig) {
			t.Errorf("NewCheckpointSigner(%s) = %v, want ErrConfig", name, err)
		}
	}
	if _, _, err := NewCheckpointSigner("bad origin", testKey(1)); !errors.Is(err, ErrConfig) {
		t.Errorf("origin with a space: %v, want ErrConfig", err)
	}
	if _, err := NewNoteVerifier(testPQVerifier{"a+b", nil}); !errors.Is(err, ErrConfig) {
		t.Errorf("NewNoteVerifier(a+b) = %v, want ErrConfig", err)
	}
	s1, _, _ := NewCheckpointSigner(testOrigin, testKey(1))
	_, v2, _ := NewCheckpointSigner(testOrigin, testKey(2))
	_, vOther, _ := NewCheckpointSigner("example.com/other", testKey(1))
	path := filepath.Join(t.TempDir(), "audit.log")
	for name, v := range map[string]*Verifier{"other key": v2, "other origin": vOther, "nil": nil} {
		if l, err := OpenWithSigner(t.Context(), path, s1, v); !errors.Is(err, ErrConfig) || l != nil {
			t.Errorf("OpenWithSigner with the verifier of %s = %v, want ErrConfig", name, err)
		}
	}
}
