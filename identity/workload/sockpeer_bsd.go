//go:build darwin || freebsd

package workload

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// checkSocketPeer refuses, wrapping [ErrTransport], a connection whose
// serving process's uid (LOCAL_PEERCRED: the effective uid the kernel
// recorded when that process called listen) is not trusted: the same check
// as SO_PEERCRED on Linux, closing the window in which, in a sticky
// directory, the agent's socket is unlinked between the path check and
// connect and another user binds the same name.
func checkSocketPeer(c net.Conn, trusted func(uint32) bool) error {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return fmt.Errorf("%w: the Workload API connection is not a unix socket's", ErrTransport)
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return fmt.Errorf("%w: cannot read the Workload API server's credentials (LOCAL_PEERCRED): %w", ErrTransport, err)
	}
	var (
		cred *unix.Xucred
		gerr error
	)
	if err := raw.Control(func(fd uintptr) {
		cred, gerr = unix.GetsockoptXucred(int(fd), unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
	}); err != nil {
		gerr = err
	}
	if gerr != nil || cred == nil || cred.Version != xucredVersion {
		return fmt.Errorf("%w: cannot read the Workload API server's credentials (LOCAL_PEERCRED)", ErrTransport)
	}
	if !trusted(cred.Uid) {
		return fmt.Errorf("%w: the Workload API socket is served by uid %d, not by this process's uid, root or a WithSocketOwner uid", ErrTransport, cred.Uid)
	}
	return nil
}

// xucredVersion is XUCRED_VERSION from <sys/ucred.h> (0 on macOS and
// FreeBSD); golang.org/x/sys/unix does not export it.
const xucredVersion = 0
