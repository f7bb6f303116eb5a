//go:build unix

package secrets

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/x509ca"
)

// maxSecretLinks bounds the symbolic links [Dir] follows (Linux's limit).
const maxSecretLinks = 40

// secretRoot resolves the directory of [Dir]: every directory above it is
// checked with [x509ca.SecureDir] (owned by root or this process's user,
// writable by group or others only if sticky), and so is a symbolic link
// naming it; the directory itself is owned by root or this user and not
// writable by group or others unless sticky (a Kubernetes secret volume is
// a root-owned tmpfs of mode 1777). It reports whether others may create
// entries in it.
func secretRoot(dir string) (string, bool, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", false, fmt.Errorf("%w: %w", ErrBackend, err)
	}
	uid := os.Geteuid()
	for links := 0; ; links++ {
		if links > maxSecretLinks {
			return "", false, unsafeSecret(dir, "has too many symbolic links")
		}
		parent, base := filepath.Dir(abs), filepath.Base(abs)
		if abs == parent { // "/"
			r, err := x509ca.SecureDir(abs, false)
			return r, false, unsafeDirErr(err)
		}
		rp, err := x509ca.SecureDir(parent, false)
		if err != nil {
			return "", false, unsafeDirErr(err)
		}
		leaf := filepath.Join(rp, base)
		fi, err := os.Lstat(leaf)
		if err != nil {
			return "", false, fmt.Errorf("%w: %w", ErrBackend, err)
		}
		if err := checkSecretOwner(dir, fi, uid); err != nil {
			return "", false, err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(leaf)
			if err != nil {
				return "", false, fmt.Errorf("%w: %w", ErrBackend, err)
			}
			if !filepath.IsAbs(target) {
				target = filepath.Join(rp, target)
			}
			abs = filepath.Clean(target)
			continue
		}
		if !fi.IsDir() {
			return "", false, unsafeSecret(dir, fmt.Sprintf("is not a directory (%v)", fi.Mode().Type()))
		}
		open := fi.Mode().Perm()&0o022 != 0
		if open && fi.Mode()&fs.ModeSticky == 0 {
			return "", false, unsafeSecret(dir, fmt.Sprintf("is writable by group or others and not sticky (%v)", fi.Mode()))
		}
		return leaf, open, nil
	}
}

// unsafeDirErr wraps an error of [x509ca.SecureDir].
func unsafeDirErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, x509ca.ErrUnsafeDir):
		return fmt.Errorf("%w: %w", ErrUnsafeSecretFile, err)
	default:
		return fmt.Errorf("%w: %w", ErrBackend, err)
	}
}

// checkSecretPath walks name inside root entry by entry, following
// symbolic links itself, and refuses ([ErrUnsafeSecretFile]) an entry on
// the way — a directory, a symbolic link or the file — that this
// process's user or root did not make: owned by another user, a directory
// writable by group or others and not sticky, a link out of the root, or,
// in a directory others may write (sticky), a file or link with more than
// one name (another user's hard link to a file of root's, under a name no
// grant covered). The file must be a regular file. Nothing checked can be
// renamed or replaced by another user afterwards, so opening name resolves
// through the entries checked; the file itself is checked again on the
// open descriptor ([openSecretFile]). It reports whether the file lies in
// a directory others may write.
func checkSecretPath(root *os.Root, name string, rootOpen bool) (bool, error) {
	uid := os.Geteuid()
	rest := strings.Split(name, "/")
	var done []string
	open := []bool{rootOpen} // per directory in done (and the root): others may create entries
	links := 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(done) == 0 {
				return false, unsafeSecret(name, "leads out of the directory")
			}
			done, open = done[:len(done)-1], open[:len(open)-1]
			continue
		}
		p := strings.Join(append(done[:len(done):len(done)], c), "/")
		fi, err := root.Lstat(p)
		if err != nil {
			return false, fmt.Errorf("%w: %s: %w", ErrNotFound, clip.Quote(name, 128), err)
		}
		if err := checkSecretOwner(name, fi, uid); err != nil {
			return false, err
		}
		inOpen := open[len(open)-1]
		if inOpen && !fi.IsDir() {
			if st, ok := fi.Sys().(*syscall.Stat_t); !ok || st.Nlink != 1 {
				return false, unsafeSecret(name, "has another name in a directory others can write")
			}
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			if links++; links > maxSecretLinks {
				return false, unsafeSecret(name, "has too many symbolic links")
			}
			target, err := root.Readlink(p)
			if err != nil {
				return false, fmt.Errorf("%w: %w", ErrBackend, err)
			}
			if filepath.IsAbs(target) {
				return false, unsafeSecret(name, "is a symbolic link out of the directory")
			}
			rest = append(strings.Split(filepath.ToSlash(target), "/"), rest...)
		case fi.IsDir():
			w := fi.Mode().Perm()&0o022 != 0
			if w && fi.Mode()&fs.ModeSticky == 0 {
				return false, unsafeSecret(name, fmt.Sprintf("lies in a directory writable by group or others and not sticky (%v)", fi.Mode()))
			}
			done, open = append(done, c), append(open, w)
		case len(rest) > 0:
			return false, fmt.Errorf("%w: %s", ErrNotFound, clip.Quote(name, 128))
		default:
			if !fi.Mode().IsRegular() {
				return false, unsafeSecret(name, fmt.Sprintf("is not a regular file (%v)", fi.Mode().Type()))
			}
			return inOpen, nil
		}
	}
	return false, unsafeSecret(name, "is a directory")
}

// checkSecretOwner refuses an entry owned by neither root nor uid.
func checkSecretOwner(name string, fi fs.FileInfo, uid int) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return unsafeSecret(name, "has no owner information")
	}
	if st.Uid != 0 && int64(st.Uid) != int64(uid) {
		return unsafeSecret(name, fmt.Sprintf("is owned by uid %d, not by root or this process's uid %d", st.Uid, uid))
	}
	return nil
}

// openSecretFile opens name in root without blocking on a FIFO
// (O_NONBLOCK) and checks the open descriptor: a regular file owned by
// root or this process's user that group and others cannot write, with
// one name if its directory is open to others.
func openSecretFile(root *os.Root, name string, inOpen bool) (*os.File, error) {
	f, err := root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrNotFound, clip.Quote(name, 128), err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %w", ErrBackend, err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.Mode().IsRegular():
		err = unsafeSecret(name, fmt.Sprintf("is not a regular file (%v)", fi.Mode().Type()))
	case !ok:
		err = unsafeSecret(name, "has no owner information")
	case fi.Mode().Perm()&0o022 != 0:
		err = unsafeSecret(name, fmt.Sprintf("is writable by group or others (%v)", fi.Mode().Perm()))
	case inOpen && st.Nlink != 1:
		err = unsafeSecret(name, "has another name in a directory others can write")
	default:
		err = checkSecretOwner(name, fi, os.Geteuid())
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
