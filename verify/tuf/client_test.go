package tuf_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/tuf"
)

const (
	conformanceIdentity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
	conformanceIssuer   = "https://token.actions.githubusercontent.com"
	conformanceBundle   = "../testdata/conformance/happy-path-intoto-in-dsse-v3/bundle.sigstore.json"
	conformanceArtifact = "../testdata/conformance/a.txt"
)

func revisionOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// otherTrustedRoot is the public-good root in other bytes (compacted): a
// different target, hence a different revision, that still verifies.
func otherTrustedRoot(tb testing.TB) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, verify.PublicGoodJSON()); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func newConformanceVerifier(r *tuf.Root) (*verify.Verifier, error) {
	return verify.New(r.Material, verify.Expectation{Signer: verify.Identity{SAN: conformanceIdentity, Issuer: conformanceIssuer}}, verify.WithAnyPredicateTypeUnsafe())
}

func conformanceInputs(tb testing.TB) ([]byte, verify.Artifact) {
	tb.Helper()
	b, err := os.ReadFile(conformanceBundle)
	if err != nil {
		tb.Fatal(err)
	}
	a, err := os.ReadFile(conformanceArtifact)
	if err != nil {
		tb.Fatal(err)
	}
	return b, verify.ArtifactBytes(a)
}

func verifyConformance(t *testing.T, tm root.TrustedMaterial) {
	t.Helper()
	v, err := newConformanceVerifier(&tuf.Root{Material: tm})
	if err != nil {
		t.Fatal(err)
	}
	b, art := conformanceInputs(t)
	if _, err := v.Verify(t.Context(), b, art); err != nil {
		t.Fatalf("conformance bundle with the TUF root: %v", err)
	}
}

func TestOpenFetchesThenStartsFromCache(t *testing.T) {
	t.Parallel()
	repo := newTestRepo(t, time.Now(), verify.PublicGoodJSON())
	srv := repo.serve(t)
	cache := t.TempDir()

	c, err := tuf.Open(t.Context(), srv.URL, repo.anchor, cache)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Root()
	if err != nil {
		t.Fatal(err)
	}
	if want := revisionOf(verify.PublicGoodJSON()); r.Revision != want {
		t.Errorf("revision %s, want %s", r.Revision, want)
	}
	if !r.Expires.Equal(repo.timestamp.Signed.Expires) {
		t.Errorf("expires %v, want the timestamp's %v (the earliest)", r.Expires, repo.timestamp.Signed.Expires)
	}
	if r.Version != 1 {
		t.Errorf("root version %d, want 1", r.Version)
	}
	verifyConformance(t, r.Material)
	for d := repoCacheDir(t, cache); d != cache; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("cache directory %s: %v, %v; want mode 0700", d, fi, err)
		}
	}

	// Offline first: the cache is complete and unexpired, so a second Open
	// makes no request at all, even with the repository gone.
	n := repo.requestCount()
	srv.Close()
	c2, err := tuf.Open(t.Context(), srv.URL, repo.anchor, cache)
	if err != nil {
		t.Fatalf("open from cache: %v", err)
	}
	if got := repo.requestCount(); got != n {
		t.Errorf("open from cache made %d requests", got-n)
	}
	r2, err := c2.Root()
	if err != nil || r2.Revision != r.Revision {
		t.Errorf("root from cache: %v, %v; want revision %s", r2, err, r.Revision)
	}
	// A refresh needs the repository: it fails, and the root stays.
	if _, err := c2.Refresh(t.Context()); !errors.Is(err, tuf.ErrFetch) {
		t.Errorf("refresh with the repository down: %v, want ErrFetch", err)
	}
	if r3, err := c2.Root(); err != nil || r3 != r2 {
		t.Errorf("root after a failed refresh: %v, %v; want the previous one", r3, err)
	}
}

