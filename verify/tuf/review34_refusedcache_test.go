package tuf_test

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/tuf"
)

// TestReview34RefusedRefreshNotCached: go-tuf writes each file it verifies
// into the cache as the update goes, before the Client's own checks (the
// in-memory version floor, the target's shape). A refresh the running
// Client refused therefore left the refused metadata cached, and a
// restarted process opened offline from it: the rollback refused in memory
// was accepted after a restart. The cache now only ever holds what the
// Client accepted: a fresh Open on the same cache, offline, yields the root
// the Client kept, or nothing.
func TestReview34RefusedRefreshNotCached(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// advance moves the repository on (the Client refreshes to it);
		// attack then makes the next refresh one the Client refuses.
		advance   func(r *testRepo)
		loseCache bool
		attack    func(r *testRepo, v1Timestamp []byte)
		want      error
		// reopen: a fresh Open offline must succeed with the kept root
		// (the cache was not lost); otherwise it may only fail.
		reopen bool
	}{
		{
			name:      "timestamp rollback after cache loss",
			advance:   func(r *testRepo) { r.publishTarget(otherTrustedRoot(t)) },
			loseCache: true,
			attack:    func(r *testRepo, v1Timestamp []byte) { r.put("timestamp.json", v1Timestamp) },
			want:      tuf.ErrRollback,
		},
		{
			name: "root rollback after cache loss",
			advance: func(r *testRepo) {
				old, next := r.signers["root"], r.newSigner()
				r.setKey("root", next)
				r.root.Signed.Version = 2
				r.signRoot(old, next)
				r.publishTarget(otherTrustedRoot(t))
			},
			loseCache: true,
			attack: func(r *testRepo, _ []byte) {
				r.mu.Lock()
				delete(r.files, "2.root.json")
				r.mu.Unlock()
			},
			want: tuf.ErrRollback,
		},
		{
			name:    "target not a trusted root",
			advance: func(r *testRepo) { r.publishTarget(otherTrustedRoot(t)) },
			attack:  func(r *testRepo, _ []byte) { r.publishTarget([]byte(`{"mediaType":"nope"}`)) },
			want:    tuf.ErrTrustedRoot,
			reopen:  true,
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
			if tt.loseCache {
				if err := os.RemoveAll(cache); err != nil {
					t.Fatal(err)
				}
			}
			tt.attack(repo, v1)
			if r, err := c.Refresh(t.Context()); !errors.Is(err, tt.want) {
				t.Fatalf("refused refresh: %+v, %v; want %v", r, err, tt.want)
			}

			// The process restarts with the repository unreachable: Open
			// reads the cache only.
			srv.Close()
			c2, err := tuf.Open(t.Context(), srv.URL, repo.anchor, cache)
			if err != nil {
				if tt.reopen {
					t.Fatalf("open from the cache after the refused refresh: %v; want the kept root", err)
				}
				return
			}
			r, err := c2.Root()
			if err != nil {
				t.Fatal(err)
			}
			if r.Revision != cur.Revision || r.Version != cur.Version {
				t.Errorf("open from the cache after the refused refresh: revision %s version %d; want the kept %s version %d", r.Revision, r.Version, cur.Revision, cur.Version)
			}
		})
	}
}
