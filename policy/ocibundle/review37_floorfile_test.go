//go:build unix

package ocibundle_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/ocibundle"
)

// review37High is the floor a gate recorded; review37Low the older one an
// attacker wants back in force.
var (
	review37High = ocibundle.Floor{SignedAt: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC), Digest: "sha256:" + strings.Repeat("b", 64), Ref: "registry.example/policies:prod"}
	review37Low  = ocibundle.Floor{SignedAt: review37High.SignedAt.Add(-24 * time.Hour), Digest: "sha256:" + strings.Repeat("a", 64), Ref: review37High.Ref}
)

// review37Other is a uid that is neither root nor this process's.
func review37Other() int {
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
	if err := chown(path, review37Other(), -1); err != nil {
		t.Skipf("cannot chown: %v", err)
	}
}

func review37Must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// review37Write writes f to path as FileFloorStore does, with mode.
func review37Write(t *testing.T, path string, f ocibundle.Floor, mode fs.FileMode) {
	t.Helper()
	b, err := json.Marshal(f)
	review37Must(t, err)
	review37Must(t, os.WriteFile(path, b, mode))
	review37Must(t, os.Chmod(path, mode))
}

// review37Store returns a store in dir/floor.json holding review37High.
func review37Store(t *testing.T, dir string) *ocibundle.FileFloorStore {
	t.Helper()
	s, err := ocibundle.NewFileFloorStore(filepath.Join(dir, "floor.json"))
	review37Must(t, err)
	if got, err := s.RaiseFloor(t.Context(), review37High); err != nil || got != review37High {
		t.Fatalf("first raise: %v %v", got, err)
	}
	return s
}

// review37Refused checks that both methods of s refuse with
// ErrUnsafeFloorFile (an ErrFloorStore, so a Source refuses its bundle).
func review37Refused(t *testing.T, s *ocibundle.FileFloorStore) {
	t.Helper()
	if f, err := s.ReadFloor(t.Context()); !errors.Is(err, ocibundle.ErrUnsafeFloorFile) || !errors.Is(err, ocibundle.ErrFloorStore) || !errors.Is(err, policy.ErrLoad) {
		t.Errorf("ReadFloor: %v %v, want ErrUnsafeFloorFile", f, err)
	}
	if f, err := s.RaiseFloor(t.Context(), review37Low); !errors.Is(err, ocibundle.ErrUnsafeFloorFile) {
		t.Errorf("RaiseFloor: %v %v, want ErrUnsafeFloorFile", f, err)
	}
}

// TestReview37FloorFileRefusesUnsafeFile: FileFloorStore read its file
// with a plain open, so whoever could put a symbolic link at its path
// (to a file holding an older floor, or to nothing: no floor at all),
// own it, or write it through group or other permissions, lowered the
// floor and brought back an older signed bundle; a FIFO at its path hung
// the gate's startup. The file is now opened without following a symbolic
// link or blocking, and must be a regular file of this process's user
// that nobody else can write, else ErrUnsafeFloorFile.
func TestReview37FloorFileRefusesUnsafeFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		spoil func(t *testing.T, dir, path string)
	}{
		{"symlink to an older floor", func(t *testing.T, dir, path string) {
			low := filepath.Join(dir, "low.json")
			review37Write(t, low, review37Low, 0o600)
			review37Must(t, os.Remove(path))
			review37Must(t, os.Symlink(low, path))
		}},
		{"dangling symlink", func(t *testing.T, dir, path string) {
			review37Must(t, os.Remove(path))
			review37Must(t, os.Symlink(filepath.Join(dir, "nothing"), path))
		}},
		{"owned by another user", func(t *testing.T, _, path string) {
			review37Write(t, path, review37Low, 0o644)
			review37Chown(t, path, false)
		}},
		{"writable by group", func(t *testing.T, _, path string) {
			review37Write(t, path, review37Low, 0o620)
		}},
		{"writable by others", func(t *testing.T, _, path string) {
			review37Write(t, path, review37Low, 0o602)
		}},
		{"FIFO", func(t *testing.T, _, path string) {
			review37Must(t, os.Remove(path))
			review37Must(t, syscall.Mkfifo(path, 0o600))
			// Hold the FIFO open for writing with more than a floor in
			// it, so that a reader that opens it blocking gets errors
			// of size rather than hanging the test.
			w, err := os.OpenFile(path, os.O_RDWR|syscall.O_NONBLOCK, 0)
			review37Must(t, err)
			t.Cleanup(func() { w.Close() })
			_, err = w.Write(make([]byte, 16<<10)) // two reads of a floor and more
			review37Must(t, err)
		}},
		{"directory", func(t *testing.T, _, path string) {
			review37Must(t, os.Remove(path))
			review37Must(t, os.Mkdir(path, 0o700))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			s := review37Store(t, dir)
			tt.spoil(t, dir, filepath.Join(dir, "floor.json"))
			review37Refused(t, s)
		})
	}
}

