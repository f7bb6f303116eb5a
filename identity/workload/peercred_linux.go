package workload

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// peerCaller reads SO_PEERCRED from a unix socket connection and, when
// track is set, a pidfd for the process that connected (SO_PEERPIDFD, Linux
// 6.5: taken by the kernel at connect(), so that it names that process and
// no later holder of its PID; on older kernels pidfd_open of its PID, Linux
// 5.3), by which
// [process.exited] later tells whether that process is still the one its
// PID names.
func peerCaller(uc *net.UnixConn, track bool) Caller {
	c := noCaller()
	raw, err := uc.SyscallConn()
	if err != nil {
		return c
	}
	_ = raw.Control(func(fd uintptr) {
		cred, err := unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
		if err != nil {
			return
		}
		c = Caller{PID: int(cred.Pid), UID: int(cred.Uid), GID: int(cred.Gid), HasCredentials: true}
		if !track {
			return
		}
		pidfd, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PEERPIDFD)
		if err != nil && cred.Pid > 0 {
			// The kernel predates SO_PEERPIDFD: open the PID now, as soon
			// after connect() as the server can (SPIRE's peertracker opens
			// /proc/<pid> at the same point).
			pidfd, err = unix.PidfdOpen(int(cred.Pid), 0)
		}
		switch {
		case err == nil && pidfd >= 0:
			unix.CloseOnExec(pidfd)
			c.proc = &process{fd: pidfd}
		case errors.Is(err, unix.ESRCH):
			c.proc = &process{fd: -1} // exited before it was accepted
		}
	})
	return c
}

// process is a pidfd for the process that connected; closed with the
// connection.
type process struct {
	mu sync.Mutex
	fd int // -1 once closed
}

// errProcessUnknown: no pidfd could be taken for the connecting process
// (a kernel before 5.3, or a seccomp filter refusing pidfd_open).
var errProcessUnknown = errors.New("the connecting process cannot be tracked (no pidfd: Linux 5.3 or later is needed)")

// errProcessExited: the process that connected has exited; its PID may
// name another process now.
var errProcessExited = errors.New("the process that connected has exited: its PID may now name another process")

// exited reports, without waiting, whether the process that connected has
// exited (a pidfd polls readable then). A nil process, or one closed with
// its connection, cannot be vouched for and counts as exited.
func (p *process) exited() error {
	if p == nil {
		return errProcessUnknown
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fd < 0 {
		return errProcessExited
	}
	fds := []unix.PollFd{{Fd: int32(p.fd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("poll pidfd: %w", err)
		}
		if n > 0 {
			return errProcessExited
		}
		return nil
	}
}

func (p *process) close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fd >= 0 {
		unix.Close(p.fd)
		p.fd = -1
	}
}

// overflowUID is the uid the kernel reports in SO_PEERCRED for a caller
// whose uid has no mapping in the server's user namespace: the
// kernel.overflowuid sysctl, 65534 when it cannot be read.
func overflowUID() int {
	f, err := os.Open("/proc/sys/kernel/overflowuid")
	if err != nil {
		return defaultOverflowUID
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 32))
	if err != nil {
		return defaultOverflowUID
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n < 0 {
		return defaultOverflowUID
	}
	return n
}
