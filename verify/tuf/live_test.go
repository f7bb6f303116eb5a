package tuf_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/tuf"
)

// synctestMirror is the repository URL under synctest, where requests go
// through handlerTransport instead of a socket.
const synctestMirror = "https://tuf.test"

// switchable serves repo, or 503 while down is set.
type switchable struct {
	repo *testRepo
	down atomic.Bool
}

func (s *switchable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.down.Load() {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	s.repo.ServeHTTP(w, r)
}

func TestLiveRebuildsOnlyWhenRootChanges(t *testing.T) {
	t.Parallel()
	repo := newTestRepo(t, time.Now(), verify.PublicGoodJSON())
	srv := repo.serve(t)
	c, err := tuf.Open(t.Context(), srv.URL, repo.anchor, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var builds atomic.Int64
	live, err := tuf.NewLive(c, func(r *tuf.Root) (*verify.Verifier, error) {
		builds.Add(1)
		return newConformanceVerifier(r)
	})
	if err != nil {
		t.Fatal(err)
	}
	v1, _ := live.Get()

	steps := []struct {
		name        string
		change      func()
		wantChanged bool
		wantBuilds  int64
	}{
		{name: "nothing new", change: func() {}, wantChanged: false, wantBuilds: 1},
		{name: "timestamp renewed", change: func() { repo.renewTimestamp(time.Now().Add(48 * time.Hour)) }, wantChanged: false, wantBuilds: 1},
		{name: "new trusted root", change: func() { repo.publishTarget(otherTrustedRoot(t)) }, wantChanged: true, wantBuilds: 2},
		{name: "nothing new again", change: func() {}, wantChanged: false, wantBuilds: 2},
	}
	for _, s := range steps {
		s.change()
		changed, err := live.Refresh(t.Context())
		if err != nil || changed != s.wantChanged || builds.Load() != s.wantBuilds {
			t.Fatalf("%s: changed %v, err %v, builds %d; want %v, nil, %d", s.name, changed, err, builds.Load(), s.wantChanged, s.wantBuilds)
		}
	}
	if !live.Root().Expires.Equal(repo.timestamp.Signed.Expires) {
		t.Errorf("expires %v, want the renewed timestamp's %v", live.Root().Expires, repo.timestamp.Signed.Expires)
	}
	v2, err := live.Get()
	if err != nil || v2 == v1 {
		t.Fatalf("Get after the root changed: %v (same verifier %v)", err, v2 == v1)
	}
	b, art := conformanceInputs(t)
	if _, err := v2.Verify(t.Context(), b, art); err != nil {
		t.Fatal(err)
	}
}

// TestFreezeFailsClosed: the repository keeps serving the same, signed
// timestamp after it expired. Neither a refresh nor the cached root is
// accepted past that instant; a renewed timestamp brings the root back
// without rebuilding the verifier.
func TestFreezeFailsClosed(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		repo := newTestRepo(t, time.Now(), verify.PublicGoodJSON())
		hc := &http.Client{Transport: handlerTransport{repo}}
		cache := t.TempDir()
		c, err := tuf.Open(t.Context(), synctestMirror, repo.anchor, cache, tuf.WithHTTPClient(hc))
		if err != nil {
			t.Fatal(err)
		}
		var builds atomic.Int64
		live, err := tuf.NewLive(c, func(r *tuf.Root) (*tuf.Root, error) { builds.Add(1); return r, nil })
		if err != nil {
			t.Fatal(err)
		}
		expires := repo.timestamp.Signed.Expires

		time.Sleep(time.Until(expires) - time.Second)
		if _, err := live.Get(); err != nil {
			t.Fatalf("a second before expiry: %v", err)
		}
		time.Sleep(time.Second)
		if _, err := live.Get(); !errors.Is(err, tuf.ErrExpired) {
			t.Errorf("Live.Get at expiry: %v, want ErrExpired", err)
		}
		if _, err := c.Root(); !errors.Is(err, tuf.ErrExpired) {
			t.Errorf("Client.Root at expiry: %v, want ErrExpired", err)
		}
		if _, err := live.Refresh(t.Context()); !errors.Is(err, tuf.ErrExpired) {
			t.Errorf("refresh from the frozen repository: %v, want ErrExpired", err)
		}
		if _, err := tuf.Open(t.Context(), synctestMirror, repo.anchor, cache, tuf.WithHTTPClient(hc)); !errors.Is(err, tuf.ErrExpired) {
			t.Errorf("open with the expired cache and the frozen repository: %v, want ErrExpired", err)
		}

		repo.renewTimestamp(time.Now().Add(7 * 24 * time.Hour))
		if changed, err := live.Refresh(t.Context()); err != nil || changed {
			t.Fatalf("refresh after renewal: changed %v, %v", changed, err)
		}
		if _, err := live.Get(); err != nil || builds.Load() != 1 {
			t.Errorf("after renewal: %v, %d builds; want the same value", err, builds.Load())
		}
	})
}