// TestReview37FloorFileRefusesUnsafeDir: FileFloorStore did not check its
// directory, so whoever could write it, or a directory above it that is
// not sticky, or owned one of them, could delete or replace the floor
// file. NewFileFloorStore now checks the path as OpenSSH checks ~/.ssh
// (x509ca.SecureDir) and refuses it with ErrUnsafeFloorFile, and every
// read and raise checks it again.
func TestReview37FloorFileRefusesUnsafeDir(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// spoil prepares base (a fresh 0700 directory) and returns the
		// floor file's directory.
		spoil func(t *testing.T, base string) string
	}{
		{"dir writable by group", func(t *testing.T, base string) string {
			dir := filepath.Join(base, "state")
			review37Must(t, os.Mkdir(dir, 0o700))
			review37Must(t, os.Chmod(dir, 0o770))
			return dir
		}},
		{"dir sticky and world writable", func(t *testing.T, base string) string {
			dir := filepath.Join(base, "state")
			review37Must(t, os.Mkdir(dir, 0o700))
			review37Must(t, os.Chmod(dir, 0o777|fs.ModeSticky))
			return dir
		}},
		{"dir owned by another user", func(t *testing.T, base string) string {
			dir := filepath.Join(base, "state")
			review37Must(t, os.Mkdir(dir, 0o700))
			review37Chown(t, dir, false)
			return dir
		}},
		{"parent writable by others, not sticky", func(t *testing.T, base string) string {
			parent := filepath.Join(base, "p")
			review37Must(t, os.Mkdir(parent, 0o700))
			review37Must(t, os.Mkdir(filepath.Join(parent, "state"), 0o700))
			review37Must(t, os.Chmod(parent, 0o777))
			return filepath.Join(parent, "state")
		}},
		{"missing dir under a parent writable by others", func(t *testing.T, base string) string {
			parent := filepath.Join(base, "p")
			review37Must(t, os.Mkdir(parent, 0o700))
			review37Must(t, os.Chmod(parent, 0o777))
			return filepath.Join(parent, "a", "state")
		}},
		{"dir planted by another user in a sticky parent", func(t *testing.T, base string) string {
			parent := filepath.Join(base, "tmp")
			review37Must(t, os.Mkdir(parent, 0o700))
			review37Must(t, os.Chmod(parent, 0o777|fs.ModeSticky))
			dir := filepath.Join(parent, "state")
			review37Must(t, os.Mkdir(dir, 0o700))
			review37Chown(t, dir, false)
			return dir
		}},
		{"symlink owned by another user", func(t *testing.T, base string) string {
			dir := filepath.Join(base, "state")
			review37Must(t, os.Mkdir(dir, 0o700))
			link := filepath.Join(base, "link")
			review37Must(t, os.Symlink(dir, link))
			review37Chown(t, link, true)
			return link
		}},
		{"symlink to a dir writable by others", func(t *testing.T, base string) string {
			dir := filepath.Join(base, "shared")
			review37Must(t, os.Mkdir(dir, 0o700))
			review37Must(t, os.Chmod(dir, 0o777))
			link := filepath.Join(base, "link")
			review37Must(t, os.Symlink(dir, link))
			return link
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := tt.spoil(t, t.TempDir())
			s, err := ocibundle.NewFileFloorStore(filepath.Join(dir, "floor.json"))
			if !errors.Is(err, ocibundle.ErrUnsafeFloorFile) || !errors.Is(err, ocibundle.ErrFloorStore) {
				t.Fatalf("NewFileFloorStore: %v %v, want ErrUnsafeFloorFile", s, err)
			}
		})
	}

	// The directory made unsafe after the store was made: refused on the
	// next read and raise, not only at construction.
	t.Run("dir made writable by others later", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(t.TempDir(), "state")
		s := review37Store(t, dir)
		review37Must(t, os.Chmod(dir, 0o777))
		review37Refused(t, s)
	})
}

// TestReview37FloorFileDirCreated: a missing directory is made 0700 (the
// floor file's directory was made by x509ca.WriteFile's MkdirAll on the
// first raise, without any check of the path), and the file is written
// 0600 with no temporary file left beside it.
func TestReview37FloorFileDirCreated(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "a", "state")
	s, err := ocibundle.NewFileFloorStore(filepath.Join(dir, "floor.json"))
	review37Must(t, err)
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("directory after NewFileFloorStore: %v %v, want 0700", fi, err)
	}
	if got, err := s.RaiseFloor(t.Context(), review37High); err != nil || got != review37High {
		t.Fatalf("raise: %v %v", got, err)
	}
	entries, err := os.ReadDir(dir)
	review37Must(t, err)
	if len(entries) != 1 || entries[0].Name() != "floor.json" {
		t.Errorf("directory holds %v, want floor.json alone", entries)
	}
	if fi, err := os.Lstat(filepath.Join(dir, "floor.json")); err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Errorf("floor file: %v %v, want a regular 0600 file", fi, err)
	}
	if got, err := s.ReadFloor(t.Context()); err != nil || got != review37High {
		t.Errorf("read back: %v %v", got, err)
	}
}

