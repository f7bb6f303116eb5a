//go:build unix

package audit

import (
	"errors"
	"path/filepath"
	"testing"
)

// TestReview33LogLockSentinel: a second Open of a log another Log holds
// fails with an error callers can match (ErrLogLocked), not a bare
// syscall error.
func TestReview33LogLockSentinel(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.log")
	l, err := Open(t.Context(), path, testOrigin, testKey(1), WithoutSyncUnsafe())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l2, err := Open(t.Context(), path, testOrigin, testKey(1), WithoutSyncUnsafe())
	if err == nil {
		l2.Close()
		t.Fatal("second Open of a locked log succeeded")
	}
	if !errors.Is(err, ErrLogLocked) {
		t.Fatalf("second Open: %v, want ErrLogLocked", err)
	}
}
