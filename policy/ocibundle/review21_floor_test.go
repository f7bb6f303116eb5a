package ocibundle_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/ocibundle"
)

// racingFloors holds the first two ReadFloor calls until both were made,
// so that two Sources each read the floor before either raises it: the
// window in which one replica reads, another raises, and the first raises
// on a stale view. When first is set, a raise of any other digest waits
// until first's raise returned, to fix the order of the two raises.
type racingFloors struct {
	ocibundle.FloorStore
	first string

	mu        sync.Mutex
	reads     int
	bothRead  chan struct{}
	firstDone chan struct{}
}

func newRacingFloors(inner ocibundle.FloorStore, first string) *racingFloors {
	return &racingFloors{FloorStore: inner, first: first, bothRead: make(chan struct{}), firstDone: make(chan struct{})}
}

func (r *racingFloors) ReadFloor(ctx context.Context) (Floor, error) {
	f, err := r.FloorStore.ReadFloor(ctx)
	r.mu.Lock()
	if r.reads++; r.reads == 2 {
		close(r.bothRead)
	}
	r.mu.Unlock()
	return f, errors.Join(err, wait(ctx, r.bothRead))
}

func (r *racingFloors) RaiseFloor(ctx context.Context, f Floor) (Floor, error) {
	if r.first == "" {
		return r.FloorStore.RaiseFloor(ctx, f)
	}
	if f.Digest != r.first {
		if err := wait(ctx, r.firstDone); err != nil {
			return Floor{}, err
		}
		return r.FloorStore.RaiseFloor(ctx, f)
	}
	defer close(r.firstDone)
	return r.FloorStore.RaiseFloor(ctx, f)
}

func wait(ctx context.Context, ch <-chan struct{}) error {
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(30 * time.Second):
		return errors.New("the other Source never reached the store")
	}
}

// floorStores returns a fresh store of each implementation.
func floorStores(t *testing.T) map[string]ocibundle.FloorStore {
	t.Helper()
	file, err := ocibundle.NewFileFloorStore(filepath.Join(t.TempDir(), "floor.json"))
	if err != nil {
		t.Fatal(err)
	}
	return map[string]ocibundle.FloorStore{"memory": &memFloors{}, "file": file}
}

// loadBoth loads a and b at once and returns their errors.
func loadBoth(ctx context.Context, a, b *ocibundle.Source) (errA, errB error) {
	var wg sync.WaitGroup
	wg.Go(func() { _, errA = a.Load(ctx) })
	wg.Go(func() { _, errB = b.Load(ctx) })
	wg.Wait()
	return errA, errB
}

// TestReview21FloorRaceEqualTime: two replicas sharing a floor store,
// served two bundles signed at the same instant (the tag moved between
// their resolves, or two registry replicas), both read the empty floor,
// then both raised it: the store kept whichever wrote last, and both
// Loads succeeded, so the fleet ran a strict and a permissive policy
// under one floor until the next reload. Now the store's raise is decisive:
// the first recorded wins, and the other replica refuses its bundle with
// ErrRollback, now and on every later Load.
func TestReview21FloorRaceEqualTime(t *testing.T) {
	t.Parallel()
	l := newRollbackLab(t)
	other := l.tag.Context().Tag("other")
	sd, _ := push(t, l.tag, artifact(t, tarball(t, denyAll, "r2", nil)))
	pd, _ := push(t, other, artifact(t, tarball(t, allowAll, "r2", nil)))
	signTogether(t, l.ss.certSigner(t, publisher), sd, pd)

	for name, inner := range floorStores(t) {
		t.Run(name, func(t *testing.T) {
			store := newRacingFloors(inner, "")
			a := l.ss.source(t, l.tag, publisherID, ocibundle.WithFloorStore(store))
			// B follows the same tag, and the registry answers it as it
			// answers for other (see servedAs): a floor is one
			// reference's (Floor.Ref).
			b := l.ss.source(t, l.tag, publisherID, ocibundle.WithFloorStore(store), servedAs(l.tag, other))
			errA, errB := loadBoth(t.Context(), a, b)
			winner, loser, errLoser, want := a, b, errB, sd
			if errA != nil {
				winner, loser, errLoser, want = b, a, errA, pd
			}
			if errors.Is(errA, ocibundle.ErrRollback) == errors.Is(errB, ocibundle.ErrRollback) || !errors.Is(errLoser, ocibundle.ErrRollback) {
				t.Fatalf("racing replicas: A %v, B %v; want exactly one ErrRollback", errA, errB)
			}
			if f, err := inner.ReadFloor(t.Context()); err != nil || f.Digest != want.DigestStr() {
				t.Fatalf("store holds %v %v, want the winner %s", f, err, want.DigestStr())
			}
			if _, err := winner.Load(t.Context()); err != nil {
				t.Errorf("winner reloads: %v", err)
			}
			if _, err := loser.Load(t.Context()); !errors.Is(err, ocibundle.ErrRollback) {
				t.Errorf("loser reloads: got %v, want ErrRollback", err)
			}
		})
	}
}

