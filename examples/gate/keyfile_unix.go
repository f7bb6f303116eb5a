//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// openKeyFile opens path for reading without following a symbolic link in
// its last element (O_NOFOLLOW) and without blocking on a FIFO
// (O_NONBLOCK), then checks the open descriptor, so that the file checked
// is the file read: a regular file owned by this process's effective user,
// with no group or other permission.
func openKeyFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("%w: %s is a symbolic link", ErrUnsafeAuditFile, path)
	}
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil {
		err = checkKeyFileInfo(path, fi)
	}
	if err == nil {
		st, ok := fi.Sys().(*syscall.Stat_t)
		switch uid := os.Geteuid(); {
		case !ok:
			err = fmt.Errorf("%w: %s: no owner information", ErrUnsafeAuditFile, path)
		case int64(st.Uid) != int64(uid):
			err = fmt.Errorf("%w: %s is owned by uid %d, not by this process's uid %d", ErrUnsafeAuditFile, path, st.Uid, uid)
		}
	}
	if err != nil {
		return nil, errors.Join(err, f.Close())
	}
	return f, nil
}

// checkOwnedIfExists refuses a file at path (not following a symbolic
// link) that another user owns; a missing file is fine.
func checkOwnedIfExists(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if uid := os.Geteuid(); !ok || int64(st.Uid) != int64(uid) {
		return fmt.Errorf("%w: %s is not owned by this process's uid %d", ErrUnsafeAuditFile, path, uid)
	}
	return nil
}
