package ocibundle_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/internal/oci/ocitest"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/ocibundle"
	"github.com/ztci/ztci/verify"
)

// offsetClock reads the real time shifted by an offset the test moves.
type offsetClock struct{ d atomic.Int64 }

func (c *offsetClock) set(d time.Duration) { c.d.Store(int64(d)) }
func (c *offsetClock) now() time.Time      { return time.Now().Add(time.Duration(c.d.Load())) }

// TestReview17MaxAge: a signed bundle never expired, so a replica whose
// registry went away, or was kept on the bundle in force while newer ones
// were held back, decided with that policy for ever. With WithMaxAge a
// bundle whose proven signing time is older is refused with ErrStale
// (policy.ErrExpired), and so is every failed Load while the bundle in
// force is that old, so the Engine stops deciding; the publisher signing
// the same manifest again brings it back.
func TestReview17MaxAge(t *testing.T) {
	t.Parallel()
	// The TSA proves times three hours in the past at first; a keyed
	// publisher, as a certificate would not be valid then.
	signClock := &offsetClock{}
	signClock.set(-3 * time.Hour)
	ss := newSigstore(t, tsa.WithClock(signClock.now))
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	var down atomic.Bool
	reg := ocitest.Start(t, ocitest.GGCRReferrers, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if down.Load() {
				http.Error(w, "down", http.StatusServiceUnavailable)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	tag := reg.Ref(t, "policies:live")
	d := pushBundle(t, tag, allowAll, "r1")
	sign(t, ss.keySigner(t, key), d, d) // signed at now-3h

	clock := &offsetClock{}
	clock.set(-3 * time.Hour) // the replica's now: just after the signature
	src := ss.source(t, tag, verify.PublicKey{Key: key.Public()},
		ocibundle.WithMaxAge(time.Hour), ocibundle.WithClock(clock.now))
	e := newEngine(t, src)
	decides := func(step string) {
		t.Helper()
		if dec, err := e.Evaluate(t.Context(), policy.Input{}); err != nil || !dec.Allowed {
			t.Fatalf("%s: %v %v", step, dec, err)
		}
	}
	stale := func(step string, also error) {
		t.Helper()
		err := e.Reload(t.Context())
		if !errors.Is(err, ocibundle.ErrStale) || !errors.Is(err, policy.ErrExpired) || !errors.Is(err, policy.ErrLoad) ||
			also != nil && !errors.Is(err, also) {
			t.Fatalf("%s: reload got %v, want ErrStale", step, err)
		}
		if dec, err := e.Evaluate(t.Context(), policy.Input{}); !errors.Is(err, policy.ErrNoDecision) || dec.Allowed {
			t.Fatalf("%s: decided %v %v with an expired policy", step, dec, err)
		}
	}
	decides("fresh")

	clock.set(-time.Hour + time.Minute) // two hours after the signature
	stale("tag unchanged, no new signature", nil)

	signClock.set(-time.Hour)
	sign(t, ss.keySigner(t, key), d, d) // the publisher signs it again
	if err := e.Reload(t.Context()); err != nil {
		t.Fatalf("signed again: %v", err)
	}
	decides("signed again")

	down.Store(true)
	if err := e.Reload(t.Context()); errors.Is(err, ocibundle.ErrStale) || !errors.Is(err, ocibundle.ErrRegistry) {
		t.Fatalf("registry down, bundle fresh: %v, want ErrRegistry alone", err)
	}
	decides("registry down, bundle fresh")
	clock.set(time.Minute)
	stale("registry down, bundle stale", ocibundle.ErrRegistry)

	// A bundle already too old is refused before it sets a floor.
	down.Store(false)
	old := pushBundle(t, reg.Ref(t, "policies:old"), denyAll, "r0")
	signClock.set(-3 * time.Hour)
	sign(t, ss.keySigner(t, key), old, old)
	store := &memFloors{}
	_, err := ss.source(t, reg.Ref(t, "policies:old"), verify.PublicKey{Key: key.Public()},
		ocibundle.WithMaxAge(time.Hour), ocibundle.WithFloorStore(store)).Load(t.Context())
	if !errors.Is(err, ocibundle.ErrStale) {
		t.Fatalf("bundle signed 3h ago, max age 1h: %v", err)
	}
	if f, _ := store.ReadFloor(t.Context()); !f.SignedAt.IsZero() {
		t.Errorf("a stale bundle raised the floor to %v", f)
	}

	for _, bad := range []ocibundle.Option{ocibundle.WithMaxAge(0), ocibundle.WithMaxAge(-time.Second), ocibundle.WithClock(nil)} {
		if _, err := ocibundle.New(tag, ss.trust, verify.Expectation{Signer: publisherID, PredicateType: predicate}, bad); !errors.Is(err, ocibundle.ErrConfig) {
			t.Errorf("bad option: %v", err)
		}
	}
}
