package svid_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
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

// An issuer whose CA a SPIRE server can chain under (its "disk"
// UpstreamAuthority): path length 1, and the CA exported as PEM.
func ExampleIssuer_ExportCA() {
	td := spiffeid.RequireTrustDomainFromString("ci.example.com")
	ca, _ := svid.NewIssuer(td, svid.WithCAPathLen(1))
	certPEM, keyPEM, err := ca.ExportCA()
	fmt.Println(err, strings.HasPrefix(string(certPEM), "-----BEGIN CERTIFICATE-----"), strings.HasPrefix(string(keyPEM), "-----BEGIN PRIVATE KEY-----"))

	leafOnly, _ := svid.NewIssuer(td) // the default: path length 0
	_, _, err = leafOnly.ExportCA()
	fmt.Println(errors.Is(err, svid.ErrNotExportable))
	// Output:
	// <nil> true true
	// true
}
