//go:build unix

package audit

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
)

// review37Nobody is the uid a file "another user" owns is given.
const review37Nobody = 65534

// TestReview37StateFileAuditRefused: Open checked neither who owns an
// existing log nor its directory. A log another user planted first in a
// shared directory (or a link to one, or a file group or others may
// write) stayed theirs to rewrite or truncate — entries and checkpoints an
// incident responder relies on — and Open signed on over whatever they
// left. Open now refuses such a file or directory with ErrUnsafeFile
// (wrapping ErrConfig), and leaves it as it was.
func TestReview37StateFileAuditRefused(t *testing.T) {
	t.Parallel()
	chown := func(t *testing.T, path string) {
		t.Helper()
		if os.Geteuid() != 0 {
			t.Skip("giving a file to another user needs root")
		}
		if err := os.Lchown(path, review37Nobody, review37Nobody); err != nil {
			t.Fatal(err)
		}
	}
	chmod := func(t *testing.T, path string, mode fs.FileMode) {
		t.Helper()
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}
	// aLog returns the path of a valid log of three entries in dir.
	aLog := func(t *testing.T, dir string) string {
		t.Helper()
		_, b := writeLog(t, 3, 2)
		path := filepath.Join(dir, "audit.log")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for _, tc := range []struct {
		name string
		// setup returns the path to open.
		setup func(t *testing.T, dir string) string
	}{
		{name: "log another user owns", setup: func(t *testing.T, dir string) string {
			path := aLog(t, dir)
			chown(t, path)
			return path
		}},
		{name: "empty file another user owns", setup: func(t *testing.T, dir string) string {
			path := filepath.Join(dir, "audit.log")
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			chown(t, path)
			return path
		}},
		{name: "symbolic link to a log", setup: func(t *testing.T, dir string) string {
			link := filepath.Join(dir, "link.log")
			if err := os.Symlink(aLog(t, t.TempDir()), link); err != nil {
				t.Fatal(err)
			}
			return link
		}},
		{name: "dangling symbolic link", setup: func(t *testing.T, dir string) string {
			link := filepath.Join(dir, "link.log")
			if err := os.Symlink(filepath.Join(t.TempDir(), "nowhere"), link); err != nil {
				t.Fatal(err)
			}
			return link
		}},
		{name: "FIFO", setup: func(t *testing.T, dir string) string {
			path := filepath.Join(dir, "audit.log")
			if err := syscall.Mkfifo(path, 0o600); err != nil {
				t.Skip("mkfifo:", err)
			}
			return path
		}},
		{name: "group-writable log", setup: func(t *testing.T, dir string) string {
			path := aLog(t, dir)
			chmod(t, path, 0o620)
			return path
		}},
		{name: "other-writable log", setup: func(t *testing.T, dir string) string {
			path := aLog(t, dir)
			chmod(t, path, 0o602)
			return path
		}},
		{name: "group-writable directory", setup: func(t *testing.T, dir string) string {
			chmod(t, dir, 0o770)
			return filepath.Join(dir, "audit.log")
		}},
		{name: "sticky world-writable directory", setup: func(t *testing.T, dir string) string {
			// /tmp itself: others cannot replace the log, but can plant
			// one under any name first.
			chmod(t, dir, 0o777|fs.ModeSticky)
			return filepath.Join(dir, "audit.log")
		}},
		{name: "directory another user owns", setup: func(t *testing.T, dir string) string {
			chown(t, dir)
			return aLog(t, dir)
		}},
		{name: "world-writable parent directory", setup: func(t *testing.T, dir string) string {
			sub := filepath.Join(dir, "logs")
			if err := os.Mkdir(sub, 0o700); err != nil {
				t.Fatal(err)
			}
			chmod(t, dir, 0o777)
			return filepath.Join(sub, "audit.log")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := tc.setup(t, dir)
			before := review37Snapshot(t, dir)
			l, err := Open(t.Context(), path, testOrigin, testKey(1), WithoutSyncUnsafe())
			if err == nil {
				l.Close()
				t.Fatalf("Open(%s) succeeded", tc.name)
			}
			if !errors.Is(err, ErrUnsafeFile) || !errors.Is(err, ErrConfig) {
				t.Errorf("Open(%s) = %v, want ErrUnsafeFile", tc.name, err)
			}
			if after := review37Snapshot(t, dir); after != before {
				t.Errorf("Open(%s) changed the directory:\n%s\nwas\n%s", tc.name, after, before)
			}
		})
	}
}

// review37Snapshot describes the regular files of dir (not following
// links): names, sizes and contents.
func review37Snapshot(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, e := range ents {
		b.WriteString(e.Name() + " " + e.Type().String() + "\n")
		if e.Type().IsRegular() {
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			b.Write(data)
		}
	}
	return b.String()
}

// review37Levels records the levels a logger was called with.
type review37Levels struct {
	mu   sync.Mutex
	msgs []string
	warn int
}

func (h *review37Levels) Enabled(context.Context, slog.Level) bool { return true }
func (h *review37Levels) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r.Level >= slog.LevelWarn {
		h.warn++
		h.msgs = append(h.msgs, r.Message)
	}
	return nil
}
func (h *review37Levels) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *review37Levels) WithGroup(string) slog.Handler      { return h }

// TestReview37StateFileAuditNewLogNoWarning: Open logged "truncating torn
// tail" at WARN for every brand-new log (an empty file has no header),
// which trains operators to ignore the warning that a crash, or someone,
// cut the log. A new log is no torn tail: it is created with mode 0600,
// owned by this process's user, without a warning, and reopened without
// one; a real torn tail still warns.
func TestReview37StateFileAuditNewLogNoWarning(t *testing.T) {
	t.Parallel()
	h := &review37Levels{}
	logger := slog.New(h)
	path := filepath.Join(t.TempDir(), "audit.log")
	for i := range 2 {
		l, err := Open(t.Context(), path, testOrigin, testKey(1), WithoutSyncUnsafe(), WithLogger(logger))
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		if _, err := l.Append(t.Context(), testEvent(i)); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if h.warn != 0 {
		t.Errorf("opening a new log, then reopening it, warned: %q", h.msgs)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != 0o600 || fi.Sys().(*syscall.Stat_t).Uid != uint32(os.Geteuid()) {
		t.Errorf("new log: mode %v, uid %d; want 0600 and %d", fi.Mode(), fi.Sys().(*syscall.Stat_t).Uid, os.Geteuid())
	}

	// A torn tail still warns.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("e 9 torn"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	l, err := Open(t.Context(), path, testOrigin, testKey(1), WithoutSyncUnsafe(), WithLogger(logger))
	if err != nil {
		t.Fatalf("Open(torn tail): %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if h.warn == 0 {
		t.Error("cutting a torn tail did not warn")
	}
}
