//go:build !unix

package main

import (
	"errors"
	"fmt"
	"os"
)

// openKeyFile refuses a symbolic link (checked with Lstat before opening:
// this platform has no O_NOFOLLOW) and checks the open descriptor as on
// Unix, except for the owner, which this platform does not report as a uid.
func openKeyFile(path string) (*os.File, error) {
	li, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if li.Mode()&os.ModeSymlink != 0 {
		return nil, fmt.Errorf("%w: %s is a symbolic link", ErrUnsafeAuditFile, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !os.SameFile(li, fi) {
		err = fmt.Errorf("%w: %s changed while it was opened", ErrUnsafeAuditFile, path)
	}
	if err == nil {
		err = checkKeyFileInfo(path, fi)
	}
	if err != nil {
		return nil, errors.Join(err, f.Close())
	}
	return f, nil
}

// checkOwnedIfExists is not implemented here: this platform does not
// report the owner as a uid.
func checkOwnedIfExists(string) error { return nil }
