//go:build !unix

package policy

// openNoBlock: opening a file does not wait for a writer on these systems.
const openNoBlock = 0

// dirPath is path: see open_unix.go.
func dirPath(path string) string { return path }
