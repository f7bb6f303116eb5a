package x509ca

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestReview34KeyStoreReadKeyRefuses: the key file is opened once, without
// following a symlink, and its open descriptor must be a regular file owned
// by this process's user that nobody else can read or write, of bounded size.
func TestReview34KeyStoreReadKeyRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		spoil func(t *testing.T, path string)
		want  error
	}{
		{"symlink to the key", func(t *testing.T, path string) {
			real := path + ".real"
			if err := os.Rename(path, real); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(real, path); err != nil {
				t.Fatal(err)
			}
		}, ErrUnsafeKeyFile},
		{"group readable", func(t *testing.T, path string) {
			if err := os.Chmod(path, 0o640); err != nil {
				t.Fatal(err)
			}
		}, ErrUnsafeKeyFile},
		{"others writable", func(t *testing.T, path string) {
			if err := os.Chmod(path, 0o602); err != nil {
				t.Fatal(err)
			}
		}, ErrUnsafeKeyFile},
		{"owned by another user", func(t *testing.T, path string) {
			if err := os.Chown(path, os.Geteuid()+4242, -1); err != nil {
				t.Skipf("cannot chown: %v", err)
			}
		}, ErrUnsafeKeyFile},
		{"not a regular file", func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
		}, ErrUnsafeKeyFile},
		{"oversized", func(t *testing.T, path string) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			b = append(append(bytes.Repeat([]byte("x"), maxKeyFile), '\n'), b...)
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}, ErrBadPEM},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "k.key")
			if err := WriteKey(path, newState(t).Key); err != nil {
				t.Fatal(err)
			}
			if _, err := ReadKey(path); err != nil {
				t.Fatalf("ReadKey of a good key: %v", err)
			}
			tt.spoil(t, path)
			if _, err := ReadKey(path); !errors.Is(err, tt.want) {
				t.Fatalf("ReadKey = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestReview34KeyStoreMissingKeyFailsClosed: a directory that holds a chain
// or retired chains but no key (deleted by mistake, hidden by a dangling
// symlink, removed by someone with write access to the directory) is not a
// new authority: Load refuses it instead of letting the caller overwrite
// the chain and the retired chains that old bundles verify against.
func TestReview34KeyStoreMissingKeyFailsClosed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		spoil func(t *testing.T, s Store)
	}{
		{"key removed", func(t *testing.T, s Store) {
			rm(t, s.path(s.KeyFile))
		}},
		{"key and chain removed, retired kept", func(t *testing.T, s Store) {
			rm(t, s.path(s.KeyFile))
			rm(t, s.path(s.ChainFile))
		}},
		{"key and retired removed, chain kept", func(t *testing.T, s Store) {
			rm(t, s.path(s.KeyFile))
			rm(t, s.path(s.RetiredFile))
		}},
		{"key replaced by a dangling symlink", func(t *testing.T, s Store) {
			rm(t, s.path(s.KeyFile))
			if err := os.Symlink(filepath.Join(s.Dir, "nowhere"), s.path(s.KeyFile)); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := testStore(t)
			if err := s.Save(newState(t)); err != nil {
				t.Fatal(err)
			}
			tt.spoil(t, s)
			_, found, err := s.Load()
			if found || err == nil {
				t.Fatalf("Load = found %v, %v; want an error", found, err)
			}
			if !errors.Is(err, ErrKeyMissing) && !errors.Is(err, ErrUnsafeKeyFile) {
				t.Fatalf("Load = %v, want ErrKeyMissing or ErrUnsafeKeyFile", err)
			}
		})
	}
	t.Run("removing the whole directory starts afresh", func(t *testing.T) {
		t.Parallel()
		s := testStore(t)
		if err := s.Save(newState(t)); err != nil {
			t.Fatal(err)
		}
		if err := os.RemoveAll(s.Dir); err != nil {
			t.Fatal(err)
		}
		if _, found, err := s.Load(); found || err != nil {
			t.Fatalf("Load = found %v, %v; want not found, no error", found, err)
		}
	})
}

// TestReview34KeyStoreWriteDoesNotFollowSymlink: a symlink planted at a
// file's name is replaced, never written through.
func TestReview34KeyStoreWriteDoesNotFollowSymlink(t *testing.T) {
	t.Parallel()
	s := testStore(t)
	if err := s.Save(newState(t)); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("untouched"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{s.KeyFile, s.ChainFile, s.RetiredFile} {
		rm(t, s.path(name))
		if err := os.Symlink(victim, s.path(name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Save(newState(t)); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(victim); err != nil || string(b) != "untouched" {
		t.Fatalf("symlink target = %q, %v; want it untouched", b, err)
	}
	for _, name := range []string{s.KeyFile, s.ChainFile, s.RetiredFile} {
		fi, err := os.Lstat(s.path(name))
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: mode %v, %v; want a regular 0600 file", name, fi.Mode(), err)
		}
	}
	if _, _, err := s.Load(); err != nil {
		t.Fatal(err)
	}
}

func rm(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
}
