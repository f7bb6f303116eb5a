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

func (peerAuthInfo) AuthType() string { return "peercred" }

func (peerCredentials) ClientHandshake(_ context.Context, _ string, c net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return c, peerAuthInfo{CommonAuthInfo: credentials.CommonAuthInfo{SecurityLevel: credentials.NoSecurity}}, nil
}

func (peerCredentials) ServerHandshake(c net.Conn) (net.Conn, credentials.AuthInfo, error) {
	ai := peerAuthInfo{CommonAuthInfo: credentials.CommonAuthInfo{SecurityLevel: credentials.NoSecurity}}
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
