//go:build unix

package x509ca

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestReview37StateFileOpen: OpenStateFile, for state other packages keep
// on disk (ocibundle's rollback floor), opens a regular file of this
// process's user that group may read, and refuses, like the chain files, a
// symbolic link (even to a good file), a FIFO (without blocking), a file
// of another user and one group or others can write; a missing file is
// fs.ErrNotExist.
func TestReview37StateFileOpen(t *testing.T) {
	t.Parallel()
	write := func(t *testing.T, path string, mode fs.FileMode) {
		t.Helper()
		if err := os.WriteFile(path, []byte("state"), mode); err != nil {
			t.Fatal(err)
		}
		review37Chmod(t, path, mode)
	}
	tests := []struct {
		name    string
		prepare func(t *testing.T, dir, path string)
		want    error // nil: opens and reads "state"
	}{
		{"owner only", func(t *testing.T, _, path string) { write(t, path, 0o600) }, nil},
		{"readable by all", func(t *testing.T, _, path string) { write(t, path, 0o644) }, nil},
		{"missing", func(*testing.T, string, string) {}, fs.ErrNotExist},
		{"writable by group", func(t *testing.T, _, path string) { write(t, path, 0o620) }, ErrUnsafeKeyFile},
		{"writable by others", func(t *testing.T, _, path string) { write(t, path, 0o602) }, ErrUnsafeKeyFile},
		{"owned by another user", func(t *testing.T, _, path string) {
			write(t, path, 0o600)
			review37Chown(t, path, false)
		}, ErrUnsafeKeyFile},
		{"symlink to a good file", func(t *testing.T, dir, path string) {
			good := filepath.Join(dir, "good")
			write(t, good, 0o600)
			review37Symlink(t, good, path)
		}, ErrUnsafeKeyFile},
		{"FIFO", func(t *testing.T, _, path string) {
			if err := mkfifo(path); err != nil {
				t.Fatal(err)
			}
		}, ErrUnsafeKeyFile},
		{"directory", func(t *testing.T, _, path string) { review37Mkdir(t, path) }, ErrUnsafeKeyFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "state")
			tt.prepare(t, dir, path)
			f, err := OpenStateFile(path)
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("got %v, want %v", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if b, err := io.ReadAll(f); err != nil || string(b) != "state" {
				t.Errorf("read %q %v", b, err)
			}
		})
	}
}
