//go:build unix

package x509ca

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// review37Other is a uid that is neither root nor this process's.
func review37Other(t *testing.T) int {
	t.Helper()
	uid := os.Geteuid() + 4242
	if uid == 0 {
		uid++
	}
	return uid
}

// review37Chown gives path to another user, or skips when this process
// cannot (not root).
func review37Chown(t *testing.T, path string, symlink bool) {
	t.Helper()
	chown := os.Chown
	if symlink {
		chown = os.Lchown
	}
	if err := chown(path, review37Other(t), -1); err != nil {
		t.Skipf("cannot chown: %v", err)
	}
}

func review37Chmod(t *testing.T, path string, mode fs.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func review37Symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func review37Mkdir(t *testing.T, path string) {
	t.Helper()
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
}

// TestReview37KeyDirRefusesUnsafePath: a directory that another user can
// write, or owns, anywhere on the path to the store, or a symbolic link on
// the way that another user owns or that leads to such a directory, lets
// that user swap the key or the chain, or plant retired chains the
// authority publishes as its own. Load and Save refuse it before reading
// or writing anything.
func TestReview37KeyDirRefusesUnsafePath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// spoil prepares base (a fresh 0700 directory) and returns the
		// store's Dir.
		spoil func(t *testing.T, base string) string
	}{
		{"dir writable by group", func(t *testing.T, base string) string {
			dir := filepath.Join(base, "ca")
			review37Mkdir(t, dir)
			review37Chmod(t, dir, 0o770)
			return dir
		}},
		{"dir writable by others", func(t *testing.T, base string) string {
			dir := filepath.Join(base, "ca")
			review37Mkdir(t, dir)
			review37Chmod(t, dir, 0o703)
			return dir
		}},
		{"dir sticky and world writable", func(t *testing.T, base string) string {
			dir := filepath.Join(base, "ca")
			review37Mkdir(t, dir)
			review37Chmod(t, dir, 0o777|fs.ModeSticky)
			return dir
		}},
		{"dir owned by another user", func(t *testing.T, base string) string {
			dir := filepath.Join(base, "ca")
			review37Mkdir(t, dir)
			review37Chown(t, dir, false)
			return dir
		}},
		{"parent owned by another user", func(t *testing.T, base string) string {
			parent := filepath.Join(base, "p")
			review37Mkdir(t, parent)
			review37Chmod(t, parent, 0o755)
			review37Mkdir(t, filepath.Join(parent, "ca"))
			review37Chown(t, parent, false)
			return filepath.Join(parent, "ca")
		}},
		{"parent writable by group, not sticky", func(t *testing.T, base string) string {
			parent := filepath.Join(base, "p")
			review37Mkdir(t, parent)
			review37Mkdir(t, filepath.Join(parent, "ca"))
			review37Chmod(t, parent, 0o775)
			return filepath.Join(parent, "ca")
		}},
		{"missing dir under a parent writable by others", func(t *testing.T, base string) string {
			parent := filepath.Join(base, "p")
			review37Mkdir(t, parent)
			review37Chmod(t, parent, 0o777)
			return filepath.Join(parent, "a", "ca")
		}},
		{"dir planted by another user in a sticky parent", func(t *testing.T, base string) string {
			parent := filepath.Join(base, "tmp")
			review37Mkdir(t, parent)
			review37Chmod(t, parent, 0o777|fs.ModeSticky)
			dir := filepath.Join(parent, "ca")
			review37Mkdir(t, dir)
			review37Chown(t, dir, false)
			return dir
		}},
		{"symlinked dir leading to another user's dir", func(t *testing.T, base string) string {
			theirs := filepath.Join(base, "theirs")
			review37Mkdir(t, theirs)
			review37Chown(t, theirs, false)
			review37Symlink(t, theirs, filepath.Join(base, "ca"))
			return filepath.Join(base, "ca")
		}},
		{"symlinked dir leading to a group-writable dir", func(t *testing.T, base string) string {
			shared := filepath.Join(base, "shared")
			review37Mkdir(t, shared)
			review37Chmod(t, shared, 0o770)
			review37Symlink(t, "shared", filepath.Join(base, "ca"))
			return filepath.Join(base, "ca")
		}},
		{"symlink owned by another user in a sticky parent", func(t *testing.T, base string) string {
			mine := filepath.Join(base, "mine")
			review37Mkdir(t, mine)
			parent := filepath.Join(base, "tmp")
			review37Mkdir(t, parent)
			review37Chmod(t, parent, 0o777|fs.ModeSticky)
			link := filepath.Join(parent, "ca")
			review37Symlink(t, mine, link)
			review37Chown(t, link, true)
			return link
		}},
		{"path component is a symlink in a dir writable by others", func(t *testing.T, base string) string {
			mine := filepath.Join(base, "mine")
			review37Mkdir(t, mine)
			open := filepath.Join(base, "open")
			review37Mkdir(t, open)
			review37Symlink(t, mine, filepath.Join(open, "link"))
			review37Chmod(t, open, 0o777)
			return filepath.Join(open, "link", "ca")
		}},
		{"dot-dot out of a safe dir into an unsafe one", func(t *testing.T, base string) string {
			open := filepath.Join(base, "open")
			review37Mkdir(t, open)
			review37Chmod(t, open, 0o777)
			safe := filepath.Join(open, "safe")
			review37Mkdir(t, safe)
			review37Mkdir(t, filepath.Join(base, "ca"))
			// base/link -> open/safe/.. resolves to open, unsafe.
			review37Symlink(t, filepath.Join("open", "safe", ".."), filepath.Join(base, "link"))
			return filepath.Join(base, "link")
		}},
		{"dir is a regular file", func(t *testing.T, base string) string {
			dir := filepath.Join(base, "ca")
			if err := os.WriteFile(dir, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			return dir
		}},
		{"symlink loop", func(t *testing.T, base string) string {
			review37Symlink(t, "b", filepath.Join(base, "a"))
			review37Symlink(t, "a", filepath.Join(base, "b"))
			return filepath.Join(base, "a")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := tt.spoil(t, t.TempDir())
			s := Store{Dir: dir, KeyFile: "k.key", ChainFile: "c.pem", RetiredFile: "r.json"}
			err := s.Save(newState(t))
			if tt.name == "symlink loop" {
				// The kernel may refuse the loop first; either way, no save.
				if err == nil {
					t.Fatal("Save through a symlink loop succeeded")
				}
				return
			}
			if !errors.Is(err, ErrUnsafeDir) || !errors.Is(err, ErrUnsafeKeyFile) {
				t.Fatalf("Save = %v, want ErrUnsafeDir (an ErrUnsafeKeyFile)", err)
			}
			if _, found, err := s.Load(); found || !errors.Is(err, ErrUnsafeDir) {
				t.Fatalf("Load = found %v, %v; want ErrUnsafeDir", found, err)
			}
		})
	}
}

