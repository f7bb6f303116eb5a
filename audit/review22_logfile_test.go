//go:build unix

package audit

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestReview22LogFileChanged: a log file renamed over, deleted (and
// re-created), truncated or written by someone else while the Log has it
// open is noticed at the next commit; the Log refuses that append and every
// later one, and Close reports it.
func TestReview22LogFileChanged(t *testing.T) {
	t.Parallel()
	for name, change := range map[string]func(t *testing.T, path string){
		"renamed over": func(t *testing.T, path string) {
			// An earlier copy of the log put back: a verifier would read a
			// valid prefix while appends went to the unlinked inode.
			old, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			tmp := path + ".tmp"
			if err := os.WriteFile(tmp, old, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, path); err != nil {
				t.Fatal(err)
			}
		},
		"deleted": func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		},
		"deleted and recreated": func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		},
		"truncated": func(t *testing.T, path string) {
			if err := os.Truncate(path, 10); err != nil {
				t.Fatal(err)
			}
		},
		"appended to": func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteString("forged line\n"); err != nil {
				t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "a.log")
			l, err := Open(t.Context(), path, testOrigin, testKey(1))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := l.Append(t.Context(), testEvent(0)); err != nil {
				t.Fatal(err)
			}
			if _, err := l.Checkpoint(t.Context()); err != nil {
				t.Fatal(err)
			}
			change(t, path)
			for i := 1; i <= 2; i++ {
				if _, err := l.Append(t.Context(), testEvent(i)); !errors.Is(err, ErrLogFileChanged) || !errors.Is(err, ErrSink) {
					t.Errorf("append %d after the change: err = %v, want ErrLogFileChanged", i, err)
				}
			}
			if _, err := l.Checkpoint(t.Context()); !errors.Is(err, ErrLogFileChanged) {
				t.Errorf("checkpoint after the change: err = %v, want ErrLogFileChanged", err)
			}
			if err := l.Close(); !errors.Is(err, ErrLogFileChanged) {
				t.Errorf("Close: err = %v, want ErrLogFileChanged", err)
			}
		})
	}
}

// TestReview22LogFileSymlinkKept: a log opened through a symbolic link is
// the file the link names, and stays accepted while it does. Since review
// 37 the link may only be on the way to the log's directory (resolved and
// checked by Open): a link in the last element is refused
// (TestReview37StateFileAuditRefused).
func TestReview22LogFileSymlinkKept(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	real, link := filepath.Join(dir, "real.log"), filepath.Join(t.TempDir(), "linkdir")
	if l, err := Open(t.Context(), real, testOrigin, testKey(1)); err != nil {
		t.Fatal(err)
	} else if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	l, err := Open(t.Context(), filepath.Join(link, "real.log"), testOrigin, testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := l.Append(t.Context(), testEvent(i)); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}
