//go:build !unix

package verify_test

import "time"

// cpuNow is not measured on this platform.
func cpuNow() time.Duration { return 0 }