// TestReview37KeyDirAcceptsSafePath: what operators do must keep working:
// a store under a sticky world-writable directory (/tmp), a directory
// reached through a symbolic link of this user's, a missing directory
// (created 0700, parents too), a directory others may read and list.
func TestReview37KeyDirAcceptsSafePath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, base string) string
	}{
		{"missing nested dir", func(t *testing.T, base string) string {
			return filepath.Join(base, "a", "b", "ca")
		}},
		{"under a sticky world-writable dir", func(t *testing.T, base string) string {
			parent := filepath.Join(base, "tmp")
			review37Mkdir(t, parent)
			review37Chmod(t, parent, 0o777|fs.ModeSticky)
			return filepath.Join(parent, "ca")
		}},
		{"readable by others", func(t *testing.T, base string) string {
			dir := filepath.Join(base, "ca")
			review37Mkdir(t, dir)
			review37Chmod(t, dir, 0o755)
			return dir
		}},
		{"symlinked dir", func(t *testing.T, base string) string {
			review37Mkdir(t, filepath.Join(base, "real"))
			review37Symlink(t, "real", filepath.Join(base, "ca"))
			return filepath.Join(base, "ca")
		}},
		{"relative symlink with dot-dot", func(t *testing.T, base string) string {
			review37Mkdir(t, filepath.Join(base, "x"))
			review37Mkdir(t, filepath.Join(base, "real"))
			review37Symlink(t, filepath.Join("x", "..", "real"), filepath.Join(base, "ca"))
			return filepath.Join(base, "ca")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := tt.setup(t, t.TempDir())
			s := Store{Dir: dir, KeyFile: "k.key", ChainFile: "c.pem", RetiredFile: "r.json"}
			if _, found, err := s.Load(); found || err != nil {
				t.Fatalf("Load of a new store = found %v, %v", found, err)
			}
			st := newState(t)
			if err := s.Save(st); err != nil {
				t.Fatalf("Save = %v", err)
			}
			got, found, err := s.Load()
			if err != nil || !found || !got.Chain[0].Equal(st.Chain[0]) {
				t.Fatalf("Load = found %v, %v", found, err)
			}
			fi, err := os.Stat(dir)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm()&0o022 != 0 {
				t.Fatalf("dir mode %v", fi.Mode())
			}
		})
	}
	t.Run("created dirs are 0700", func(t *testing.T) {
		t.Parallel()
		base := t.TempDir()
		s := Store{Dir: filepath.Join(base, "a", "ca"), KeyFile: "k.key", ChainFile: "c.pem", RetiredFile: "r.json"}
		if err := s.Save(newState(t)); err != nil {
			t.Fatal(err)
		}
		for _, d := range []string{filepath.Join(base, "a"), s.Dir} {
			if fi, err := os.Stat(d); err != nil || fi.Mode().Perm() != 0o700 {
				t.Fatalf("%s: mode %v, %v; want 0700", d, fi.Mode().Perm(), err)
			}
		}
	})
}