// TestReview37FloorFileDirRemoved: the floor's directory, made or found
// when the store was made, removed since (with the file in it) read as
// no floor; it is now an error: the store knows the directory existed.
func TestReview37FloorFileDirRemoved(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state")
	s := review37Store(t, dir)
	review37Must(t, os.RemoveAll(dir))
	if f, err := s.ReadFloor(t.Context()); err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFloor: %v %v, want an error", f, err)
	}
	if f, err := s.RaiseFloor(t.Context(), review37Low); err == nil {
		t.Errorf("RaiseFloor: %v, want an error", f)
	}
}

// TestReview37FloorFileSymlinkSwapAfterNew: a symbolic link on the path,
// checked when the store was made, then pointed elsewhere (to a directory
// holding an older floor) changes nothing: the store keeps the directory
// it resolved.
func TestReview37FloorFileSymlinkSwapAfterNew(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	realDir, other := filepath.Join(base, "real"), filepath.Join(base, "other")
	review37Must(t, os.Mkdir(realDir, 0o700))
	review37Must(t, os.Mkdir(other, 0o700))
	review37Write(t, filepath.Join(other, "floor.json"), review37Low, 0o600)
	link := filepath.Join(base, "link")
	review37Must(t, os.Symlink(realDir, link))
	s := review37Store(t, link)
	review37Must(t, os.Remove(link))
	review37Must(t, os.Symlink(other, link))
	if got, err := s.ReadFloor(t.Context()); err != nil || got != review37High {
		t.Errorf("ReadFloor: %v %v, want %v", got, err, review37High)
	}
}

// TestReview37FloorFilePathNamesNoFile: a path whose last element is not a
// file name ("dir/..", "/") made a store that read and wrote something
// else than the vendor meant; it is now ErrConfig.
func TestReview37FloorFilePathNamesNoFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tt := range []struct{ name, path string }{
		{"empty", ""},
		{"dot", "."},
		{"dot dot", filepath.Join(dir, "state") + string(filepath.Separator) + ".."},
		{"root", string(filepath.Separator)},
	} {
		if s, err := ocibundle.NewFileFloorStore(tt.path); !errors.Is(err, ocibundle.ErrConfig) {
			t.Errorf("%s (%q): %v %v, want ErrConfig", tt.name, tt.path, s, err)
		}
	}
}

// TestReview37FloorFileRollbackThroughSource: end to end, a restarted
// replica whose floor file was replaced by a symbolic link to an older
// floor loaded the older bundle the tag was moved back to; it now refuses
// it with ErrFloorStore, and the bundle in force still loads once the file
// is restored.
func TestReview37FloorFileRollbackThroughSource(t *testing.T) {
	t.Parallel()
	l := newRollbackLab(t)
	old := l.publish(t, allowAll, "r1")
	newer := l.publish(t, denyAll, "r2")
	dir := t.TempDir()
	path := filepath.Join(dir, "floor.json")
	store, err := ocibundle.NewFileFloorStore(path)
	review37Must(t, err)
	if _, err := l.ss.source(t, l.tag, publisherID, ocibundle.WithFloorStore(store)).Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	saved, err := os.ReadFile(path)
	review37Must(t, err)

	// The attacker points the floor file at nothing (no floor) and moves
	// the tag back to the older signed bundle; the gate restarts.
	review37Must(t, os.Rename(path, filepath.Join(dir, "saved.json")))
	review37Must(t, os.Symlink(filepath.Join(dir, "nothing"), path))
	l.retag(t, old, false)
	restarted, err := ocibundle.NewFileFloorStore(path)
	review37Must(t, err)
	if b, err := l.ss.source(t, l.tag, publisherID, ocibundle.WithFloorStore(restarted)).Load(t.Context()); !errors.Is(err, ocibundle.ErrUnsafeFloorFile) || !errors.Is(err, ocibundle.ErrFloorStore) {
		t.Fatalf("older bundle over a symlinked floor file: %v %v, want ErrFloorStore", b, err)
	}

	review37Must(t, os.Remove(path))
	review37Must(t, os.WriteFile(path, saved, 0o600))
	if _, err := l.ss.source(t, l.tag, publisherID, ocibundle.WithFloorStore(restarted)).Load(t.Context()); !errors.Is(err, ocibundle.ErrRollback) {
		t.Fatalf("older bundle over the restored floor: %v, want ErrRollback", err)
	}
	l.retag(t, newer, false)
	if b, err := l.ss.source(t, l.tag, publisherID, ocibundle.WithFloorStore(restarted)).Load(t.Context()); err != nil || b.Revision != revisionOf(t, "r2", newer) {
		t.Fatalf("bundle in force: %v", err)
	}
}
