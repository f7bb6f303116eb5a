package mtls_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/peer"

	"github.com/ztci/ztci/identity/mtls"
)

// TestReview32GRPCCredentialsCloseAtSVIDExpiry: gRPC does its own
// handshake (credentials.NewTLS(cfg)), so neither NewListener nor Dialer
// bounded its connections, and a gRPC peer kept calling on a connection
// its expired SVID opened unless the vendor set MaxConnectionAge. The
// credentials of GRPCCredentials close each connection when the peer's
// certificates expire, on the server and on the client side.
func TestReview32GRPCCredentialsCloseAtSVIDExpiry(t *testing.T) {
	t.Parallel()
	t.Run("server", func(t *testing.T) {
		t.Parallel()
		l := newLifetimes(t)
		srvCfg, err := mtls.ServerConfig(l.issue(t, l.srv, time.Time{}), l.ca, mtls.AuthorizeID(l.cli))
		if err != nil {
			t.Fatal(err)
		}
		creds, err := mtls.GRPCCredentials(srvCfg)
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			raw, err := ln.Accept()
			if err != nil {
				return
			}
			c, _, err := creds.ServerHandshake(raw)
			if err != nil {
				raw.Close()
				return
			}
			defer c.Close()
			io.Copy(c, c)
		}()
		cliCfg, err := mtls.ClientConfig(l.issue(t, l.cli, soon()), l.ca, mtls.AuthorizeID(l.srv))
		if err != nil {
			t.Fatal(err)
		}
		cliCfg.NextProtos = []string{"h2"} // gRPC servers require ALPN h2
		c, err := tls.Dial("tcp", ln.Addr().String(), cliCfg)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		closedWithin(t, c, 3*time.Second)
	})
	t.Run("client", func(t *testing.T) {
		t.Parallel()
		l := newLifetimes(t)
		srvCfg, err := mtls.ServerConfig(l.issue(t, l.srv, soon()), l.ca, mtls.AuthorizeID(l.cli))
		if err != nil {
			t.Fatal(err)
		}
		srvCfg.NextProtos = []string{"h2"} // gRPC clients require ALPN h2
		ln, err := tls.Listen("tcp", "127.0.0.1:0", srvCfg)
		if err != nil {
			t.Fatal(err)
		}
		echo(t, ln)
		cliCfg, err := mtls.ClientConfig(l.issue(t, l.cli, time.Time{}), l.ca, mtls.AuthorizeID(l.srv))
		if err != nil {
			t.Fatal(err)
		}
		creds, err := mtls.GRPCCredentials(cliCfg)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c, ai, err := creds.ClientHandshake(t.Context(), ln.Addr().String(), raw)
		if err != nil {
			raw.Close()
			t.Fatal(err)
		}
		defer c.Close()
		if _, ok := ai.(credentials.TLSInfo); !ok {
			t.Errorf("AuthInfo is %T, want credentials.TLSInfo", ai)
		}
		closedWithin(t, c, 3*time.Second)
	})
	t.Run("grpc", func(t *testing.T) {
		t.Parallel()
		l := newLifetimes(t)
		srvCfg, err := mtls.ServerConfig(l.issue(t, l.srv, time.Time{}), l.ca, mtls.AuthorizeID(l.cli))
		if err != nil {
			t.Fatal(err)
		}
		srvCreds, err := mtls.GRPCCredentials(srvCfg, mtls.WithMaxConnAge(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		seen := make(chan *peer.Peer, 1)
		srv := grpc.NewServer(grpc.Creds(srvCreds), grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			p, _ := peer.FromContext(ctx)
			select {
			case seen <- p:
			default:
			}
			return h(ctx, req)
		}))
		healthpb.RegisterHealthServer(srv, health.NewServer())
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go srv.Serve(ln)
		t.Cleanup(srv.Stop)
		cliCfg, err := mtls.ClientConfig(l.issue(t, l.cli, time.Time{}), l.ca, mtls.AuthorizeID(l.srv))
		if err != nil {
			t.Fatal(err)
		}
		cliCreds, err := mtls.GRPCCredentials(cliCfg)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(cliCreds))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := healthpb.NewHealthClient(conn).Check(t.Context(), &healthpb.HealthCheckRequest{}); err != nil {
			t.Fatalf("Check: %v", err)
		}
		p := <-seen
		ti, ok := p.AuthInfo.(credentials.TLSInfo)
		if !ok || len(ti.State.PeerCertificates) == 0 {
			t.Fatalf("server saw AuthInfo %T without the client's certificate", p.AuthInfo)
		}
		if got := ti.State.PeerCertificates[0].URIs[0].String(); got != l.cli.String() {
			t.Errorf("client certificate names %s, want %s", got, l.cli)
		}
	})
	t.Run("config", func(t *testing.T) {
		t.Parallel()
		l := newLifetimes(t)
		srvCfg, err := mtls.ServerConfig(l.issue(t, l.srv, time.Time{}), l.ca, mtls.AuthorizeID(l.cli))
		if err != nil {
			t.Fatal(err)
		}
		withHook := srvCfg.Clone()
		withHook.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) { return nil, nil }
		for _, bad := range []func() error{
			func() error { _, err := mtls.GRPCCredentials(nil); return err },
			func() error { _, err := mtls.GRPCCredentials(srvCfg, nil); return err },
			func() error { _, err := mtls.GRPCCredentials(srvCfg, mtls.WithMaxConnAge(-1)); return err },
			func() error { _, err := mtls.GRPCCredentials(withHook); return err },
		} {
			if err := bad(); !errors.Is(err, mtls.ErrConfig) {
				t.Errorf("err = %v, want ErrConfig", err)
			}
		}
	})
}
