//go:build unix

package x509ca

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// maxSymlinks bounds the symbolic links SecureDir follows (Linux's limit).
const maxSymlinks = 40

// SecureDir resolves dir to an absolute path without symbolic links,
// checking every directory on the way the way OpenSSH's StrictModes checks
// the path to ~/.ssh, so that no other user can replace, rename or plant
// anything between the check and the use:
//
//   - every directory from / down is owned by root or by this process's
//     effective user;
//   - a directory above dir may be writable by group or others only if it
//     is sticky (/tmp): then others cannot rename or remove the entries
//     root or this user own in it, and the next component is checked in
//     turn;
//   - dir itself is not writable by group or others, sticky or not;
//   - a symbolic link on the way is owned by root or this user and lies in
//     a directory already checked; its target is checked in turn.
//
// With create, missing directories are made 0700 (each made directory's
// parent is fsynced, so that a crash after the first Save does not lose the
// directory and with it the authority); one that appears meanwhile is
// checked like any other. Without create, a missing directory is
// fs.ErrNotExist. The result is the resolved path: callers use it, not dir,
// so a symbolic link changed after the check changes nothing. A path that
// fails a check is [ErrUnsafeDir]. [Store] calls it in Load and Save; it is
// exported for other state kept on disk (a rollback floor, say).
func SecureDir(dir string, create bool) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	uid := os.Geteuid()
	resolved := string(filepath.Separator)
	fi, err := os.Lstat(resolved)
	if err != nil {
		return "", err
	}
	rest := components(abs)
	if err := checkDir(resolved, fi, uid, len(rest) == 0); err != nil {
		return "", err
	}
	links := 0
	for len(rest) > 0 {
		name := rest[0]
		rest = rest[1:]
		switch name {
		case ".":
			continue
		case "..":
			// resolved holds no symbolic link, so ".." is lexical.
			resolved = filepath.Dir(resolved)
			continue
		}
		next := filepath.Join(resolved, name)
		fi, err := os.Lstat(next)
		if errors.Is(err, fs.ErrNotExist) && create {
			switch err = os.Mkdir(next, 0o700); {
			case err == nil:
				if err := syncDir(resolved); err != nil {
					return "", err
				}
			case !errors.Is(err, fs.ErrExist):
				return "", err
			}
			fi, err = os.Lstat(next)
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			if err := checkOwner(next, fi, uid, ErrUnsafeDir); err != nil {
				return "", err
			}
			if links++; links > maxSymlinks {
				return "", fmt.Errorf("%w: %s: too many symbolic links", ErrUnsafeDir, dir)
			}
			target, err := os.Readlink(next)
			if err != nil {
				return "", err
			}
			if filepath.IsAbs(target) {
				resolved = string(filepath.Separator)
			}
			rest = append(components(target), rest...)
			continue
		}
		if err := checkDir(next, fi, uid, len(rest) == 0); err != nil {
			return "", err
		}
		resolved = next
	}
	return resolved, nil
}

// components splits a path into its non-empty elements.
func components(p string) []string {
	return strings.FieldsFunc(p, func(r rune) bool { return r == filepath.Separator })
}

// checkDir accepts a directory owned by root or uid that group and others
// cannot write, or, when it is not the last (leaf), a sticky one they can.
func checkDir(path string, fi fs.FileInfo, uid int, leaf bool) error {
	if !fi.IsDir() {
		return fmt.Errorf("%w: %s is not a directory (%v)", ErrUnsafeDir, path, fi.Mode().Type())
	}
	if err := checkOwner(path, fi, uid, ErrUnsafeDir); err != nil {
		return err
	}
	if fi.Mode().Perm()&0o022 == 0 || (!leaf && fi.Mode()&fs.ModeSticky != 0) {
		return nil
	}
	return fmt.Errorf("%w: %s is writable by group or others (%v)", ErrUnsafeDir, path, fi.Mode())
}

// checkOwner accepts a file owned by root or uid.
func checkOwner(path string, fi fs.FileInfo, uid int, sentinel error) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("%w: %s: no owner information", sentinel, path)
	}
	if st.Uid != 0 && int64(st.Uid) != int64(uid) {
		return fmt.Errorf("%w: %s is owned by uid %d, not by root or this process's uid %d", sentinel, path, st.Uid, uid)
	}
	return nil
}
