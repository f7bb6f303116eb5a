package ocibundle_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/internal/oci/ocitest"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/ocibundle"
)

// steppingClock is a TSA clock at least one second later at every call,
// so that bundles signed one after another have distinct proven times
// however fast the test runs. It starts at the real time and never falls
// behind it: the TSA's certificate starts at its first reading, and the
// signing time inside a token (which digitorus/timestamp takes from the
// real clock) must fall within it.
func steppingClock() func() time.Time {
	var mu sync.Mutex
	var last time.Time
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now := time.Now()
		if !last.IsZero() && now.Before(last.Add(time.Second)) {
			now = last.Add(time.Second)
		}
		last = now
		return now
	}
}

// rollbackLab is a registry tag and bundles pushed to it, each kept as an
// image so that the tag can be moved back to the same digest.
type rollbackLab struct {
	ss  *sigstore
	tag name.Reference
}

func newRollbackLab(t *testing.T) *rollbackLab {
	t.Helper()
	reg := ocitest.Start(t, ocitest.GGCRReferrers, nil)
	return &rollbackLab{ss: newSigstore(t, tsa.WithClock(steppingClock())), tag: reg.Ref(t, "policies:live")}
}

// publish builds a bundle of rego with revision rev, pushes it to the tag
// and signs it as the publisher; it returns the image to re-tag later.
func (l *rollbackLab) publish(t *testing.T, rego, rev string) v1.Image {
	t.Helper()
	img := artifact(t, tarball(t, rego, rev, nil))
	l.retag(t, img, true)
	return img
}

// retag points the tag at img again, signing it anew when resign is set.
func (l *rollbackLab) retag(t *testing.T, img v1.Image, resign bool) {
	t.Helper()
	d, _ := push(t, l.tag, img)
	if resign {
		sign(t, l.ss.certSigner(t, publisher), d, d)
	}
}

func revisionOf(t *testing.T, rev string, img v1.Image) string {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return rev + "@" + d.String()
}

// TestRollbackRefused: once a newer bundle is in force, moving the tag back
// to an older bundle of the same publisher is refused with ErrRollback and
// the newer policy stays in force; a refusal does not raise the floor, so a
// still newer bundle loads; signing the old bundle again is the deliberate
// way back.
func TestRollbackRefused(t *testing.T) {
	t.Parallel()
	l := newRollbackLab(t)
	old := l.publish(t, allowAll, "r1")
	e := newEngine(t, l.ss.source(t, l.tag, publisherID))
	inForce := func(step string, img v1.Image, rev string) {
		t.Helper()
		dec, err := e.Evaluate(t.Context(), policy.Input{})
		if err != nil || dec.Revision != revisionOf(t, rev, img) {
			t.Fatalf("%s: %v %v, want %s in force", step, dec, err, rev)
		}
	}
	inForce("first load", old, "r1")

	newer := l.publish(t, denyAll, "r2")
	if err := e.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	inForce("newer bundle", newer, "r2")

	l.retag(t, old, false)
	err := e.Reload(t.Context())
	if !errors.Is(err, ocibundle.ErrRollback) || !errors.Is(err, policy.ErrLoad) {
		t.Fatalf("tag moved back: got %v, want ErrRollback", err)
	}
	inForce("tag moved back", newer, "r2")

	newest := l.publish(t, allowAll, "r3")
	if err := e.Reload(t.Context()); err != nil {
		t.Fatalf("newest after a refused rollback: %v", err)
	}
	inForce("newest bundle", newest, "r3")

	l.retag(t, old, true)
	if err := e.Reload(t.Context()); err != nil {
		t.Fatalf("old bundle signed again: %v", err)
	}
	inForce("old bundle signed again", old, "r1")
}

// memFloors is a FloorStore in memory that can be made to fail.
type memFloors struct {
	mu             sync.Mutex
	floor          Floor
	readErr, upErr error
}

type Floor = ocibundle.Floor

func (m *memFloors) ReadFloor(context.Context) (Floor, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.floor, m.readErr
}

func (m *memFloors) RaiseFloor(_ context.Context, f Floor) (Floor, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.upErr != nil {
		return Floor{}, m.upErr
	}
	if m.floor.SignedAt.Before(f.SignedAt) {
		m.floor = f
	}
	return m.floor, nil
}

