//go:build unix

package verify_test

import (
	"syscall"
	"time"
)

// cpuNow is the process's user+system CPU time. Benchmarks report it per
// operation beside wall time: on a shared, loaded machine it is the steadier
// figure for comparing ours with the peer.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
