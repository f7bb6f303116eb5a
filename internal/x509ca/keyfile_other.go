//go:build !unix

package x509ca

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// openCheckedFile refuses a symbolic link (checked with Lstat before opening:
// this platform has no O_NOFOLLOW) and checks the open descriptor as on
// Unix, except for the owner, which this platform does not report as a uid.
// On Windows the permission bits are not checked either: Go reports 0666
// for every file not marked read-only, whoever may write it, so they would
// refuse every file and say nothing of who can change it. Access there is
// the file's ACL, the operator's to set (as SecureDir says of directories).
func openCheckedFile(path string, flag int, forbidden fs.FileMode) (*os.File, error) {
	if runtime.GOOS == "windows" {
		forbidden = 0
	}
	li, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if li.Mode()&os.ModeSymlink != 0 {
		return nil, fmt.Errorf("%w: %s is a symbolic link", ErrUnsafeKeyFile, path)
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !os.SameFile(li, fi) {
		err = fmt.Errorf("%w: %s changed while it was opened", ErrUnsafeKeyFile, path)
	}
	if err == nil {
		err = checkFileInfo(path, fi, forbidden)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// syncDir is a no-op: this platform cannot fsync a directory.
func syncDir(string) error { return nil }

// SecureDir returns dir with symbolic links resolved, creating it (0700)
// when create is set. This platform reports neither owners nor Unix
// permissions: the directory's ACL is the operator's to set.
func SecureDir(dir string, create bool) (string, error) {
	if create {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", err
		}
	}
	return filepath.EvalSymlinks(dir)
}