// TestReview21FloorRaceStaleView: replica A read the floor, replica B
// raised it to r2, then A raised it to r1, signed before r2: the store
// kept r2 but said nothing, and A activated r1, older than the bundle B
// runs. Now the store returns r2 and A refuses r1 with ErrRollback.
func TestReview21FloorRaceStaleView(t *testing.T) {
	t.Parallel()
	l := newRollbackLab(t)
	other := l.tag.Context().Tag("other")
	l.publish(t, allowAll, "r1")
	newer := artifact(t, tarball(t, denyAll, "r2", nil))
	nd, _ := push(t, other, newer)
	sign(t, l.ss.certSigner(t, publisher), nd, nd)

	for name, inner := range floorStores(t) {
		t.Run(name, func(t *testing.T) {
			store := newRacingFloors(inner, nd.DigestStr())
			a := l.ss.source(t, l.tag, publisherID, ocibundle.WithFloorStore(store))
			// B follows the same tag, and the registry answers it as it
			// answers for other (see servedAs): a floor is one
			// reference's (Floor.Ref).
			b := l.ss.source(t, l.tag, publisherID, ocibundle.WithFloorStore(store), servedAs(l.tag, other))
			errA, errB := loadBoth(t.Context(), a, b)
			if errB != nil {
				t.Fatalf("replica B on r2: %v", errB)
			}
			if !errors.Is(errA, ocibundle.ErrRollback) || !errors.Is(errA, policy.ErrLoad) {
				t.Fatalf("replica A on r1 after B raised to r2: got %v, want ErrRollback", errA)
			}
			if f, err := inner.ReadFloor(t.Context()); err != nil || f.Digest != nd.DigestStr() {
				t.Fatalf("store holds %v %v, want r2 (%s)", f, err, nd.DigestStr())
			}
		})
	}
}

// scriptedFloors is a store that reads floor and answers every raise
// with raise(f).
type scriptedFloors struct {
	floor Floor
	raise func(Floor) Floor
}

func (s *scriptedFloors) ReadFloor(context.Context) (Floor, error) { return s.floor, nil }

func (s *scriptedFloors) RaiseFloor(_ context.Context, f Floor) (Floor, error) {
	return s.raise(f), nil
}

