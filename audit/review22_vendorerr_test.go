package audit_test

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/secrets/seal"
)

// review22Canary stands for what a KMS client's error may quote: a key URI
// with credentials, a token, the request's data.
const review22Canary = "CANARY-review22-awskms://AKIA:secret@kms/key"

// errReview22 is a vendor's typed error, to be matched with errors.Is.
var errReview22 = errors.New("kms client: " + review22Canary)

// review22KMSEncrypter is a KMS-backed Encrypter of a vendor's own (not a
// seal.Envelope) whose every failure quotes the canary.
type review22KMSEncrypter struct{ keyID string }

func (e review22KMSEncrypter) CurrentKeyID() string { return e.keyID }
func (review22KMSEncrypter) Seal(context.Context, []byte, []byte) ([]byte, error) {
	return nil, fmt.Errorf("seal: %w", errReview22)
}
func (review22KMSEncrypter) Open(context.Context, []byte, []byte) ([]byte, error) {
	return nil, fmt.Errorf("%w: %w", seal.ErrTampered, errReview22)
}

func review22NoCanary(t *testing.T, what string, err error) {
	t.Helper()
	for _, s := range []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), fmt.Sprintf("%s", err)} {
		if strings.Contains(s, "CANARY") {
			t.Errorf("%s: the vendor's error text reached ours: %s", what, s)
		}
	}
	if !errors.Is(err, errReview22) {
		t.Errorf("%s: errors.Is does not reach the vendor's error: %v", what, err)
	}
}

// TestReview22SealerWithholdsEncrypterError: a vendor's Encrypter error is
// classified and kept for errors.Is and Cause, never printed.
func TestReview22SealerWithholdsEncrypterError(t *testing.T) {
	t.Parallel()
	enc := review22KMSEncrypter{keyID: "kms-key-7"}
	s := newSealer(t, enc, sealedFields...)
	_, err := s.Apply(t.Context(), sealEvent("evt-1"))
	review22NoCanary(t, "Apply", err)
	var ee *audit.EncrypterError
	if !errors.Is(err, audit.ErrSeal) || !errors.Is(err, seal.ErrSeal) || !errors.As(err, &ee) {
		t.Fatalf("Apply: err = %v, want ErrSeal, seal.ErrSeal and an EncrypterError", err)
	}
	if ee.Op != "seal" || ee.KeyID != "kms-key-7" || !strings.Contains(err.Error(), `"kms-key-7"`) {
		t.Errorf("Apply: EncrypterError %+v, text %q: want op seal and the key id", *ee, err)
	}
	if !strings.Contains(ee.Cause().Error(), review22Canary) {
		t.Errorf("Cause lost the vendor's text: %v", ee.Cause())
	}

	// Opening: a value sealed by a real Envelope, opened by the failing one.
	sealed, err := newSealer(t, localEnvelope(t, genKey(t, "k1")), sealedFields...).Apply(t.Context(), sealEvent("evt-1"))
	if err != nil {
		t.Fatal(err)
	}
	for name, open := range map[string]func() error{
		"Unseal":        func() error { _, err := audit.Unseal(t.Context(), enc, sealed); return err },
		"Sealer.Unseal": func() error { _, err := s.Unseal(t.Context(), sealed); return err },
	} {
		err := open()
		review22NoCanary(t, name, err)
		if !errors.Is(err, audit.ErrUnseal) || !errors.Is(err, seal.ErrTampered) || !errors.As(err, &ee) || ee.Op != "open" {
			t.Errorf("%s: err = %v, want ErrUnseal, seal.ErrTampered and an EncrypterError", name, err)
		}
	}
}

// review22Signer is a KMS-held Ed25519 key whose client fails, quoting the
// canary, once fail is set.
type review22Signer struct {
	crypto.Signer
	fail *atomic.Bool
}

func (s review22Signer) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	if s.fail.Load() {
		return nil, fmt.Errorf("sign: %w", errReview22)
	}
	return s.Signer.Sign(r, d, o)
}

// TestReview22CheckpointSignerWithheld: a checkpoint signer's error is
// withheld both at OpenWithSigner's probe and when a checkpoint is signed.
func TestReview22CheckpointSignerWithheld(t *testing.T) {
	t.Parallel()
	const origin = "example.com/ztci/audit/review22"
	fail := new(atomic.Bool)
	s, v, err := audit.NewCheckpointSigner(origin, review22Signer{ed25519.NewKeyFromSeed(make([]byte, 32)), fail})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()

	fail.Store(true)
	_, err = audit.OpenWithSigner(t.Context(), filepath.Join(dir, "probe.log"), s, v)
	review22NoCanary(t, "OpenWithSigner", err)
	var se *audit.SignerError
	if !errors.Is(err, audit.ErrConfig) || !errors.As(err, &se) || se.Origin != origin || !strings.Contains(se.Cause().Error(), review22Canary) {
		t.Errorf("OpenWithSigner: err = %v, want ErrConfig and a SignerError with the cause", err)
	}

	fail.Store(false)
	l, err := audit.OpenWithSigner(t.Context(), filepath.Join(dir, "a.log"), s, v)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.Append(t.Context(), sealEvent("evt-1")); err != nil {
		t.Fatal(err)
	}
	fail.Store(true)
	_, err = l.Checkpoint(t.Context())
	review22NoCanary(t, "Checkpoint", err)
	if !errors.Is(err, audit.ErrSink) || !errors.As(err, &se) {
		t.Errorf("Checkpoint: err = %v, want ErrSink and a SignerError", err)
	}
}
