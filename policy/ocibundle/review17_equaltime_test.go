package ocibundle_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/ocibundle"
)

// signTogether signs one statement about every digest in ds, attached to
// each: the bundles share one proven signing time, as bundles signed in
// the same second do under a TSA or log with one-second precision.
func signTogether(t *testing.T, s attest.Signer, ds ...name.Digest) {
	t.Helper()
	ctx := context.Background()
	var subjects []attest.ResourceDescriptor
	for _, d := range ds {
		desc, err := remote.Head(d)
		if err != nil {
			t.Fatal(err)
		}
		sub, err := attest.SubjectFromOCI(d.Context().Name(), attest.OCIDescriptor{MediaType: string(desc.MediaType), Digest: desc.Digest.String(), Size: desc.Size})
		if err != nil {
			t.Fatal(err)
		}
		subjects = append(subjects, sub)
	}
	st, err := attest.NewStatement(subjects, attest.Custom(predicate, []byte(`{"purpose":"policy"}`)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := attest.Sign(ctx, s, st)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if _, err := attach.Bundle(ctx, d, b, attach.WithKeychain(authn.NewMultiKeychain()),
			attach.WithRetryBackoff(remote.Backoff{Duration: time.Millisecond, Factor: 2, Steps: 2})); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReview17EqualTimeOtherBundle: a bundle signed at the same proven
// time as the floor was admitted whatever it was, so two bundles signed
// in one second (one revision "r2" built twice, a permissive one and a
// strict one) could be swapped at will by whoever moves the tag, and two
// replicas sharing a floor could run different policies. Now only the
// bundle that set the floor loads at that time; another is ErrRollback,
// on this replica and on any sharing the floor store.
func TestReview17EqualTimeOtherBundle(t *testing.T) {
	t.Parallel()
	l := newRollbackLab(t)
	strict, permissive := artifact(t, tarball(t, denyAll, "r2", nil)), artifact(t, tarball(t, allowAll, "r2", nil))
	sd, _ := push(t, l.tag, permissive)
	pd, _ := push(t, l.tag, strict) // the tag names the strict one
	signTogether(t, l.ss.certSigner(t, publisher), sd, pd)

	store := &memFloors{}
	e := newEngine(t, l.ss.source(t, l.tag, publisherID, ocibundle.WithFloorStore(store)))
	strictInForce := func(step string) {
		t.Helper()
		if dec, err := e.Evaluate(t.Context(), policy.Input{}); err != nil || dec.Allowed {
			t.Fatalf("%s: %v %v, want the strict bundle in force", step, dec, err)
		}
	}
	strictInForce("first load")

	l.retag(t, permissive, false)
	if err := e.Reload(t.Context()); !errors.Is(err, ocibundle.ErrRollback) {
		t.Fatalf("other bundle at the same time: got %v, want ErrRollback", err)
	}
	strictInForce("other bundle at the same time")
	if _, err := l.ss.source(t, l.tag, publisherID, ocibundle.WithFloorStore(store)).Load(t.Context()); !errors.Is(err, ocibundle.ErrRollback) {
		t.Fatalf("replica sharing the floor: got %v, want ErrRollback", err)
	}

	l.retag(t, strict, false)
	if err := e.Reload(t.Context()); err != nil {
		t.Fatalf("the bundle that set the floor: %v", err)
	}
	strictInForce("back on the bundle that set the floor")

	// Two replicas raced and the store kept the other bundle: this one
	// learns it on its next Load, though the tag did not move.
	store.mu.Lock()
	store.floor.Digest = sd.DigestStr()
	store.mu.Unlock()
	if err := e.Reload(t.Context()); !errors.Is(err, ocibundle.ErrRollback) {
		t.Fatalf("store holds the other bundle at the same time: got %v, want ErrRollback", err)
	}
}
