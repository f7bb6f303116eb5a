package workload

import (
	"fmt"
	"net"
)

// checkSocketPeer refuses, wrapping [ErrTransport], a connection whose
// serving process's uid (SO_PEERCRED, fixed by the kernel when that process
// called listen) is not trusted. The path check alone leaves a window: in a
// sticky directory the agent may unlink its socket between the check and
// connect, and another user bind the same name; the peer's uid is read on
// the connection actually made, so that window closes.
func checkSocketPeer(c net.Conn, trusted func(uint32) bool) error {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return fmt.Errorf("%w: the Workload API connection is not a unix socket's", ErrTransport)
	}
	p := peerCaller(uc, false)
	if !p.HasCredentials {
		return fmt.Errorf("%w: cannot read the Workload API server's credentials (SO_PEERCRED)", ErrTransport)
	}
	if p.UID < 0 || !trusted(uint32(p.UID)) {
		return fmt.Errorf("%w: the Workload API socket is served by uid %d, not by this process's uid, root or a WithSocketOwner uid", ErrTransport, p.UID)
	}
	return nil
}
