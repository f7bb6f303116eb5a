package workload

import (
	"fmt"
	"net"
	"sync"
)

// DefaultMaxConnsPerUID is the default bound on the connections one uid
// may hold open to a [Server] (see [WithMaxConnsPerUID]).
const DefaultMaxConnsPerUID = 64

// WithMaxConnsPerUID bounds the connections that callers with one uid
// (read from SO_PEERCRED when the connection is accepted) may hold open at
// once to n (default [DefaultMaxConnsPerUID]); callers without credentials
// (a listener other than a unix socket, see [WithNonUnixListener]) share
// one count. A connection
// beyond it is closed when accepted, before anything is read from it. The
// stream and call bounds count requests, and attestation runs per request:
// without this bound any local process that can reach the socket, attested
// or not, could open connections that hold server memory and file
// descriptors (a few goroutines and tens of KiB each) until the server
// could accept no other job's.
func WithMaxConnsPerUID(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: WithMaxConnsPerUID(%d): need at least 1", ErrConfig, n)
		}
		c.connsPerUID = n
		return nil
	}
}

// noCredentials is the count key of callers without SO_PEERCRED (uids are
// never negative).
const noCredentials = -1

// network names addr's network for an error ("none" without an address).
func network(addr net.Addr) string {
	if addr == nil {
		return "none"
	}
	return addr.Network()
}

// admittingListener reads each accepted connection's caller and closes it
// at once when that caller's uid holds [WithMaxConnsPerUID] connections,
// or when it is not a unix socket connection and the server was not built
// [WithNonUnixListener] (a listener that says "unix" but hands out other
// connections).
type admittingListener struct {
	net.Listener
	s *Server
}

// Accept returns the next admitted connection; refused ones are closed
// and skipped.
func (l admittingListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		uc, isUnix := c.(*net.UnixConn)
		if !isUnix && !l.s.nonUnix {
			l.s.logger.Warn("workload API connection refused: not a unix socket connection", "network", network(c.LocalAddr()))
			c.Close()
			continue
		}
		caller := noCaller()
		if isUnix {
			// The connecting process is tracked only for an attestor
			// that may read its PID (see Caller): one pidfd more per
			// connection.
			caller = peerCaller(uc, readsPID(l.s.attest))
		}
		key := noCredentials
		if caller.HasCredentials {
			key = caller.UID
		}
		release := hold(l.s, l.s.conns, l.s.connsPerUID, key)
		if release == nil {
			l.s.logger.Warn("workload API connection refused: per-uid limit reached", "uid", caller.UID, "pid", caller.PID, "limit", l.s.connsPerUID)
			caller.proc.close()
			c.Close()
			continue
		}
		return &admittedConn{Conn: c, caller: caller, release: release}, nil
	}
}

// admittedConn is an accepted connection counted against its caller's uid
// until it is closed, holding its caller's process handle until then. gRPC
// closes it whether or not its handshake succeeds.
type admittedConn struct {
	net.Conn
	caller  Caller
	release func()
	once    sync.Once
}

func (c *admittedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.caller.proc.close()
		c.release()
	})
	return err
}
