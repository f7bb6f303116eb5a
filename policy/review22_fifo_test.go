//go:build unix

package policy_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ztci/ztci/policy"
)

// review22Mkfifo makes a FIFO at path. If a test left a reader waiting on
// it, the cleanup opens and closes its other end, so that reader returns.
func review22Mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	t.Cleanup(func() {
		if w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
	})
}

// review22LoadsPromptly loads src and wants an ErrLoad naming want within
// a few seconds, not a reload stuck for ever.
func review22LoadsPromptly(t *testing.T, src policy.Source) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := src.Load(context.Background())
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, policy.ErrLoad) {
			t.Fatalf("Load: %v, want ErrLoad", err)
		}
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("Load still waiting on the FIFO after 5s")
		return nil
	}
}

// TestReview22BundleFileFIFO: BundleFile opened its path with os.Open,
// which waits for a writer when the path is a FIFO. Whoever could put a
// FIFO (or a link to one, or to a tty) at the bundle path stalled the
// reload goroutine for ever: no later policy was loaded, and under an
// expiring Source the engine stopped deciding. Now the load fails at once
// with ErrLoad; so does one of a device.
func TestReview22BundleFileFIFO(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "bundle.tar.gz")
	review22Mkfifo(t, fifo)
	err := review22LoadsPromptly(t, policy.BundleFile(fifo))
	t.Log(err)

	link := filepath.Join(dir, "link.tar.gz")
	if err := os.Symlink(fifo, link); err != nil {
		t.Fatal(err)
	}
	review22LoadsPromptly(t, policy.BundleFile(link))

	if _, err := os.Stat("/dev/null"); err == nil {
		review22LoadsPromptly(t, policy.BundleFile("/dev/null"))
	}
}

// TestReview22DirFIFO: Dir opened its path with os.OpenRoot, which opens
// it plainly before checking it is a directory, so a FIFO at the path
// stalled the reload as for BundleFile. A FIFO entry in the directory
// was already refused as a special entry, without being opened.
func TestReview22DirFIFO(t *testing.T) {
	t.Parallel()
	fifo := filepath.Join(t.TempDir(), "policy")
	review22Mkfifo(t, fifo)
	t.Log(review22LoadsPromptly(t, policy.Dir(fifo)))

	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "p.rego"), []byte(allowAll))
	review22Mkfifo(t, filepath.Join(dir, "q.rego"))
	t.Log(review22LoadsPromptly(t, policy.Dir(dir)))
}
