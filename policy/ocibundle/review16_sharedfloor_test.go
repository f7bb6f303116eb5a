package ocibundle_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/ocibundle"
)

// TestReview16SharedFloorCachedDigest: replicas share a floor store so
// that "none activates a bundle older than one any of them activated".
// A Source returned the bundle it verified last without looking at the
// floor again whenever the reference still resolved to its digest, so a
// replica the registry (a tag moved back by someone who can push, a
// registry replica or cache answering with the older manifest) kept on
// the older bundle stayed on it after another replica had activated a
// newer one, every reload succeeding: no error, nothing logged or
// audited. Now it is refused with ErrRollback (the Engine keeps the policy
// in force, and says so in LastReloadError), and a store that cannot be
// read refuses it too, as it refuses any other bundle.
func TestReview16SharedFloorCachedDigest(t *testing.T) {
	t.Parallel()
	l := newRollbackLab(t)
	old := l.publish(t, allowAll, "r1")
	store := &memFloors{}
	a := l.ss.source(t, l.tag, publisherID, ocibundle.WithFloorStore(store))
	b := l.ss.source(t, l.tag, publisherID, ocibundle.WithFloorStore(store))

	e := newEngine(t, a) // replica A activates r1
	newer := l.publish(t, denyAll, "r2")
	if got, err := b.Load(t.Context()); err != nil || got.Revision != revisionOf(t, "r2", newer) {
		t.Fatalf("replica B: %v", err)
	}

	// The registry answers replica A with the older manifest again.
	l.retag(t, old, false)
	err := e.Reload(t.Context())
	if !errors.Is(err, ocibundle.ErrRollback) || !errors.Is(err, policy.ErrLoad) {
		t.Fatalf("replica A on r1 after B activated r2: got %v, want ErrRollback", err)
	}
	if !errors.Is(e.LastReloadError(), ocibundle.ErrRollback) {
		t.Errorf("LastReloadError: %v", e.LastReloadError())
	}

	// A store that cannot be read refuses the cached bundle as well.
	c := &memFloors{}
	src := l.ss.source(t, l.tag, publisherID, ocibundle.WithFloorStore(c))
	if _, err := src.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	c.readErr = errors.New("store down")
	c.mu.Unlock()
	if _, err := src.Load(t.Context()); !errors.Is(err, ocibundle.ErrFloorStore) {
		t.Errorf("cached digest, store down: got %v, want ErrFloorStore", err)
	}
	c.mu.Lock()
	c.readErr = nil
	c.mu.Unlock()
	if _, err := src.Load(t.Context()); err != nil {
		t.Errorf("cached digest, store back: %v", err)
	}
}