// TestFloorOutlivesSource: with a floor store, a new Source (a restarted
// replica) refuses a bundle older than one an earlier Source returned,
// still loads that same bundle, and refuses everything when the store
// fails. Without one, a new Source starts with no floor, as documented.
func TestFloorOutlivesSource(t *testing.T) {
	t.Parallel()
	l := newRollbackLab(t)
	old := l.publish(t, allowAll, "r1")
	newer := l.publish(t, denyAll, "r2")

	file, err := ocibundle.NewFileFloorStore(filepath.Join(t.TempDir(), "floor.json"))
	if err != nil {
		t.Fatal(err)
	}
	for name, store := range map[string]ocibundle.FloorStore{"memory": &memFloors{}, "file": file} {
		t.Run(name, func(t *testing.T) {
			l.retag(t, newer, false)
			if _, err := l.ss.source(t, l.tag, publisherID, ocibundle.WithFloorStore(store)).Load(t.Context()); err != nil {
				t.Fatal(err)
			}
			b, err := l.ss.source(t, l.tag, publisherID, ocibundle.WithFloorStore(store)).Load(t.Context())
			if err != nil || b.Revision != revisionOf(t, "r2", newer) {
				t.Fatalf("restart on the bundle that set the floor: %v", err)
			}
			l.retag(t, old, false)
			if _, err := l.ss.source(t, l.tag, publisherID, ocibundle.WithFloorStore(store)).Load(t.Context()); !errors.Is(err, ocibundle.ErrRollback) {
				t.Fatalf("restart on an older bundle: got %v, want ErrRollback", err)
			}
			if _, err := l.ss.source(t, l.tag, publisherID).Load(t.Context()); err != nil {
				t.Fatalf("a Source without a store has no floor yet: %v", err)
			}
		})
	}

	boom := errors.New("store down")
	for name, store := range map[string]*memFloors{"read fails": {readErr: boom}, "raise fails": {upErr: boom}} {
		src := l.ss.source(t, l.tag, publisherID, ocibundle.WithFloorStore(store))
		if _, err := src.Load(t.Context()); !errors.Is(err, ocibundle.ErrFloorStore) || !errors.Is(err, boom) || !errors.Is(err, policy.ErrLoad) {
			t.Errorf("%s: got %v, want ErrFloorStore wrapping the cause", name, err)
		}
	}
}

// TestFileFloorStore: the file keeps the later floor across stores, and a
// file that does not hold a floor is an error, never the zero floor.
func TestFileFloorStore(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "floor.json")
	s, err := ocibundle.NewFileFloorStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if f, err := s.ReadFloor(ctx); err != nil || !f.SignedAt.IsZero() {
		t.Fatalf("missing file: %v %v, want the zero floor", f, err)
	}
	later := Floor{SignedAt: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC), Digest: "sha256:" + strings.Repeat("b", 64)}
	earlier := Floor{SignedAt: later.SignedAt.Add(-time.Hour), Digest: "sha256:" + strings.Repeat("a", 64)}
	for _, f := range []Floor{later, earlier} {
		if got, err := s.RaiseFloor(ctx, f); err != nil || !got.SignedAt.Equal(later.SignedAt) || got.Digest != later.Digest {
			t.Fatalf("raise to %v: %v %v, want %v kept", f, got, err, later)
		}
	}
	again, _ := ocibundle.NewFileFloorStore(path)
	if f, err := again.ReadFloor(ctx); err != nil || !f.SignedAt.Equal(later.SignedAt) || f.Digest != later.Digest {
		t.Fatalf("reopened: %v %v, want %v", f, err, later)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("floor file mode: %v %v", fi, err)
	}
	for name, body := range map[string]string{
		"empty": "", "not JSON": "floor", "no time": `{"digest":"sha256:aa"}`,
		"unknown field": `{"signedAt":"2026-12-06T10:00:00Z","digest":"","extra":1}`,
		"two values":    `{"signedAt":"2026-12-06T10:00:00Z"}{}`,
		"too large":     `{"signedAt":"2026-12-06T10:00:00Z","digest":"` + string(make([]byte, 5000)) + `"}`,
	} {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if f, err := s.ReadFloor(ctx); err == nil {
			t.Errorf("%s: read %v, want an error", name, f)
		}
		if _, err := s.RaiseFloor(ctx, later); err == nil {
			t.Errorf("%s: raised over a file it cannot read", name)
		}
	}
	if _, err := ocibundle.NewFileFloorStore(""); !errors.Is(err, ocibundle.ErrConfig) {
		t.Errorf("empty path: %v", err)
	}
}
