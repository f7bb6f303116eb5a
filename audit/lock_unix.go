//go:build unix

package audit

import (
	"fmt"
	"os"
	"syscall"
)

// lockFile takes an exclusive advisory lock, released when f is closed, so
// two processes never append to the same log. Every failure wraps
// [ErrLogLocked]: a log that cannot be locked is not opened.
func lockFile(f *os.File) error {
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return fmt.Errorf("%w (is another process using this log?): %w", ErrLogLocked, err)
	}
	return nil
}
