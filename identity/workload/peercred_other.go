//go:build !linux

package workload

import "net"

// peerCaller cannot read peer credentials on this platform; attestors that
// need them (UID) refuse every caller.
func peerCaller(*net.UnixConn) Caller { return Caller{} }
