package mtls_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/identity/mtls"
	"github.com/ztci/ztci/identity/svid"
)

// Two pipeline stages talk over mTLS: the deploy stage admits only the build
// stage; another workload is refused.
func Example() {
	ctx := context.Background()
	td := spiffeid.RequireTrustDomainFromString("ci.example.com")
	ca, _ := svid.NewIssuer(td)
	build := spiffeid.RequireFromPath(td, "/job/build")
	deploy := spiffeid.RequireFromPath(td, "/job/deploy")

	deploySVID, _ := ca.X509SVID(ctx, deploy, time.Time{})
	srvCfg, _ := mtls.ServerConfig(deploySVID, ca, mtls.AuthorizeAll(mtls.AuthorizeMemberOf(td), mtls.AuthorizeID(build)))
	ln, err := tls.Listen("tcp", "127.0.0.1:0", srvCfg)
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if c.(*tls.Conn).Handshake() == nil {
				fmt.Fprint(c, "artifact accepted")
			}
			c.Close()
		}
	}()

	call := func(as spiffeid.ID) {
		s, _ := ca.X509SVID(ctx, as, time.Time{})
		cfg, _ := mtls.ClientConfig(s, ca, mtls.AuthorizeID(deploy))
		c, err := tls.Dial("tcp", ln.Addr().String(), cfg)
		if err != nil {
			fmt.Println(as.Path(), "refused")
			return
		}
		defer c.Close()
		msg, err := io.ReadAll(c)
		if err != nil {
			fmt.Println(as.Path(), "refused")
			return
		}
		fmt.Println(as.Path(), "->", string(msg))
	}
	call(build)
	call(spiffeid.RequireFromPath(td, "/job/untrusted"))
	// Output:
	// /job/build -> artifact accepted
	// /job/untrusted refused
}
