//go:build !unix

package audit

import "os"

// lockFile is a no-op where flock is unavailable: the caller must ensure a
// single writer.
func lockFile(*os.File) error { return nil }