func TestRootRotation(t *testing.T) {
	t.Parallel()
	repo := newTestRepo(t, time.Now(), verify.PublicGoodJSON())
	srv := repo.serve(t)
	cache := t.TempDir()
	c, err := tuf.Open(t.Context(), srv.URL, repo.anchor, cache)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := c.Root()

	// Root v2: new root key and new timestamp key; signed by the old and
	// the new root key as the specification requires. A new trusted root
	// is released with it.
	oldRoot := repo.signers["root"]
	newRoot := repo.newSigner()
	repo.setKey("root", newRoot)
	repo.setKey("timestamp", repo.newSigner())
	repo.root.Signed.Version = 2
	repo.signRoot(oldRoot, newRoot)
	next := otherTrustedRoot(t)
	repo.publishTarget(next)

	r, err := c.Refresh(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != 2 || r.Revision != revisionOf(next) || r.Material == first.Material {
		t.Errorf("after rotation: version %d revision %s (material reused %v); want 2, %s, new material", r.Version, r.Revision, r.Material == first.Material, revisionOf(next))
	}
	verifyConformance(t, r.Material)

	// A later Open trusts the cached root v2 (the anchor is v1, whose
	// timestamp key no longer signs), without a request.
	n := repo.requestCount()
	c2, err := tuf.Open(t.Context(), srv.URL, repo.anchor, cache)
	if err != nil {
		t.Fatal(err)
	}
	if r2, _ := c2.Root(); r2.Version != 2 || r2.Revision != r.Revision || repo.requestCount() != n {
		t.Errorf("open after rotation: version %d revision %s, %d requests; want 2, %s, none", r2.Version, r2.Revision, repo.requestCount()-n, r.Revision)
	}
	// Unchanged repository: same revision, same material (memos survive).
	r3, err := c.Refresh(t.Context())
	if err != nil || r3.Material != r.Material {
		t.Errorf("refresh without change: %v; material reused %v", err, err == nil && r3.Material == r.Material)
	}
}

func TestRootRotationRejected(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		mutate  func(r *testRepo)
		wantErr error
	}{
		{
			name: "new root signed by the new key only",
			mutate: func(r *testRepo) {
				s := r.newSigner()
				r.setKey("root", s)
				r.root.Signed.Version = 2
				r.signRoot(s)
			},
			wantErr: tuf.ErrSignature,
		},
		{
			name: "new root signed by the old key only",
			mutate: func(r *testRepo) {
				old := r.signers["root"]
				r.setKey("root", r.newSigner())
				r.root.Signed.Version = 2
				r.signRoot(old)
			},
			wantErr: tuf.ErrSignature,
		},
		{
			name: "2.root.json is version 3",
			mutate: func(r *testRepo) {
				r.root.Signed.Version = 3
				r.signRoot(r.signers["root"])
				r.put("2.root.json", r.files["3.root.json"])
			},
			wantErr: tuf.ErrRollback,
		},
		{
			name: "new root already expired",
			mutate: func(r *testRepo) {
				r.root.Signed.Version = 2
				r.root.Signed.Expires = time.Now().Add(-time.Hour)
				r.signRoot(r.signers["root"])
			},
			wantErr: tuf.ErrExpired,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			repo := newTestRepo(t, time.Now(), verify.PublicGoodJSON())
			srv := repo.serve(t)
			c, err := tuf.Open(t.Context(), srv.URL, repo.anchor, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			before, _ := c.Root()
			tt.mutate(repo)
			if _, err := c.Refresh(t.Context()); !errors.Is(err, tt.wantErr) || !errors.Is(err, tuf.ErrTUF) {
				t.Fatalf("refresh: %v, want %v", err, tt.wantErr)
			}
			if after, err := c.Root(); err != nil || after != before {
				t.Errorf("root after a rejected refresh: %v, %v; want the previous one", after, err)
			}
		})
	}
}

