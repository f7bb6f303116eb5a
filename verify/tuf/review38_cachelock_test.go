//go:build unix

package tuf_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/tuf"
)

// heldMirror serves a fixed copy of a repository's files; after hold, the
// next request waits (in the requesting goroutine: handlerTransport) until
// the test releases it, so a refresh can be stopped part way, after it
// staged the cache and before it promotes.
type heldMirror struct {
	mu      sync.Mutex
	files   map[string][]byte
	held    chan struct{} // closed when a request is being held
	release chan struct{}
}

func newHeldMirror(r *testRepo) *heldMirror {
	m := &heldMirror{}
	m.set(r)
	return m
}

// set serves r's files as they are now.
func (m *heldMirror) set(r *testRepo) {
	r.mu.Lock()
	files := maps.Clone(r.files)
	r.mu.Unlock()
	m.mu.Lock()
	m.files = files
	m.mu.Unlock()
}

// hold makes the next request wait; it returns the channel closed when
// that request arrives and the func that lets it go on.
func (m *heldMirror) hold() (held <-chan struct{}, release func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, r := make(chan struct{}), make(chan struct{})
	m.held, m.release = h, r
	return h, func() { close(r) }
}

func (m *heldMirror) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	m.mu.Lock()
	held, release := m.held, m.release
	m.held, m.release = nil, nil
	b, ok := m.files[req.URL.Path[1:]]
	m.mu.Unlock()
	if held != nil {
		close(held)
		<-release
	}
	if !ok {
		http.NotFound(w, req)
		return
	}
	_, _ = w.Write(b)
}

func (m *heldMirror) client() tuf.Option {
	return tuf.WithHTTPClient(&http.Client{Transport: handlerTransport{m}})
}