// TestRefresher runs Start/Close on synctest's clock: a new root is picked
// up within one interval, an outage keeps the root only until it expires,
// the retry after the outage restores it, and Close leaves no goroutine
// (synctest.Test fails if one outlives the bubble).
func TestRefresher(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		repo := newTestRepo(t, time.Now(), verify.PublicGoodJSON())
		sw := &switchable{repo: repo}
		hc := &http.Client{Transport: handlerTransport{sw}}
		const interval = time.Hour
		c, err := tuf.Open(t.Context(), synctestMirror, repo.anchor, t.TempDir(), tuf.WithHTTPClient(hc), tuf.WithRefreshInterval(interval))
		if err != nil {
			t.Fatal(err)
		}
		live, err := tuf.NewLive(c, func(r *tuf.Root) (string, error) { return r.Revision, nil })
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		if err := live.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if err := live.Start(ctx); !errors.Is(err, tuf.ErrConfig) {
			t.Errorf("second Start: %v, want ErrConfig", err)
		}
		synctest.Wait() // the immediate first refresh

		next := otherTrustedRoot(t)
		repo.publishTarget(next)
		time.Sleep(interval)
		synctest.Wait()
		if got, err := live.Get(); err != nil || got != revisionOf(next) {
			t.Fatalf("after one interval: %q, %v; want %s", got, err, revisionOf(next))
		}

		// Outage longer than the timestamp's lifetime: fail closed at expiry.
		sw.down.Store(true)
		expires := repo.timestamp.Signed.Expires
		time.Sleep(time.Until(expires) + time.Second)
		synctest.Wait()
		if _, err := live.Get(); !errors.Is(err, tuf.ErrExpired) {
			t.Fatalf("after the timestamp expired during an outage: %v, want ErrExpired", err)
		}
		// Back up with a renewed timestamp: the next retry (at most one
		// interval away) restores the root.
		repo.renewTimestamp(time.Now().Add(7 * 24 * time.Hour))
		sw.down.Store(false)
		time.Sleep(interval)
		synctest.Wait()
		if got, err := live.Get(); err != nil || got != revisionOf(next) {
			t.Fatalf("after recovery: %q, %v", got, err)
		}

		if err := live.Close(); err != nil {
			t.Fatal(err)
		}
		if err := live.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		n := repo.requestCount()
		time.Sleep(10 * interval)
		synctest.Wait()
		if repo.requestCount() != n {
			t.Errorf("%d requests after Close", repo.requestCount()-n)
		}
	})
}

func TestNewLiveErrors(t *testing.T) {
	t.Parallel()
	if _, err := tuf.NewLive[int](nil, func(*tuf.Root) (int, error) { return 0, nil }); !errors.Is(err, tuf.ErrConfig) {
		t.Errorf("nil client: %v, want ErrConfig", err)
	}
	repo := newTestRepo(t, time.Now(), verify.PublicGoodJSON())
	srv := repo.serve(t)
	c, err := tuf.Open(t.Context(), srv.URL, repo.anchor, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tuf.NewLive[int](c, nil); !errors.Is(err, tuf.ErrConfig) {
		t.Errorf("nil build: %v, want ErrConfig", err)
	}
	boom := errors.New("boom")
	if _, err := tuf.NewLive(c, func(*tuf.Root) (int, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Errorf("build error: %v, want it wrapped", err)
	}
}

// TestVerifyPathMakesNoRequest: verifications through a Live, concurrent
// with refreshes that change the root, never reach the repository from the
// verify side: every request the repository sees is a refresh's.
func TestVerifyPathMakesNoRequest(t *testing.T) {
	t.Parallel()
	repo := newTestRepo(t, time.Now(), verify.PublicGoodJSON())
	srv := repo.serve(t)
	c, err := tuf.Open(t.Context(), srv.URL, repo.anchor, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	live, err := tuf.NewLive(c, newConformanceVerifier)
	if err != nil {
		t.Fatal(err)
	}
	b, art := conformanceInputs(t)
	n := repo.requestCount()
	for range 20 {
		v, err := live.Get()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(t.Context(), b, art); err != nil {
			t.Fatal(err)
		}
	}
	if got := repo.requestCount(); got != n {
		t.Fatalf("20 verifications made %d requests", got-n)
	}

	// Under the race detector: Get and Verify while the root changes.
	done := make(chan error)
	go func() {
		for i := range 3 {
			if i%2 == 0 {
				repo.publishTarget(otherTrustedRoot(t))
			} else {
				repo.publishTarget(verify.PublicGoodJSON())
			}
			if _, err := live.Refresh(t.Context()); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			return
		default:
		}
		v, err := live.Get()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(t.Context(), b, art); err != nil {
			t.Fatal(err)
		}
	}
}
