//go:build unix

package secrets

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// openJournalFile opens the lease record at path for [Broker.Recover],
// never following a symbolic link (O_NOFOLLOW) nor blocking on a FIFO
// (O_NONBLOCK), and checks the open descriptor, so the record checked is
// the record read: a regular file owned by this process's effective user
// that group and others cannot write ([ErrUnsafeJournal]). Whoever else
// can write a record can hide a lease from the restart sweep, or name
// leases of others for the broker to revoke.
func openJournalFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return nil, unsafeJournal(path, "is a symbolic link")
		}
		return nil, fmt.Errorf("%w: %w", ErrJournal, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %w", ErrJournal, err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch uid := os.Geteuid(); {
	case !fi.Mode().IsRegular():
		err = unsafeJournal(path, fmt.Sprintf("is not a regular file (%v)", fi.Mode().Type()))
	case !ok:
		err = unsafeJournal(path, "has no owner information")
	case int64(st.Uid) != int64(uid):
		err = unsafeJournal(path, fmt.Sprintf("is owned by uid %d, not by this process's uid %d", st.Uid, uid))
	case fi.Mode().Perm()&0o022 != 0:
		err = unsafeJournal(path, fmt.Sprintf("is writable by group or others (%v)", fi.Mode().Perm()))
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
