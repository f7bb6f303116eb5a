package workload

import (
	"context"
	"net"

	"google.golang.org/grpc/credentials"
)

// peerCredentials is a gRPC transport credential for unix sockets that adds
// no encryption (the socket is local) but records the caller's SO_PEERCRED,
// read when the connection was accepted (admittingListener), so the
// attestor can see who is calling.
type peerCredentials struct{}

type peerAuthInfo struct {
	credentials.CommonAuthInfo
	caller Caller
}

// defaultOverflowUID is Linux's default overflow uid (kernel.overflowuid),
// "nobody".
const defaultOverflowUID = 65534

// noCaller is a caller without credentials: PID, UID and GID -1, which
// name no process, user or group, so that no attestor keyed by uid takes
// it for root (uid 0, the zero value).
func noCaller() Caller { return Caller{PID: -1, UID: -1, GID: -1} }

func (peerAuthInfo) AuthType() string { return "peercred" }

func (peerCredentials) ClientHandshake(_ context.Context, _ string, c net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return c, peerAuthInfo{CommonAuthInfo: credentials.CommonAuthInfo{SecurityLevel: credentials.NoSecurity}}, nil
}

func (peerCredentials) ServerHandshake(c net.Conn) (net.Conn, credentials.AuthInfo, error) {
	ai := peerAuthInfo{CommonAuthInfo: credentials.CommonAuthInfo{SecurityLevel: credentials.NoSecurity}, caller: noCaller()}
	if ac, ok := c.(*admittedConn); ok {
		ai.caller = ac.caller
	}
	return c, ai, nil
}

func (peerCredentials) Info() credentials.ProtocolInfo {
	return credentials.ProtocolInfo{SecurityProtocol: "peercred"}
}

func (p peerCredentials) Clone() credentials.TransportCredentials { return p }

func (peerCredentials) OverrideServerName(string) error { return nil }
