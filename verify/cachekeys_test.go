package verify_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/verify"
)

// TestResultCacheRefusesTrustWithChangingKeys: NewTrust copies CAs, TSAs
// and logs but cannot copy public keys (root.TrustedMaterial cannot list
// them), so a *Trust over key material that changes still answered keyed
// bundles with whatever the material held at the time, and New accepted it
// as static for WithResultCache. With WithAnySignerUnsafe, where the
// material's keys decide a keyed bundle, a result verified under a key was
// still answered from the cache after the key was removed. New now refuses
// that combination (ErrConfig), and keeps accepting the cache over a Trust
// of trusted roots only, and over changing keys with a signer expectation.
func TestResultCacheRefusesTrustWithChangingKeys(t *testing.T) {
	t.Parallel()
	e := newEmbedded(t, time.Now)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	s, err := attest.NewKeySigner(key, attest.WithEmbeddedTimestampAuthority(e.tsa.Handler()))
	if err != nil {
		t.Fatal(err)
	}
	b, err := attest.Sign(t.Context(), s, rtStatement(t, rtArtifact))
	if err != nil {
		t.Fatal(err)
	}
	sv, err := signature.LoadVerifier(key.Public(), crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	var held atomic.Bool // whether the key material holds the key
	held.Store(true)
	keys := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
		if !held.Load() {
			return nil, errors.New("key removed")
		}
		return root.NewExpiringKey(sv, time.Time{}, time.Time{}), nil
	})
	trust, err := verify.NewTrust(e.plain, keys)
	if err != nil {
		t.Fatal(err)
	}
	anySigner := rtExpectation()
	anySigner.Signer = nil
	cached := append(privateOpts, verify.WithAnySignerUnsafe(), verify.WithResultCache(8))

	v, err := verify.New(trust, anySigner, cached...)
	if err == nil {
		if _, err := v.Verify(t.Context(), b, verify.ArtifactBytes(rtArtifact)); err != nil {
			t.Fatal(err)
		}
		held.Store(false)
		_, err := v.Verify(t.Context(), b, verify.ArtifactBytes(rtArtifact))
		t.Fatalf("WithResultCache over a Trust with changing keys was accepted; after removing the key, Verify returned err=%v", err)
	}
	if !errors.Is(err, verify.ErrConfig) {
		t.Fatalf("want ErrConfig, got %v", err)
	}

	// Keys of trusted roots only are static.
	nested, err := verify.NewTrust(e.trust, e.plain)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []root.TrustedMaterial{e.plain, e.trust, nested} {
		if _, err := verify.New(m, anySigner, cached...); err != nil {
			t.Errorf("%T: %v", m, err)
		}
	}
	// A signer expectation keeps the material's keys out of the decision.
	pinned := rtExpectation()
	pinned.Signer = verify.PublicKey{Key: key.Public()}
	if _, err := verify.New(trust, pinned, append(privateOpts, verify.WithResultCache(8))...); err != nil {
		t.Errorf("PublicKey expectation: %v", err)
	}
	if _, err := verify.New(trust, rtExpectation(), append(privateOpts, verify.WithResultCache(8))...); err != nil {
		t.Errorf("Identity expectation: %v", err)
	}
}
