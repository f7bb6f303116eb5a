//go:build !unix

package secrets

import (
	"errors"
	"fmt"
	"os"

	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/x509ca"
)

// secretRoot resolves the directory of [Dir]. This platform reports
// neither owners nor Unix permissions: the directory's ACL is the
// operator's to set.
func secretRoot(dir string) (string, bool, error) {
	r, err := x509ca.SecureDir(dir, false)
	switch {
	case err == nil:
		return r, false, nil
	case errors.Is(err, x509ca.ErrUnsafeDir):
		return "", false, fmt.Errorf("%w: %w", ErrUnsafeSecretFile, err)
	default:
		return "", false, fmt.Errorf("%w: %w", ErrBackend, err)
	}
}

// checkSecretPath checks nothing on this platform but what [os.Root]
// refuses (a path out of the directory).
func checkSecretPath(*os.Root, string, bool) (bool, error) { return false, nil }

// openSecretFile opens name in root and refuses anything but a regular
// file, checked on the open descriptor.
func openSecretFile(root *os.Root, name string, _ bool) (*os.File, error) {
	f, err := root.Open(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrNotFound, clip.Quote(name, 128), err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = unsafeSecret(name, fmt.Sprintf("is not a regular file (%v)", fi.Mode().Type()))
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
