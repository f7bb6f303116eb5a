//go:build unix

package tuf

import (
	"errors"
	"os"
	"syscall"
)

// tryLockFile takes f's exclusive flock(2) lock without blocking; false
// when another open file holds it (another process, or another Client of
// this one: flock locks belong to the open file, not the process).
func tryLockFile(f *os.File) (bool, error) {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) || errors.Is(err, syscall.EINTR) {
		return false, nil
	}
	return err == nil, err
}

func unlockFile(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
