package tuf_test

import (
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	sgtuf "github.com/sigstore/sigstore-go/pkg/tuf"

	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/tuf"
)

// repoClient returns the http.Client a test Open uses to reach repo at
// mirror, in-process (no socket), so that any host and scheme can be named.
func repoClient(tb testing.TB, repo *testRepo, mirror string) *http.Client {
	tb.Helper()
	u, err := url.Parse(mirror)
	if err != nil {
		tb.Fatal(err)
	}
	return &http.Client{Transport: handlerTransport{http.StripPrefix(u.Path, repo)}}
}

// repoCacheDir returns the one directory under cache that holds a cached
// root.json: the cache of the only client that used cache.
func repoCacheDir(tb testing.TB, cache string) string {
	tb.Helper()
	var dirs []string
	err := filepath.WalkDir(cache, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "root.json" {
			dirs = append(dirs, filepath.Dir(p))
		}
		return err
	})
	if err != nil || len(dirs) != 1 {
		tb.Fatalf("cached root.json in %v (%v), want one directory", dirs, err)
	}
	return dirs[0]
}

// TestReview23CacheKeyedByAnchorAndURL: the cache directory was
// sigstore-go's URLToPath(mirror), which lowercases the URL, turns '/' and
// ':' into '-' and drops the scheme, and the client started from any cached
// root.json signed by its own keys and not older than the anchor. A second
// repository whose URL folds to the same name (a tenant's
// https://tuf.example-prod beside https://tuf.example/prod), or the same
// URL under another anchor, sharing the cache root wrote its own root,
// metadata and target there; the victim's Open then loaded them offline and
// trusted the other repository's trusted root. Each (anchor, exact URL)
// now has its own directory.
func TestReview23CacheKeyedByAnchorAndURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, victim, attacker string }{
		{"slash or dash", "https://tuf.example/a-b", "https://tuf.example/a/b"},
		{"host or path", "https://tuf.example/prod", "https://tuf.example-prod"},
		{"port or path", "https://tuf.example:8443", "https://tuf.example/8443"},
		{"case", "https://tuf.example/x", "https://TUF.EXAMPLE/X"},
		{"scheme", "https://127.0.0.1/x", "http://127.0.0.1/x"},
		{"same URL, other anchor", "https://tuf.example/x", "https://tuf.example/x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			now := time.Now()
			victim := newTestRepo(t, now, verify.PublicGoodJSON())
			attacker := newTestRepo(t, now, otherTrustedRoot(t))
			if tc.victim != tc.attacker && sgtuf.URLToPath(tc.victim) != sgtuf.URLToPath(tc.attacker) {
				t.Fatalf("%s and %s do not collide under URLToPath", tc.victim, tc.attacker)
			}
			cache := t.TempDir()
			open := func(repo *testRepo, mirror string) *tuf.Client {
				t.Helper()
				c, err := tuf.Open(t.Context(), mirror, repo.anchor, cache, tuf.WithHTTPClient(repoClient(t, repo, mirror)))
				if err != nil {
					t.Fatalf("open %s: %v", mirror, err)
				}
				return c
			}
			revision := func(c *tuf.Client) string {
				t.Helper()
				r, err := c.Root()
				if err != nil {
					t.Fatal(err)
				}
				return r.Revision
			}
			want, other := revisionOf(verify.PublicGoodJSON()), revisionOf(otherTrustedRoot(t))

			if got := revision(open(attacker, tc.attacker)); got != other {
				t.Fatalf("attacker's own revision %s, want %s", got, other)
			}
			n := victim.requestCount()
			if got := revision(open(victim, tc.victim)); got != want {
				t.Fatalf("victim's revision %s, want its own %s (not the other repository's %s)", got, want, other)
			}
			if victim.requestCount() == n {
				t.Error("the victim made no request: it started from a cache it did not write")
			}
			// Both directions, and each cache is still used for its own
			// client: reopening makes no request.
			na, nv := attacker.requestCount(), victim.requestCount()
			if got := revision(open(attacker, tc.attacker)); got != other {
				t.Errorf("attacker reopened: revision %s, want %s", got, other)
			}
			if got := revision(open(victim, tc.victim)); got != want {
				t.Errorf("victim reopened: revision %s, want %s", got, want)
			}
			if attacker.requestCount() != na || victim.requestCount() != nv {
				t.Error("reopening made requests: a client's own cache was not used")
			}
		})
	}
}

// TestReview23OldLayoutCacheNotRead: a cache in the layout of earlier
// versions (cacheRoot/URLToPath(mirror)) may hold what another repository
// wrote there; it is not read, and the client fetches from its anchor.
func TestReview23OldLayoutCacheNotRead(t *testing.T) {
	t.Parallel()
	const mirror, colliding = "https://tuf.example/a-b", "https://tuf.example/a/b"
	now := time.Now()
	victim := newTestRepo(t, now, verify.PublicGoodJSON())
	attacker := newTestRepo(t, now, otherTrustedRoot(t))

	written := t.TempDir()
	if _, err := tuf.Open(t.Context(), colliding, attacker.anchor, written, tuf.WithHTTPClient(repoClient(t, attacker, colliding))); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	if err := os.CopyFS(filepath.Join(cache, sgtuf.URLToPath(mirror)), os.DirFS(repoCacheDir(t, written))); err != nil {
		t.Fatal(err)
	}
	c, err := tuf.Open(t.Context(), mirror, victim.anchor, cache, tuf.WithHTTPClient(repoClient(t, victim, mirror)))
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := c.Root(); r.Revision != revisionOf(verify.PublicGoodJSON()) || victim.requestCount() == 0 {
		t.Errorf("revision %s after %d requests; want the victim's own, fetched", r.Revision, victim.requestCount())
	}
}
