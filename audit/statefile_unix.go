//go:build unix

package audit

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// openLogFile opens the log at path, whose directory [x509ca.SecureDir]
// has checked, creating it (0600) if there is none; created says it did.
// It never follows a symbolic link (O_NOFOLLOW; O_EXCL for a new file),
// never blocks on a FIFO (O_NONBLOCK), and checks the open descriptor, so
// the file checked is the file used: a regular file owned by this
// process's effective user that group and others cannot write. Anything
// else is [ErrUnsafeFile]: the log is evidence, and a file another user
// owns or may write stays theirs to rewrite or truncate.
func openLogFile(path string) (f *os.File, created bool, err error) {
	const flags = os.O_RDWR | syscall.O_NOFOLLOW | syscall.O_NONBLOCK
	for range 2 {
		f, err = os.OpenFile(path, flags, 0)
		if errors.Is(err, fs.ErrNotExist) {
			f, err = os.OpenFile(path, flags|os.O_CREATE|os.O_EXCL, 0o600)
			if errors.Is(err, fs.ErrExist) {
				continue // made meanwhile: open and check it
			}
			created = err == nil
		}
		if err != nil {
			if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
				return nil, false, unsafeLogFile(path, "is a symbolic link: name the file itself")
			}
			return nil, false, wrapOpen(err)
		}
		if err := checkLogFile(path, f); err != nil {
			f.Close()
			return nil, false, err
		}
		return f, created, nil
	}
	return nil, false, fmt.Errorf("audit: open log %s: created and removed concurrently", path)
}

// checkLogFile accepts an open regular file owned by this process's
// effective user that group and others cannot write.
func checkLogFile(path string, f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("audit: open log: %w", err)
	}
	if !fi.Mode().IsRegular() {
		// A FIFO would block the scan forever and a device is no log:
		// neither can be truncated, appended to and fsync'd as one.
		return unsafeLogFile(path, fmt.Sprintf("is not a regular file (%v)", fi.Mode().Type()))
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return unsafeLogFile(path, "has no owner information")
	}
	if uid := os.Geteuid(); int64(st.Uid) != int64(uid) {
		return unsafeLogFile(path, fmt.Sprintf("is owned by uid %d, not by this process's uid %d", st.Uid, uid))
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return unsafeLogFile(path, fmt.Sprintf("is writable by group or others (%v)", fi.Mode().Perm()))
	}
	return nil
}
