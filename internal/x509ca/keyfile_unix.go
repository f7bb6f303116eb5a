//go:build unix

package x509ca

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// openCheckedFile opens path for reading without following a symbolic link
// in its last element (O_NOFOLLOW) and without blocking on a FIFO
// (O_NONBLOCK), then checks the open descriptor, so the file checked is
// the file read: a regular file owned by this process's effective user
// with none of the forbidden permission bits.
func openCheckedFile(path string, flag int, forbidden fs.FileMode) (*os.File, error) {
	f, err := os.OpenFile(path, flag|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("%w: %s is a symbolic link", ErrUnsafeKeyFile, path)
	}
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if err := checkFileInfo(path, fi, forbidden); err != nil {
		f.Close()
		return nil, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		f.Close()
		return nil, fmt.Errorf("%w: %s: no owner information", ErrUnsafeKeyFile, path)
	}
	if uid := os.Geteuid(); int64(st.Uid) != int64(uid) {
		f.Close()
		return nil, fmt.Errorf("%w: %s is owned by uid %d, not by this process's uid %d", ErrUnsafeKeyFile, path, st.Uid, uid)
	}
	return f, nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
