//go:build !linux

package secrets_test

import "time"

func threadCPU() (time.Duration, bool) { return 0, false }
