//go:build unix

package policy

import "syscall"

// openNoBlock is added to the flags a policy file is opened with: opening
// a FIFO (or a tty) without it waits for a writer, so a policy path
// replaced by one stalled every reload for ever. What is opened is then
// refused unless it is a regular file.
const openNoBlock = syscall.O_NONBLOCK

// dirPath is path as [Dir] hands it to os.OpenRoot, which opens it plainly
// (and would wait on a FIFO there) before checking it is a directory: with
// a trailing slash the kernel refuses anything else while resolving the
// path, without opening it.
func dirPath(path string) string {
	if path == "" {
		return path // "/" would be the file system's root
	}
	return path + "/"
}
