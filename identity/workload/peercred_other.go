//go:build !linux

package workload

import (
	"errors"
	"net"
)

// peerCaller cannot read peer credentials on this platform; attestors that
// need them (UID) refuse every caller.
func peerCaller(*net.UnixConn, bool) Caller { return noCaller() }

// process tracks no process on this platform (callers have no
// credentials, so nothing asks it).
type process struct{}

var errProcessUnknown = errors.New("the connecting process cannot be tracked on this platform")

func (*process) exited() error { return errProcessUnknown }

func (*process) close() {}

// overflowUID is Linux's default overflow uid; no caller has credentials
// on this platform.
func overflowUID() int { return defaultOverflowUID }