// TestReview37KeyDirRefusesUnsafeChainFiles: the chain and the retired
// chains decide what the authority publishes as trusted. One that another
// user owns, that group or others can write, or that is a symbolic link, is
// refused like an unsafe key file, not read.
func TestReview37KeyDirRefusesUnsafeChainFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		spoil func(t *testing.T, path string)
	}{
		{"group writable", func(t *testing.T, path string) { review37Chmod(t, path, 0o620) }},
		{"others writable", func(t *testing.T, path string) { review37Chmod(t, path, 0o606) }},
		{"owned by another user", func(t *testing.T, path string) { review37Chown(t, path, false) }},
		{"symlink", func(t *testing.T, path string) {
			real := path + ".real"
			if err := os.Rename(path, real); err != nil {
				t.Fatal(err)
			}
			review37Symlink(t, real, path)
		}},
		{"fifo", func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			if err := mkfifo(path); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
		}},
	}
	for _, file := range []string{"c.pem", "r.json"} {
		for _, tt := range tests {
			t.Run(file+" "+tt.name, func(t *testing.T) {
				t.Parallel()
				s := testStore(t)
				s.KeyFile, s.ChainFile, s.RetiredFile = "k.key", "c.pem", "r.json"
				if err := s.Save(newState(t)); err != nil {
					t.Fatal(err)
				}
				tt.spoil(t, filepath.Join(s.Dir, file))
				if _, found, err := s.Load(); found || !errors.Is(err, ErrUnsafeKeyFile) {
					t.Fatalf("Load = found %v, %v; want ErrUnsafeKeyFile", found, err)
				}
			})
		}
	}
	t.Run("readable by others is fine", func(t *testing.T) {
		t.Parallel()
		s := testStore(t)
		if err := s.Save(newState(t)); err != nil {
			t.Fatal(err)
		}
		review37Chmod(t, s.path(s.ChainFile), 0o644)
		review37Chmod(t, s.path(s.RetiredFile), 0o644)
		if _, found, err := s.Load(); !found || err != nil {
			t.Fatalf("Load = found %v, %v", found, err)
		}
	})
}

func mkfifo(path string) error { return syscall.Mkfifo(path, 0o600) }
