package workload

import (
	"net"

	"golang.org/x/sys/unix"
)

// peerCaller reads SO_PEERCRED from a unix socket connection.
func peerCaller(uc *net.UnixConn) Caller {
	var c Caller
	raw, err := uc.SyscallConn()
	if err != nil {
		return c
	}
	_ = raw.Control(func(fd uintptr) {
		if cred, err := unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED); err == nil {
			c = Caller{PID: int(cred.Pid), UID: int(cred.Uid), GID: int(cred.Gid), HasCredentials: true}
		}
	})
	return c
}
