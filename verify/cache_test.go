package verify_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ztci/ztci/verify"
)

func TestResultCache(t *testing.T) {
	t.Parallel()
	e := newEmbedded(t, time.Now)
	b := e.sign(t, rtArtifact)
	v, err := verify.New(e.trust, rtExpectation(), append(privateOpts, verify.WithResultCache(8))...)
	if err != nil {
		t.Fatal(err)
	}
	// A failure first: not cached, and does not poison the success.
	if _, err := v.Verify(t.Context(), b, verify.ArtifactBytes([]byte("other"))); !errors.Is(err, verify.ErrArtifactMismatch) {
		t.Fatalf("want ErrArtifactMismatch, got %v", err)
	}
	r1, err := v.Verify(t.Context(), b, verify.ArtifactBytes(rtArtifact))
	if err != nil {
		t.Fatal(err)
	}
	r2, err := v.Verify(t.Context(), b, verify.ArtifactBytes(rtArtifact))
	if err != nil || r2 != r1 {
		t.Fatalf("second call: want the cached result, got %p (err %v)", r2, err)
	}
	// Same bundle, another artifact: still a mismatch after the success.
	if _, err := v.Verify(t.Context(), b, verify.ArtifactBytes([]byte("other"))); !errors.Is(err, verify.ErrArtifactMismatch) {
		t.Fatalf("after a cached success, another artifact: want ErrArtifactMismatch, got %v", err)
	}
	// One changed byte in the bundle: another key, verified afresh (and
	// rejected).
	tampered := append([]byte(nil), b...)
	tampered[len(tampered)-3] ^= 1
	if _, err := v.Verify(t.Context(), tampered, verify.ArtifactBytes(rtArtifact)); err == nil {
		t.Fatal("tampered bundle verified")
	}
	// Another Verifier with another expectation does not see this cache.
	x := rtExpectation()
	x.Signer = verify.Identity{SAN: "https://other.example", Issuer: rtIssuer}
	v2, err := verify.New(e.trust, x, append(privateOpts, verify.WithResultCache(8))...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v2.Verify(t.Context(), b, verify.ArtifactBytes(rtArtifact)); !errors.Is(err, verify.ErrIdentityMismatch) {
		t.Fatalf("want ErrIdentityMismatch, got %v", err)
	}
}
