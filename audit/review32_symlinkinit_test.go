//go:build unix

package audit

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestReview32NoInitThroughSymlink: Open never creates a log through a
// symbolic link (review 8), because whoever can write the log's directory
// could aim the link at any file the process may create. An existing file
// without a complete line, reached through a link, was treated as a new
// log all the same: Open truncated it (a file of zero bytes, such as a
// preallocated database segment, was cut to nothing) and wrote the header
// and then every audit entry into it (an empty configuration file of the
// host, say). Open now only continues an existing log through a link; a
// file it would initialise must be named directly, and a refused file is
// left as it was. Since review 37 Open follows no link in the log's last
// element at all, so a link to a log is refused too ([ErrUnsafeFile]).
func TestReview32NoInitThroughSymlink(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"zeros", make([]byte, 4096)},
		{"header prefix", []byte(headerPrefix[:7])},
		{"header without newline", []byte(headerPrefix + testOrigin)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			target := filepath.Join(t.TempDir(), "victim")
			if err := os.WriteFile(target, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			link := filepath.Join(dir, "audit.log")
			if err := os.Symlink(target, link); err != nil {
				t.Fatal(err)
			}
			l, err := Open(t.Context(), link, testOrigin, testKey(1), WithoutSyncUnsafe())
			if err == nil {
				l.Close()
			}
			if !errors.Is(err, ErrInvalidLog) {
				t.Errorf("Open(link to a file without a log) = %v, want ErrInvalidLog", err)
			}
			if got, _ := os.ReadFile(target); !bytes.Equal(got, tc.data) {
				t.Errorf("the link's target changed: %q, was %q", got, tc.data)
			}
			// Named directly, the same file becomes the log.
			if l, err = Open(t.Context(), target, testOrigin, testKey(1), WithoutSyncUnsafe()); err != nil {
				t.Fatalf("Open(the file itself): %v", err)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			// Once it is a log, a link to it is refused all the same.
			if l, err = Open(t.Context(), link, testOrigin, testKey(1), WithoutSyncUnsafe()); err == nil {
				l.Close()
				t.Fatal("Open(link to a log) succeeded")
			} else if !errors.Is(err, ErrUnsafeFile) {
				t.Fatalf("Open(link to a log) = %v, want ErrUnsafeFile", err)
			}
		})
	}
}
