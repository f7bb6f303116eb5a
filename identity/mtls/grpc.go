package mtls

import (
	"context"
	"crypto/tls"
	"net"

	"google.golang.org/grpc/credentials"
)

// GRPCCredentials returns gRPC transport credentials for cfg (from
// [ServerConfig] for grpc.Creds, [ClientConfig] for
// grpc.WithTransportCredentials) that, as [NewListener] and [Dialer] do,
// close each connection when the earliest NotAfter of the certificates
// its peer presented passes, or at [WithMaxConnAge]: with
// credentials.NewTLS(cfg) a peer authorized at the handshake keeps
// calling on its connection after its SVID expired. The close is abrupt
// (calls in progress fail); a gRPC server that wants to drain its
// connections first sets keepalive.ServerParameters' MaxConnectionAge
// and MaxConnectionAgeGrace as well, their sum shorter than the SVID TTL.
// cfg must not set GetConfigForClient.
func GRPCCredentials(cfg *tls.Config, opts ...ConnOption) (credentials.TransportCredentials, error) {
	c, err := newConnConfig(cfg, opts)
	if err != nil {
		return nil, err
	}
	return &grpcCreds{cfg: cfg.Clone(), conn: c}, nil
}

// grpcCreds makes gRPC's TLS credentials for each connection from a
// configuration that bounds it (bounding).
type grpcCreds struct {
	cfg  *tls.Config
	conn connConfig
}

func (g *grpcCreds) ClientHandshake(ctx context.Context, authority string, raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	b := bind(raw, g.conn)
	c, ai, err := credentials.NewTLS(bounding(g.cfg, b)).ClientHandshake(ctx, authority, b)
	if err != nil {
		b.Close()
		return nil, nil, err
	}
	return c, ai, nil
}

func (g *grpcCreds) ServerHandshake(raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	b := bind(raw, g.conn)
	c, ai, err := credentials.NewTLS(bounding(g.cfg, b)).ServerHandshake(b)
	if err != nil {
		b.Close()
		return nil, nil, err
	}
	return c, ai, nil
}

func (g *grpcCreds) Info() credentials.ProtocolInfo { return credentials.NewTLS(g.cfg).Info() }

func (g *grpcCreds) Clone() credentials.TransportCredentials {
	return &grpcCreds{cfg: g.cfg.Clone(), conn: g.conn}
}

// OverrideServerName is gRPC's deprecated hook; it sets the server name
// that a client checks, as credentials.NewTLS's does.
func (g *grpcCreds) OverrideServerName(name string) error {
	g.cfg = g.cfg.Clone()
	g.cfg.ServerName = name
	return nil
}