// cachedRoleVersion reads the version of role's metadata in the cache key
// directory dir.
func cachedRoleVersion(t *testing.T, dir, role string) int64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, role+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Signed struct {
			Version int64 `json:"version"`
		} `json:"signed"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m.Signed.Version
}

// TestReview38CacheLockSerialisesClients: two Clients (two processes, or
// two in one) on one cache directory. A stages the cache (timestamp 1)
// and is held on its mirror, which serves timestamp 2; meanwhile B's
// mirror serves timestamp 3. B used to refresh and save timestamp 3, then
// A promoted its timestamp 2 over it (A compared only with its own copy)
// and a restart opened from the older metadata. The cache's lock now makes
// B wait until A has promoted; B then starts from A's metadata and saves
// its newer: both succeed and the cache ends at timestamp 3.
func TestReview38CacheLockSerialisesClients(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		repo := newTestRepo(t, time.Now(), verify.PublicGoodJSON())
		mirrorA, mirrorB := newHeldMirror(repo), newHeldMirror(repo)
		cache := t.TempDir()
		a, err := tuf.Open(t.Context(), synctestMirror, repo.anchor, cache, mirrorA.client())
		if err != nil {
			t.Fatal(err)
		}
		b, err := tuf.Open(t.Context(), synctestMirror, repo.anchor, cache, mirrorB.client())
		if err != nil {
			t.Fatal(err)
		}
		repo.publishTarget(otherTrustedRoot(t))
		mirrorA.set(repo) // timestamp 2
		repo.renewTimestamp(time.Now().Add(7 * 24 * time.Hour))
		mirrorB.set(repo) // timestamp 3

		held, release := mirrorA.hold()
		var errA, errB error
		doneA, doneB := make(chan struct{}), make(chan struct{})
		go func() { defer close(doneA); _, errA = a.Refresh(t.Context()) }()
		<-held // A has staged the cache and is fetching
		go func() { defer close(doneB); _, errB = b.Refresh(t.Context()) }()
		synctest.Wait() // B has finished, or waits for the cache's lock
		release()
		<-doneA
		<-doneB
		if errA != nil || errB != nil {
			t.Fatalf("refreshes: A %v, B %v; want both to succeed, one after the other", errA, errB)
		}
		if v := cachedRoleVersion(t, repoCacheDir(t, cache), "timestamp"); v != 3 {
			t.Errorf("cached timestamp version %d, want 3 (B's, the newer)", v)
		}
		// A restart opens from the newer metadata, whichever mirror it uses.
		if _, err := tuf.Open(t.Context(), synctestMirror, repo.anchor, cache, mirrorA.client()); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Refresh(t.Context()); !errors.Is(err, tuf.ErrRollback) {
			t.Errorf("A's mirror, behind the cache: %v, want ErrRollback", err)
		}
	})
}

// TestReview38CacheNotRolledBackByUnlockedWriter: a writer that ignores
// the lock (an earlier ztci version, a platform without the lock) saves
// newer metadata while A's refresh, started from older, runs. Before
// promoting, A now reads the cache's versions again and refuses
// (ErrRollback) to write below them: the cache keeps the newer, and A its
// current root.
func TestReview38CacheNotRolledBackByUnlockedWriter(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		repo := newTestRepo(t, time.Now(), verify.PublicGoodJSON())
		mirrorA := newHeldMirror(repo)
		cache := t.TempDir()
		a, err := tuf.Open(t.Context(), synctestMirror, repo.anchor, cache, mirrorA.client())
		if err != nil {
			t.Fatal(err)
		}
		before, err := a.Root()
		if err != nil {
			t.Fatal(err)
		}
		repo.publishTarget(otherTrustedRoot(t))
		mirrorA.set(repo) // timestamp 2
		repo.renewTimestamp(time.Now().Add(7 * 24 * time.Hour))
		// The other writer's metadata (timestamp 3), made in a cache of its
		// own with the same anchor and URL.
		other := t.TempDir()
		if _, err := tuf.Open(t.Context(), synctestMirror, repo.anchor, other, newHeldMirror(repo).client()); err != nil {
			t.Fatal(err)
		}
		otherDir, dir := repoCacheDir(t, other), repoCacheDir(t, cache)

		held, release := mirrorA.hold()
		var errA error
		doneA := make(chan struct{})
		go func() { defer close(doneA); _, errA = a.Refresh(t.Context()) }()
		<-held
		for _, name := range []string{"root.json", "timestamp.json", "snapshot.json", "targets.json"} {
			data, err := os.ReadFile(filepath.Join(otherDir, name))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		release()
		<-doneA
		if !errors.Is(errA, tuf.ErrRollback) || !errors.Is(errA, tuf.ErrTUF) {
			t.Errorf("refresh below the cache's metadata: %v, want ErrRollback", errA)
		}
		if v := cachedRoleVersion(t, dir, "timestamp"); v != 3 {
			t.Errorf("cached timestamp version %d, want 3 (the newer)", v)
		}
		if r, err := a.Root(); err != nil || r.Revision != before.Revision {
			t.Errorf("root after the refused refresh: %+v, %v; want %s kept", r, err, before.Revision)
		}
	})
}

// TestReview38CacheLockWaitHonoursContext: while another holder keeps the
// cache's lock, a refresh waits for it only as long as its context
// allows, then fails (ErrFetch, with the context's error) without reading
// the repository or changing the root.
func TestReview38CacheLockWaitHonoursContext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// ctx returns the refresh's context and what ends it once the
		// refresh waits for the lock.
		ctx  func(t *testing.T) (context.Context, func())
		want error
	}{
		{
			name: "deadline",
			ctx: func(t *testing.T) (context.Context, func()) {
				ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
				t.Cleanup(cancel)
				return ctx, func() {}
			},
			want: context.DeadlineExceeded,
		},
		{
			name: "cancel",
			ctx: func(t *testing.T) (context.Context, func()) {
				ctx, cancel := context.WithCancel(t.Context())
				t.Cleanup(cancel)
				return ctx, cancel
			},
			want: context.Canceled,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				repo := newTestRepo(t, time.Now(), verify.PublicGoodJSON())
				hc := &http.Client{Transport: handlerTransport{repo}}
				cache := t.TempDir()
				c, err := tuf.Open(t.Context(), synctestMirror, repo.anchor, cache, tuf.WithHTTPClient(hc))
				if err != nil {
					t.Fatal(err)
				}
				lockPath := repoCacheDir(t, cache) + ".lock"
				fi, err := os.Lstat(lockPath)
				if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
					t.Fatalf("lock file: %v, %v; want a regular file, mode 0600", fi, err)
				}
				other, err := os.Open(lockPath)
				if err != nil {
					t.Fatal(err)
				}
				defer other.Close()
				if err := syscall.Flock(int(other.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
					t.Fatal(err)
				}
				repo.publishTarget(otherTrustedRoot(t))
				requests := repo.requestCount()

				ctx, end := tt.ctx(t)
				var rerr error
				done := make(chan struct{})
				go func() { defer close(done); _, rerr = c.Refresh(ctx) }()
				synctest.Wait() // waiting for the lock
				end()
				<-done
				if !errors.Is(rerr, tuf.ErrFetch) || !errors.Is(rerr, tt.want) {
					t.Errorf("refresh while the lock is held: %v, want ErrFetch and %v", rerr, tt.want)
				}
				if n := repo.requestCount(); n != requests {
					t.Errorf("%d requests while waiting for the lock, want none", n-requests)
				}
				if r, err := c.Root(); err != nil || r.Revision != revisionOf(verify.PublicGoodJSON()) {
					t.Errorf("root: %+v, %v; want the first kept", r, err)
				}
				// Released, the next refresh goes through.
				if err := syscall.Flock(int(other.Fd()), syscall.LOCK_UN); err != nil {
					t.Fatal(err)
				}
				if _, err := c.Refresh(t.Context()); err != nil {
					t.Errorf("refresh once the lock is free: %v", err)
				}
			})
		})
	}
}

// TestReview38CacheLockFileUnsafe: the lock file is opened as every cached
// file is: a symbolic link, or a file others can write, is ErrUnsafeCache.
func TestReview38CacheLockFileUnsafe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		spoil func(t *testing.T, lockPath string)
	}{
		{
			name: "symbolic link",
			spoil: func(t *testing.T, p string) {
				if err := os.Remove(p); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(filepath.Join(t.TempDir(), "elsewhere"), p); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name:  "writable by others",
			spoil: func(t *testing.T, p string) { chmod(t, p, 0o666) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			repo := newTestRepo(t, time.Now(), verify.PublicGoodJSON())
			srv := repo.serve(t)
			cache := t.TempDir()
			c, err := tuf.Open(t.Context(), srv.URL, repo.anchor, cache)
			if err != nil {
				t.Fatal(err)
			}
			tt.spoil(t, repoCacheDir(t, cache)+".lock")
			if _, err := c.Refresh(t.Context()); !errors.Is(err, tuf.ErrUnsafeCache) {
				t.Errorf("refresh with an unsafe lock file: %v, want ErrUnsafeCache", err)
			}
			if _, err := tuf.Open(t.Context(), srv.URL, repo.anchor, cache); !errors.Is(err, tuf.ErrUnsafeCache) {
				t.Errorf("open with an unsafe lock file: %v, want ErrUnsafeCache", err)
			}
		})
	}
}
