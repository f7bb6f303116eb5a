//go:build unix

package tuf_test

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/tuf"
)

// TestReview38CacheDirUnsafe: the cache is trusted storage (whoever writes
// it chooses the trusted root), yet Open used a cache directory, or a
// directory above it, that group or others could write, and read cached
// files that others could write, or that were symbolic links to anywhere.
// Another local user could plant metadata and a target there. The cache
// now passes OpenSSH's ~/.ssh rule (x509ca.SecureDir) and each cached file
// is opened as x509ca.OpenStateFile opens state: such a cache is refused
// with ErrUnsafeCache, before any of it is read.
func TestReview38CacheDirUnsafe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// spoil makes the populated cache (root cache, key directory)
		// unsafe.
		spoil func(t *testing.T, cache, dir string)
	}{
		{
			name:  "cache root writable by group",
			spoil: func(t *testing.T, cache, _ string) { chmod(t, cache, 0o770) },
		},
		{
			name:  "cache root writable by others, sticky",
			spoil: func(t *testing.T, cache, _ string) { chmod(t, cache, os.ModeSticky|0o777) },
		},
		{
			name:  "layout directory writable by others",
			spoil: func(t *testing.T, _, dir string) { chmod(t, filepath.Dir(dir), 0o707) },
		},
		{
			name:  "key directory writable by group",
			spoil: func(t *testing.T, _, dir string) { chmod(t, dir, 0o770) },
		},
		{
			name:  "targets directory writable by group",
			spoil: func(t *testing.T, _, dir string) { chmod(t, filepath.Join(dir, "targets"), 0o770) },
		},
		{
			name:  "cached timestamp writable by others",
			spoil: func(t *testing.T, _, dir string) { chmod(t, filepath.Join(dir, "timestamp.json"), 0o646) },
		},
		{
			name:  "cached target writable by group",
			spoil: func(t *testing.T, _, dir string) { chmod(t, filepath.Join(dir, "targets", "trusted_root.json"), 0o664) },
		},
		{
			name: "cached root is a symbolic link",
			spoil: func(t *testing.T, _, dir string) {
				p := filepath.Join(dir, "root.json")
				if err := os.Rename(p, p+".real"); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(p+".real", p); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "cached snapshot is a FIFO",
			spoil: func(t *testing.T, _, dir string) {
				p := filepath.Join(dir, "snapshot.json")
				if err := os.Remove(p); err != nil {
					t.Fatal(err)
				}
				if err := syscall.Mkfifo(p, 0o600); err != nil {
					t.Skip("no FIFO:", err)
				}
			},
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
			tt.spoil(t, cache, repoCacheDir(t, cache))
			if _, err := tuf.Open(t.Context(), srv.URL, repo.anchor, cache); !errors.Is(err, tuf.ErrUnsafeCache) || !errors.Is(err, tuf.ErrTUF) {
				t.Errorf("Open on an unsafe cache: %v, want ErrUnsafeCache", err)
			}
			// A running Client's refresh reads the cache too.
			if _, err := c.Refresh(t.Context()); !errors.Is(err, tuf.ErrUnsafeCache) {
				t.Errorf("Refresh on an unsafe cache: %v, want ErrUnsafeCache", err)
			}
		})
	}
}

// TestReview38CacheDirCreatedSafe: a missing cache directory is created
// 0700 and accepted; one below a sticky, world-writable directory (/tmp)
// is fine.
func TestReview38CacheDirCreatedSafe(t *testing.T) {
	t.Parallel()
	repo := newTestRepo(t, time.Now(), verify.PublicGoodJSON())
	srv := repo.serve(t)
	base := t.TempDir()
	chmod(t, base, os.ModeSticky|0o777)
	cache := filepath.Join(base, "a", "b")
	if _, err := tuf.Open(t.Context(), srv.URL, repo.anchor, cache); err != nil {
		t.Fatal(err)
	}
	if _, err := tuf.Open(t.Context(), srv.URL, repo.anchor, cache); err != nil {
		t.Fatalf("reopen from cache: %v", err)
	}
	for _, d := range []string{filepath.Join(base, "a"), cache} {
		if fi, err := os.Stat(d); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v, %v; want mode 0700", d, fi, err)
		}
	}
}

func chmod(t *testing.T, p string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}
