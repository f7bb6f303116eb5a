//go:build unix

package policy

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestReview22DirEntryTurnedFIFO: Dir's walk refuses a FIFO it lists, but
// opened each file through os.Root's FS, which waits for a writer: a file
// replaced by a FIFO between the walk listing it and the read stalled the
// reload for ever. The race is not reproducible from outside, so this
// reads a FIFO through Dir's file system as the walk would after losing
// it: it must fail at once with ErrLoad.
func TestReview22DirEntryTurnedFIFO(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "p.rego")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	t.Cleanup(func() { // release a reader left waiting
		if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
	})
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	done := make(chan error, 1)
	go func() {
		_, err := readFSFile(nonblockFS{root}, "p.rego", MaxBundleBytes)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrLoad) {
			t.Fatalf("read: %v, want ErrLoad", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("read still waiting on the FIFO after 5s")
	}
}
