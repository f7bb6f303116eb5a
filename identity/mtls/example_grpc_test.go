package mtls_test

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/ztci/ztci/identity/mtls"
	"github.com/ztci/ztci/identity/svid"
)

// A gRPC service between pipeline stages: both ends take their transport
// credentials from GRPCCredentials, so a connection is closed when the
// peer's SVID expires (or at WithMaxConnAge), not only authorized at its
// handshake.
func ExampleGRPCCredentials() {
	ctx := context.Background()
	td := spiffeid.RequireTrustDomainFromString("ci.example.com")
	ca, err := svid.NewIssuer(td)
	if err != nil {
		panic(err)
	}
	build := spiffeid.RequireFromPath(td, "/job/build")
	deploy := spiffeid.RequireFromPath(td, "/job/deploy")

	deploySVID, err := ca.X509SVID(ctx, deploy, time.Time{})
	if err != nil {
		panic(err)
	}
	srvCfg, err := mtls.ServerConfig(deploySVID, ca, mtls.AuthorizeID(build))
	if err != nil {
		panic(err)
	}
	srvCreds, err := mtls.GRPCCredentials(srvCfg, mtls.WithMaxConnAge(time.Hour))
	if err != nil {
		panic(err)
	}
	srv := grpc.NewServer(grpc.Creds(srvCreds))
	healthpb.RegisterHealthServer(srv, health.NewServer())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Stop()

	buildSVID, err := ca.X509SVID(ctx, build, time.Time{})
	if err != nil {
		panic(err)
	}
	cliCfg, err := mtls.ClientConfig(buildSVID, ca, mtls.AuthorizeID(deploy))
	if err != nil {
		panic(err)
	}
	cliCreds, err := mtls.GRPCCredentials(cliCfg)
	if err != nil {
		panic(err)
	}
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(cliCreds))
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		panic(err)
	}
	fmt.Println("build → deploy:", resp.GetStatus())
	// Output:
	// build → deploy: SERVING
}
