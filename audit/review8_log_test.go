//go:build unix

package audit

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestReview8OpenRefusesForeignFileWithoutNewline: a file at the log's path
// that is not a log and has no newline (a key, a small binary blob, another
// instance's torn header) used to pass for a torn first line, so Open
// truncated it to nothing and wrote a header over it. Only a prefix of the
// header (or the zero bytes a crash can leave) is a torn header.
func TestReview8OpenRefusesForeignFileWithoutNewline(t *testing.T) {
	t.Parallel()
	for name, data := range map[string][]byte{
		"key":          []byte("-----BEGIN PRIVATE KEY-----MC4CAQAwBQYDK2VwBCIEIA"),
		"binary":       {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0xff, 0xfe},
		"other origin": []byte(headerPrefix + "example.com/ztci/audit/other"),
		"header+junk":  []byte(headerPrefix + testOrigin + " trailing"),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "audit.log")
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			l, err := Open(t.Context(), path, testOrigin, testKey(1), WithoutSyncUnsafe())
			if err == nil {
				l.Close()
			}
			if !errors.Is(err, ErrCorruptEntry) {
				t.Errorf("Open = %v, want ErrCorruptEntry", err)
			}
			if got, _ := os.ReadFile(path); !bytes.Equal(got, data) {
				t.Errorf("Open changed the file: %q", got)
			}
		})
	}
}

// TestReview8OpenRecoversTornHeader: a crash while a log is created leaves
// a prefix of its header, or zero bytes; Open starts the log afresh.
func TestReview8OpenRecoversTornHeader(t *testing.T) {
	t.Parallel()
	header := []byte(headerPrefix + testOrigin + "\n")
	cuts := [][]byte{make([]byte, 4096)}
	for n := 1; n < len(header); n++ {
		cuts = append(cuts, header[:n])
	}
	for _, data := range cuts {
		path := filepath.Join(t.TempDir(), "audit.log")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		l, err := Open(t.Context(), path, testOrigin, testKey(1), WithoutSyncUnsafe())
		if err != nil {
			t.Fatalf("Open(%q): %v", data, err)
		}
		if _, err := l.Append(t.Context(), testEvent(0)); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(path)
		if rep, err := testVerifier(t).Log(t.Context(), bytes.NewReader(got)); err != nil || rep.Entries != 1 {
			t.Errorf("after recovering %q: %+v, %v", data, rep, err)
		}
	}
}