// TestReview21FloorStoreAnswers: a floor from the store without a digest,
// with a malformed one, or with a digest but no time, was used as it
// was, so a store that lost or mangled the digest (or the bytes someone
// wrote into it) was read as a floor that an earlier bundle passed, and
// its bytes reached errors and logs; a raise the store did not keep (it
// answered an earlier floor, or none) went unnoticed. Now each is
// ErrFloorStore, and a raise answered with a later floor or another bundle
// at the same instant is ErrRollback.
func TestReview21FloorStoreAnswers(t *testing.T) {
	t.Parallel()
	l := newRollbackLab(t)
	l.publish(t, allowAll, "r1")
	ref := &memFloors{}
	if _, err := l.ss.source(t, l.tag, publisherID, ocibundle.WithFloorStore(ref)).Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	at, digest := ref.floor.SignedAt, ref.floor.Digest
	hex := strings.TrimPrefix(digest, "sha256:")
	earlier := at.Add(-time.Hour)
	other := "sha256:" + strings.Repeat("0", 64)
	keep := func(f Floor) Floor { return f }
	answer := func(g Floor) func(Floor) Floor { return func(Floor) Floor { return g } }

	for name, c := range map[string]struct {
		store *scriptedFloors
		want  error
	}{
		"read: no digest":          {&scriptedFloors{Floor{SignedAt: earlier}, keep}, ocibundle.ErrFloorStore},
		"read: not hex":            {&scriptedFloors{Floor{SignedAt: earlier, Digest: "sha256:zz"}, keep}, ocibundle.ErrFloorStore},
		"read: upper case":         {&scriptedFloors{Floor{SignedAt: earlier, Digest: "sha256:" + strings.ToUpper(hex)}, keep}, ocibundle.ErrFloorStore},
		"read: other algorithm":    {&scriptedFloors{Floor{SignedAt: earlier, Digest: "sha512:" + hex + hex}, keep}, ocibundle.ErrFloorStore},
		"read: line break":         {&scriptedFloors{Floor{SignedAt: earlier, Digest: digest + "\nlevel=INFO msg=forged"}, keep}, ocibundle.ErrFloorStore},
		"read: digest, no time":    {&scriptedFloors{Floor{Digest: digest}, keep}, ocibundle.ErrFloorStore},
		"raise: none kept":         {&scriptedFloors{Floor{}, answer(Floor{})}, ocibundle.ErrFloorStore},
		"raise: earlier kept":      {&scriptedFloors{Floor{}, answer(Floor{SignedAt: earlier, Digest: other})}, ocibundle.ErrFloorStore},
		"raise: malformed kept":    {&scriptedFloors{Floor{}, answer(Floor{SignedAt: at, Digest: ""})}, ocibundle.ErrFloorStore},
		"raise: later kept":        {&scriptedFloors{Floor{}, answer(Floor{SignedAt: at.Add(time.Second), Digest: other})}, ocibundle.ErrRollback},
		"raise: other at the time": {&scriptedFloors{Floor{}, answer(Floor{SignedAt: at, Digest: other})}, ocibundle.ErrRollback},
		"raise: kept":              {&scriptedFloors{Floor{}, keep}, nil},
		"future floor":             {&scriptedFloors{Floor{SignedAt: time.Now().Add(24 * time.Hour), Digest: other}, keep}, ocibundle.ErrRollback},
	} {
		_, err := l.ss.source(t, l.tag, publisherID, ocibundle.WithFloorStore(c.store)).Load(t.Context())
		if !errors.Is(err, c.want) || (c.want != nil && !errors.Is(err, policy.ErrLoad)) {
			t.Errorf("%s: got %v, want %v", name, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: the store's bytes reached the error: %q", name, err)
		}
	}
}

// TestReview21FileFloorStoreRaise: the file store wrote a floor at the
// stored floor's instant over it, whatever its digest; it now keeps the
// first, returns the floor it holds, and refuses a file whose digest is
// not a manifest digest. Raises from many goroutines at one instant all
// learn the same winner.
func TestReview21FileFloorStoreRaise(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "floor.json")
	s, err := ocibundle.NewFileFloorStore(path)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	digest := func(i int) string { return fmt.Sprintf("sha256:%064x", i) }

	got := make([]Floor, 16)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() {
			f, err := s.RaiseFloor(ctx, Floor{SignedAt: at, Digest: digest(i)})
			if err != nil {
				t.Error(err)
			}
			got[i] = f
		})
	}
	wg.Wait()
	stored, err := s.ReadFloor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range got {
		if !f.SignedAt.Equal(at) || f.Digest != stored.Digest {
			t.Errorf("raise %d learned %v, the file holds %v", i, f, stored)
		}
	}
	later := Floor{SignedAt: at.Add(time.Nanosecond), Digest: digest(99)}
	if f, err := s.RaiseFloor(ctx, later); err != nil || f != later {
		t.Errorf("later floor: %v %v", f, err)
	}

	for _, bad := range []string{"", "sha256:aa", "sha256:" + strings.Repeat("A", 64)} {
		s := fileWith(t, `{"signedAt":"2026-12-06T10:00:00Z","digest":"`+bad+`"}`)
		if f, err := s.ReadFloor(ctx); err == nil {
			t.Errorf("digest %q: read %v, want an error", bad, f)
		}
	}
}

func fileWith(t *testing.T, body string) *ocibundle.FileFloorStore {
	t.Helper()
	path := filepath.Join(t.TempDir(), "floor.json")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := ocibundle.NewFileFloorStore(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
