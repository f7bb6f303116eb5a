package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// review32BigSigner signs with an Ed25519 signature padded to size bytes,
// standing for a post-quantum scheme with large signatures (SLH-DSA-256f
// signs in 49 856 bytes) plugged in through OpenWithSigner.
type review32BigSigner struct {
	testPQSigner
	size int
}

func (s review32BigSigner) Sign(msg []byte) ([]byte, error) {
	sig, _ := s.testPQSigner.Sign(msg)
	return append(sig, make([]byte, s.size-len(sig))...), nil
}

type review32BigVerifier struct {
	testPQVerifier
	size int
}

func (v review32BigVerifier) Verify(msg, sig []byte) bool {
	return len(sig) == v.size && bytes.Equal(sig[ed25519.SignatureSize:], make([]byte, v.size-ed25519.SignatureSize)) &&
		v.testPQVerifier.Verify(msg, sig[:ed25519.SignatureSize])
}

// TestReview32LineOverflow: a Log must never write a line that its own
// reader refuses as longer than maxLine. A checkpoint line is the base64
// of the signed note, which grows with the origin and the signature: a
// signer with large signatures, or a long origin, made every checkpoint
// line unreadable, so the log was written (and appends acknowledged) but
// could never be verified nor opened again. Open and OpenWithSigner must
// refuse such a configuration with ErrConfig before writing anything.
func TestReview32LineOverflow(t *testing.T) {
	t.Parallel()
	key := testKey(3)
	pub := key.Public().(ed25519.PublicKey)
	longOrigin := "example.com/" + strings.Repeat("o", MaxEventSize/2)
	for _, tc := range []struct {
		name string
		open func(ctx context.Context, path string) (*Log, error)
	}{
		{"large signatures", func(ctx context.Context, path string) (*Log, error) {
			const size = 49856
			v, err := NewNoteVerifier(review32BigVerifier{testPQVerifier{testOrigin, pub}, size})
			if err != nil {
				return nil, err
			}
			return OpenWithSigner(ctx, path, review32BigSigner{testPQSigner{testOrigin, key}, size}, v, WithoutSyncUnsafe())
		}},
		{"long origin", func(ctx context.Context, path string) (*Log, error) {
			return Open(ctx, path, longOrigin, key, WithoutSyncUnsafe())
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "audit.log")
			l, err := tc.open(t.Context(), path)
			if err != nil {
				if !errors.Is(err, ErrConfig) {
					t.Fatalf("Open: %v, want ErrConfig", err)
				}
				if _, serr := os.Stat(path); !errors.Is(serr, os.ErrNotExist) {
					t.Fatalf("refused configuration left a file behind: %v", serr)
				}
				return
			}
			// Accepted: then the log it writes must read back.
			if _, err := l.Append(t.Context(), testEvent(1)); err != nil {
				l.Close()
				t.Fatalf("Append: %v", err)
			}
			if err := l.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := l.Verifier().Log(t.Context(), bytes.NewReader(b)); err != nil {
				t.Fatalf("the log the Log wrote does not verify: %v", err)
			}
			l2, err := tc.open(t.Context(), path)
			if err != nil {
				t.Fatalf("reopen of the log the Log wrote: %v", err)
			}
			l2.Close()
		})
	}
}

// review32GrowingSigner signs normally until grow is set, then with
// signatures of 60 000 bytes: a KMS that changed its key version to a
// scheme with large signatures, after Open checked the signer.
type review32GrowingSigner struct {
	testPQSigner
	grow *atomic.Bool
}

func (s review32GrowingSigner) Sign(msg []byte) ([]byte, error) {
	sig, _ := s.testPQSigner.Sign(msg)
	if s.grow.Load() {
		sig = append(sig, make([]byte, 60000)...)
	}
	return sig, nil
}

type review32GrowingVerifier struct{ testPQVerifier }

func (v review32GrowingVerifier) Verify(msg, sig []byte) bool {
	return len(sig) >= ed25519.SignatureSize && v.testPQVerifier.Verify(msg, sig[:ed25519.SignatureSize])
}

// TestReview32LineOverflowLater: a checkpoint whose line would exceed the
// log's line limit fails its batch with ErrSink and writes nothing of it,
// like a checkpoint the verifier refuses, so the file stays readable.
func TestReview32LineOverflowLater(t *testing.T) {
	t.Parallel()
	key := testKey(4)
	grow := new(atomic.Bool)
	v, err := NewNoteVerifier(review32GrowingVerifier{testPQVerifier{testOrigin, key.Public().(ed25519.PublicKey)}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "audit.log")
	l, err := OpenWithSigner(t.Context(), path, review32GrowingSigner{testPQSigner{testOrigin, key}, grow}, v, WithoutSyncUnsafe())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.Append(t.Context(), testEvent(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Checkpoint(t.Context()); err != nil {
		t.Fatal(err)
	}
	grow.Store(true)
	if _, err := l.Append(t.Context(), testEvent(2)); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Checkpoint(t.Context()); !errors.Is(err, ErrSink) {
		t.Fatalf("Checkpoint with an over-long line: %v, want ErrSink", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyIntegrityOnlyUnsafe(t.Context(), bytes.NewReader(b)); err != nil {
		t.Fatalf("the file no longer reads: %v", err)
	}
}
