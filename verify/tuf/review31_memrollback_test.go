package tuf_test

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/tuf"
)

// TestReview31RollbackAfterCacheLoss: go-tuf detects a rollback only
// against the metadata in the cache. When the cache is lost while a Client
// runs (a cleaned temporary directory, a volume replaced under a
// long-lived process), the next Refresh started over from the anchor and
// accepted whatever unexpired metadata the mirror served: an older
// timestamp naming an older trusted root, or a root version the Client had
// already moved past (the mirror withholds N+1.root.json), whose keys the
// rotation revoked. The Client remembers the versions it accepted and
// refuses fewer, keeping its current root.
func TestReview31RollbackAfterCacheLoss(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// advance moves the repository on (the Client refreshes to it);
		// rollBack then serves the older state.
		advance  func(r *testRepo)
		rollBack func(r *testRepo, v1Timestamp []byte)
	}{
		{
			name:    "timestamp",
			advance: func(r *testRepo) { r.publishTarget(otherTrustedRoot(t)) },
			rollBack: func(r *testRepo, v1Timestamp []byte) {
				r.put("timestamp.json", v1Timestamp)
			},
		},
		{
			name: "root",
			advance: func(r *testRepo) {
				old, next := r.signers["root"], r.newSigner()
				r.setKey("root", next)
				r.root.Signed.Version = 2
				r.signRoot(old, next)
				r.publishTarget(otherTrustedRoot(t))
			},
			rollBack: func(r *testRepo, _ []byte) {
				r.mu.Lock()
				delete(r.files, "2.root.json")
				r.mu.Unlock()
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			repo := newTestRepo(t, time.Now(), verify.PublicGoodJSON())
			v1 := repo.files["timestamp.json"]
			srv := repo.serve(t)
			cache := t.TempDir()
			c, err := tuf.Open(t.Context(), srv.URL, repo.anchor, cache)
			if err != nil {
				t.Fatal(err)
			}
			tt.advance(repo)
			cur, err := c.Refresh(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if err := os.RemoveAll(cache); err != nil {
				t.Fatal(err)
			}
			tt.rollBack(repo, v1)
			if r, err := c.Refresh(t.Context()); !errors.Is(err, tuf.ErrRollback) {
				t.Fatalf("refresh after the cache was lost: %+v, %v; want ErrRollback", r, err)
			}
			if r, err := c.Root(); err != nil || r.Revision != cur.Revision || r.Version != cur.Version {
				t.Errorf("root after the rollback attempt: %+v, %v; want %+v", r, err, cur)
			}
		})
	}
}