func TestExpiredTimestampFailsClosed(t *testing.T) {
	t.Parallel()
	repo := newTestRepo(t, time.Now(), verify.PublicGoodJSON())
	srv := repo.serve(t)
	c, err := tuf.Open(t.Context(), srv.URL, repo.anchor, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	repo.renewTimestamp(time.Now().Add(-time.Minute))
	if _, err := c.Refresh(t.Context()); !errors.Is(err, tuf.ErrExpired) {
		t.Errorf("refresh with an expired timestamp: %v, want ErrExpired", err)
	}
	// The root established earlier stays usable until its own expiry.
	if _, err := c.Root(); err != nil {
		t.Errorf("previous root: %v", err)
	}
	// A client with no cache has nothing to fall back on.
	if _, err := tuf.Open(t.Context(), srv.URL, repo.anchor, t.TempDir()); !errors.Is(err, tuf.ErrExpired) {
		t.Errorf("open with an expired timestamp: %v, want ErrExpired", err)
	}
}

func TestRollbackRejected(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(r *testRepo, v1Timestamp []byte)
	}{
		{
			name: "timestamp rolled back",
			mutate: func(r *testRepo, v1Timestamp []byte) {
				r.put("timestamp.json", v1Timestamp)
			},
		},
		{
			name: "snapshot rolled back",
			mutate: func(r *testRepo, _ []byte) {
				// A new timestamp that points at snapshot v1 again.
				r.timestamp.Signed.Meta["snapshot.json"] = metadataFile(1)
				r.timestamp.Signed.Version++
				r.signTimestamp()
			},
		},
		{
			name: "targets rolled back",
			mutate: func(r *testRepo, _ []byte) {
				// A new snapshot that points at targets v1 again.
				r.snapshot.Signed.Meta["targets.json"] = metadataFile(1)
				r.snapshot.Signed.Version++
				r.signSnapshot()
				r.timestamp.Signed.Version++
				r.signTimestamp()
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			repo := newTestRepo(t, time.Now(), verify.PublicGoodJSON())
			v1 := repo.files["timestamp.json"]
			srv := repo.serve(t)
			c, err := tuf.Open(t.Context(), srv.URL, repo.anchor, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			next := otherTrustedRoot(t)
			repo.publishTarget(next) // v2 of targets, snapshot, timestamp
			if r, err := c.Refresh(t.Context()); err != nil || r.Revision != revisionOf(next) {
				t.Fatalf("refresh to v2: %v", err)
			}
			tt.mutate(repo, v1)
			if _, err := c.Refresh(t.Context()); !errors.Is(err, tuf.ErrRollback) {
				t.Fatalf("refresh: %v, want ErrRollback", err)
			}
			if r, err := c.Root(); err != nil || r.Revision != revisionOf(next) {
				t.Errorf("root after rollback attempt: %v, %v; want v2's", r, err)
			}
		})
	}
}

func TestTargetHashMismatchRejected(t *testing.T) {
	t.Parallel()
	repo := newTestRepo(t, time.Now(), verify.PublicGoodJSON())
	sum := sha256.Sum256(verify.PublicGoodJSON())
	path := "targets/" + hex.EncodeToString(sum[:]) + "." + targetName
	repo.put(path, otherTrustedRoot(t)) // a valid trusted root, but not the signed one
	srv := repo.serve(t)
	if _, err := tuf.Open(t.Context(), srv.URL, repo.anchor, t.TempDir()); !errors.Is(err, tuf.ErrHashMismatch) {
		t.Fatalf("open: %v, want ErrHashMismatch", err)
	}
}

func TestTamperedCachedTargetIsFetchedAgain(t *testing.T) {
	t.Parallel()
	repo := newTestRepo(t, time.Now(), verify.PublicGoodJSON())
	srv := repo.serve(t)
	cache := t.TempDir()
	if _, err := tuf.Open(t.Context(), srv.URL, repo.anchor, cache); err != nil {
		t.Fatal(err)
	}
	cached := filepath.Join(repoCacheDir(t, cache), "targets", targetName)
	if err := os.WriteFile(cached, otherTrustedRoot(t), 0o600); err != nil {
		t.Fatal(err)
	}
	n := repo.requestCount()
	c, err := tuf.Open(t.Context(), srv.URL, repo.anchor, cache)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := c.Root(); r.Revision != revisionOf(verify.PublicGoodJSON()) || repo.requestCount() == n {
		t.Errorf("revision %s after %d requests; want the signed target, fetched again", r.Revision, repo.requestCount()-n)
	}
}

func TestTargetNotATrustedRoot(t *testing.T) {
	t.Parallel()
	repo := newTestRepo(t, time.Now(), []byte("not a trusted root"))
	srv := repo.serve(t)
	_, err := tuf.Open(t.Context(), srv.URL, repo.anchor, t.TempDir())
	if !errors.Is(err, tuf.ErrTrustedRoot) || !errors.Is(err, verify.ErrTrustMaterial) {
		t.Fatalf("open: %v, want ErrTrustedRoot and verify.ErrTrustMaterial", err)
	}
}

func TestTargetTooLargeRefusedBeforeDownload(t *testing.T) {
	t.Parallel()
	repo := newTestRepo(t, time.Now(), verify.PublicGoodJSON())
	repo.targets.Signed.Targets[targetName].Length = 16<<20 + 1
	repo.targets.Signed.Version++
	repo.signTargets()
	repo.snapshot.Signed.Version++
	repo.signSnapshot()
	repo.timestamp.Signed.Version++
	repo.signTimestamp()
	srv := repo.serve(t)
	if _, err := tuf.Open(t.Context(), srv.URL, repo.anchor, t.TempDir()); !errors.Is(err, tuf.ErrTrustedRoot) {
		t.Fatalf("open: %v, want ErrTrustedRoot", err)
	}
}

func TestContextEndsRefresh(t *testing.T) {
	t.Parallel()
	repo := newTestRepo(t, time.Now(), verify.PublicGoodJSON())
	srv := repo.serve(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := tuf.Open(ctx, srv.URL, repo.anchor, t.TempDir())
	if !errors.Is(err, tuf.ErrFetch) || !errors.Is(err, context.Canceled) {
		t.Fatalf("open with a cancelled context: %v, want ErrFetch and context.Canceled", err)
	}
	if repo.requestCount() != 0 {
		t.Errorf("%d requests with a cancelled context", repo.requestCount())
	}
}
