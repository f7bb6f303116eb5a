package verify_test

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/ztci/ztci/verify"
)

// rotatingTrust is trust material that a refresh swaps, as sigstore-go's
// root.LiveTrustedRoot does.
type rotatingTrust struct {
	cur atomic.Pointer[root.TrustedMaterial]
}

func newRotatingTrust(m root.TrustedMaterial) *rotatingTrust {
	r := &rotatingTrust{}
	r.cur.Store(&m)
	return r
}

func (r *rotatingTrust) rotate(m root.TrustedMaterial) { r.cur.Store(&m) }
func (r *rotatingTrust) get() root.TrustedMaterial     { return *r.cur.Load() }

func (r *rotatingTrust) TimestampingAuthorities() []root.TimestampingAuthority {
	return r.get().TimestampingAuthorities()
}

func (r *rotatingTrust) FulcioCertificateAuthorities() []root.CertificateAuthority {
	return r.get().FulcioCertificateAuthorities()
}
func (r *rotatingTrust) RekorLogs() map[string]*root.TransparencyLog { return r.get().RekorLogs() }
func (r *rotatingTrust) CTLogs() map[string]*root.TransparencyLog    { return r.get().CTLogs() }
func (r *rotatingTrust) PublicKeyVerifier(hint string) (root.TimeConstrainedVerifier, error) {
	return r.get().PublicKeyVerifier(hint)
}

// TestResultCacheRefusesRefreshingTrust: a result cached under a refreshing
// root outlived the refresh. A bundle verified once under a root holding
// its CA and TSA was still answered from the cache after the root was
// rotated to one holding neither (a compromised CA removed), where a fresh
// verification fails. New now refuses WithResultCache over trust material
// that is not a static snapshot (ErrConfig), and keeps accepting a
// trusted root and a Trust.
func TestResultCacheRefusesRefreshingTrust(t *testing.T) {
	t.Parallel()
	e := newEmbedded(t, time.Now)
	b := e.sign(t, rtArtifact)
	other := newEmbedded(t, time.Now) // another CA and TSA: the rotated root

	live := newRotatingTrust(e.plain)
	v, err := verify.New(live, rtExpectation(), append(privateOpts, verify.WithResultCache(8))...)
	if err == nil {
		if _, err := v.Verify(t.Context(), b, verify.ArtifactBytes(rtArtifact)); err != nil {
			t.Fatal(err)
		}
		live.rotate(other.plain)
		_, err := v.Verify(t.Context(), b, verify.ArtifactBytes(rtArtifact))
		t.Fatalf("WithResultCache over a refreshing root was accepted; after rotating the CA out, Verify returned err=%v", err)
	}
	if !errors.Is(err, verify.ErrConfig) {
		t.Fatalf("want ErrConfig, got %v", err)
	}

	// Without the cache the rotation takes effect.
	live.rotate(e.plain)
	v, err = verify.New(live, rtExpectation(), privateOpts...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(t.Context(), b, verify.ArtifactBytes(rtArtifact)); err != nil {
		t.Fatal(err)
	}
	live.rotate(other.plain)
	if _, err := v.Verify(t.Context(), b, verify.ArtifactBytes(rtArtifact)); err == nil {
		t.Fatal("verified under a root without the bundle's CA")
	}

	// Static material keeps its cache.
	for _, m := range []root.TrustedMaterial{e.plain, e.trust} {
		if _, err := verify.New(m, rtExpectation(), append(privateOpts, verify.WithResultCache(8))...); err != nil {
			t.Errorf("%T: %v", m, err)
		}
	}
}
