//go:build !unix

package secrets

import (
	"fmt"
	"io/fs"
	"os"
)

// openJournalFile opens the lease record at path for [Broker.Recover],
// refusing a symbolic link (checked with Lstat: this platform has no
// O_NOFOLLOW) and anything but a regular file ([ErrUnsafeJournal]). This
// platform reports no owner as a uid: the directory's ACL is the
// operator's to set.
func openJournalFile(path string) (*os.File, error) {
	li, err := os.Lstat(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrJournal, err)
	}
	if li.Mode()&fs.ModeSymlink != 0 {
		return nil, unsafeJournal(path, "is a symbolic link")
	}
	if !li.Mode().IsRegular() {
		return nil, unsafeJournal(path, fmt.Sprintf("is not a regular file (%v)", li.Mode().Type()))
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrJournal, err)
	}
	if fi, err := f.Stat(); err != nil || !os.SameFile(li, fi) {
		f.Close()
		return nil, unsafeJournal(path, "changed while it was opened")
	}
	return f, nil
}
