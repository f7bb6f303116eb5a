package svid_test

import (
	"context"
	"fmt"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/svid/x509svid"

	"github.com/ztci/ztci/identity/svid"
)

func ExampleIssuer() {
	td := spiffeid.RequireTrustDomainFromString("ci.example.com")
	ca, _ := svid.NewIssuer(td, svid.WithX509TTL(15*time.Minute))
	s, _ := ca.X509SVID(context.Background(), spiffeid.RequireFromPath(td, "/job/42"), time.Time{})
	id, _, err := x509svid.Verify(s.Certificates, ca)
	fmt.Println(id, err, s.Certificates[0].NotAfter.Sub(s.Certificates[0].NotBefore))
	// Output: spiffe://ci.example.com/job/42 <nil> 15m30s
}
