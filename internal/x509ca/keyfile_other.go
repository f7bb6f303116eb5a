//go:build !unix

package x509ca

import (
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
		return nil, fmt.Errorf("%w: %s is a symbolic link", ErrUnsafeKeyFile, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !os.SameFile(li, fi) {
		err = fmt.Errorf("%w: %s changed while it was opened", ErrUnsafeKeyFile, path)
	}
	if err == nil {
		err = checkKeyFileInfo(path, fi)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// syncDir is a no-op: this platform cannot fsync a directory.
func syncDir(string) error { return nil }
