//go:build !unix

package audit

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// openLogFile opens the log at path, creating it (0600) if there is none;
// created says it did. It refuses a symbolic link (checked with Lstat: this
// platform has no O_NOFOLLOW) and anything but a regular file, with
// [ErrUnsafeFile]. This platform reports no owner as a uid: the file's ACL
// is the operator's to set.
func openLogFile(path string) (*os.File, bool, error) {
	li, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		return f, err == nil, wrapOpen(err)
	}
	if err != nil {
		return nil, false, wrapOpen(err)
	}
	if li.Mode()&fs.ModeSymlink != 0 {
		return nil, false, unsafeLogFile(path, "is a symbolic link: name the file itself")
	}
	if !li.Mode().IsRegular() {
		return nil, false, unsafeLogFile(path, fmt.Sprintf("is not a regular file (%v)", li.Mode().Type()))
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, false, wrapOpen(err)
	}
	if fi, err := f.Stat(); err != nil || !os.SameFile(li, fi) {
		f.Close()
		return nil, false, unsafeLogFile(path, "changed while it was opened")
	}
	return f, false, nil
}
