//go:build unix

package workload

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/ztci/ztci/internal/clip"
)

// maxSymlinks bounds the symlinks one check follows, as the kernel does
// (Linux's 40), so that a loop ends.
const maxSymlinks = 40

// checkSocketPath walks path from / the way the kernel resolves it and
// refuses, wrapping [ErrTransport], a path that ends anywhere but at a unix
// socket, or that passes through an entry owned by anyone but us, root or
// owners, or through a directory that group or others may write without
// its sticky bit: whoever could create or replace an entry there could put
// their own Workload API in place of the job's.
func checkSocketPath(path string, owners []uint32) error {
	if !filepath.IsAbs(path) {
		return fmt.Errorf("%w: socket path %q is not absolute", ErrTransport, clip.String(path, 64))
	}
	trusted := trustedOwner(owners)
	if _, err := checkEntry("/", trusted); err != nil {
		return err
	}
	cur, todo, links := "/", components(path), 0
	for len(todo) > 0 {
		name := todo[0]
		todo = todo[1:]
		if name == ".." {
			cur = filepath.Dir(cur) // cur is already resolved: its parent was checked
			continue
		}
		next := filepath.Join(cur, name)
		fi, err := checkEntry(next, trusted)
		if err != nil {
			return err
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			if links++; links > maxSymlinks {
				return fmt.Errorf("%w: socket path %q: too many symlinks", ErrTransport, path)
			}
			target, err := os.Readlink(next)
			if err != nil {
				return fmt.Errorf("%w: socket path: %w", ErrTransport, err)
			}
			if filepath.IsAbs(target) {
				cur = "/"
			}
			todo = append(components(target), todo...)
		case fi.IsDir():
			cur = next
		case fi.Mode()&fs.ModeSocket != 0 && len(todo) == 0:
			return nil
		default:
			return fmt.Errorf("%w: %q on the socket path is neither a directory nor the socket", ErrTransport, next)
		}
	}
	return fmt.Errorf("%w: socket path %q names a directory", ErrTransport, path)
}

// checkEntry refuses p (not followed if a symlink) when its owner is not
// trusted, or when it is a directory others may write without the sticky
// bit.
func checkEntry(p string, trusted func(uint32) bool) (fs.FileInfo, error) {
	fi, err := os.Lstat(p)
	if err != nil {
		return nil, fmt.Errorf("%w: socket path: %w", ErrTransport, err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, fmt.Errorf("%w: cannot read the owner of %q", ErrTransport, p)
	}
	if !trusted(st.Uid) {
		return nil, fmt.Errorf("%w: %q on the socket path is owned by uid %d, not by this process's uid, root or a WithSocketOwner uid", ErrTransport, p, st.Uid)
	}
	if fi.IsDir() && fi.Mode().Perm()&0o022 != 0 && fi.Mode()&fs.ModeSticky == 0 {
		return nil, fmt.Errorf("%w: directory %q on the socket path is writable by group or others (mode %v) and not sticky", ErrTransport, p, fi.Mode())
	}
	return fi, nil
}

// components splits p into the names the kernel looks up, dropping the
// empty and "." ones, which name the directory already reached.
func components(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" && c != "." {
			out = append(out, c)
		}
	}
	return out
}