// TestReview8OpenRefusesFIFO: a FIFO at the log's path made Open block in
// its first read forever, whatever its context.
func TestReview8OpenRefusesFIFO(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.log")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		l, err := Open(ctx, path, testOrigin, testKey(1))
		if err == nil {
			l.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrInvalidLog) {
			t.Errorf("Open(FIFO) = %v, want ErrInvalidLog", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Open(FIFO) still blocked after its context ended")
	}
}

// TestReview8OpenNeverCreatesThroughSymlink: a dangling symbolic link at
// the log's path made Open create the file wherever it pointed. Since
// review 37 a link to an existing log is refused too ([ErrUnsafeFile]:
// the log is opened without following a link in its last element), while
// a link on the way to its directory is resolved and checked.
func TestReview8OpenNeverCreatesThroughSymlink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := filepath.Join(t.TempDir(), "elsewhere")
	path := filepath.Join(dir, "audit.log")
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	l, err := Open(t.Context(), path, testOrigin, testKey(1), WithoutSyncUnsafe())
	if err == nil {
		l.Close()
	}
	if !errors.Is(err, ErrInvalidLog) {
		t.Errorf("Open(dangling link) = %v, want ErrInvalidLog", err)
	}
	if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open created the link's target: %v", err)
	}

	real, _ := writeLog(t, 3, 2)
	link := filepath.Join(dir, "link.log")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if l, err := Open(t.Context(), link, testOrigin, testKey(1), WithoutSyncUnsafe()); err == nil {
		l.Close()
		t.Error("Open(link to a log) succeeded")
	} else if !errors.Is(err, ErrUnsafeFile) {
		t.Errorf("Open(link to a log) = %v, want ErrUnsafeFile", err)
	}
	dirLink := filepath.Join(dir, "logdir")
	if err := os.Symlink(filepath.Dir(real), dirLink); err != nil {
		t.Fatal(err)
	}
	l = openTest(t, filepath.Join(dirLink, filepath.Base(real)), WithoutSyncUnsafe())
	if l.Size() != 3 {
		t.Errorf("size through a linked directory = %d, want 3", l.Size())
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestReview8FlipsAndCuts: every single-byte change of a closed log fails
// verification, and a cut at every byte of its last lines opens to the
// complete lines before it, which appends extend into a verified log.
func TestReview8FlipsAndCuts(t *testing.T) {
	t.Parallel()
	_, b := writeLog(t, 6, 2)
	v := testVerifier(t)
	for i := range b {
		for _, x := range []byte{1, 0x80, '\n' ^ b[i]} {
			c := bytes.Clone(b)
			if c[i] ^= x; c[i] == b[i] {
				continue
			}
			if _, err := v.Log(t.Context(), bytes.NewReader(c)); err == nil {
				t.Errorf("byte %d ^ %#x verifies", i, x)
			}
		}
	}
	ls := lines(b)
	start := len(b)
	for _, l := range ls[len(ls)-4:] {
		start -= len(l)
	}
	for cut := start; cut <= len(b); cut++ {
		path := filepath.Join(t.TempDir(), "audit.log")
		if err := os.WriteFile(path, b[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		l, err := Open(t.Context(), path, testOrigin, testKey(1), WithoutSyncUnsafe())
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		if _, err := l.Append(t.Context(), testEvent(int(l.Size()))); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(path)
		if complete := b[:bytes.LastIndexByte(b[:cut], '\n')+1]; !bytes.HasPrefix(got, complete) {
			t.Errorf("cut %d: complete lines altered", cut)
		}
		if _, err := v.Log(t.Context(), bytes.NewReader(got)); err != nil {
			t.Errorf("cut %d: %v", cut, err)
		}
	}
}

// TestReview8LockPermsAndRotatedKey: a second Log on the same file (by
// path or hard link) is refused; a new log is 0600; a log whose key was
// replaced does not open or verify under the new key.
func TestReview8LockPermsAndRotatedKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.log")
	l := openTest(t, path, WithoutSyncUnsafe())
	link := filepath.Join(t.TempDir(), "hard.log")
	if err := os.Link(path, link); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, link} {
		if l2, err := Open(t.Context(), p, testOrigin, testKey(1)); err == nil {
			l2.Close()
			t.Errorf("second Open(%s) succeeded", p)
		}
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("new log mode = %v, %v; want 0600", fi.Mode(), err)
	}
	if _, err := l.Append(t.Context(), testEvent(0)); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(t.Context(), path, testOrigin, testKey(2)); !errors.Is(err, ErrCheckpointSignature) {
		t.Errorf("Open with another key = %v, want ErrCheckpointSignature", err)
	}
}

// TestReview8LongLineRefused: a line longer than any the log writes (here
// 1 MiB, with or without a newline) is refused by Open and Verifier.Log
// with bounded reads, and Open leaves the file as it was.
func TestReview8LongLineRefused(t *testing.T) {
	t.Parallel()
	_, b := writeLog(t, 3, 2)
	blob := bytes.Repeat([]byte{0xff, 'e', ' ', 0}, 1<<18)
	for _, data := range [][]byte{
		append(bytes.Clone(b), blob...),
		append(append(bytes.Clone(b), blob...), '\n'),
	} {
		if _, err := testVerifier(t).Log(t.Context(), bytes.NewReader(data)); !errors.Is(err, ErrCorruptEntry) {
			t.Errorf("Verifier.Log = %v, want ErrCorruptEntry", err)
		}
		path := filepath.Join(t.TempDir(), "audit.log")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if l, err := Open(t.Context(), path, testOrigin, testKey(1)); !errors.Is(err, ErrCorruptEntry) {
			if err == nil {
				l.Close()
			}
			t.Errorf("Open = %v, want ErrCorruptEntry", err)
		}
		if got, _ := os.ReadFile(path); !bytes.Equal(got, data) {
			t.Error("Open changed the file")
		}
	}
}
