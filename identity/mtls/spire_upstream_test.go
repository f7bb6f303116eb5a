package mtls_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/svid/x509svid"

	"github.com/ztci/ztci/identity/mtls"
	"github.com/ztci/ztci/identity/svid"
	"github.com/ztci/ztci/internal/itest"
)

// TestSPIREUnderZTCIUpstreamCA (issue #14 item 6): a real SPIRE server
// runs under ztci's SVID CA through its "disk" UpstreamAuthority. The
// X.509-SVIDs its agent serves chain to ztci's root, and ztci's mTLS
// authorizer, holding only ztci's bundle, admits them by SPIFFE ID like
// the SVIDs ztci issues itself.
func TestSPIREUnderZTCIUpstreamCA(t *testing.T) {
	ctx := t.Context()
	td := spiffeid.RequireTrustDomainFromString("ci.test")
	build := spiffeid.RequireFromPath(td, "/job/build")
	deploy := spiffeid.RequireFromPath(td, "/job/deploy")
	other := spiffeid.RequireFromPath(td, "/job/other")

	iss, err := svid.NewIssuer(td, svid.WithCAPathLen(1))
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := iss.ExportCA()
	if err != nil {
		t.Fatal(err)
	}
	spire := itest.StartSPIRE(t, td.Name(), itest.WithUpstreamDisk(certPEM, keyPEM))
	for _, id := range []spiffeid.ID{build, other} {
		spire.CreateEntry(t, itest.Entry{SPIFFEID: id.String(), Selectors: []string{itest.UIDSelector()}})
	}
	spire.WaitX509SVID(t, build.String(), other.String())
	fromSPIRE := stageSVIDs{svids: map[spiffeid.ID]*x509svid.SVID{}}
	fromSPIRE.fetchX509(t, ctx, spire.Addr())

	// SPIRE's trust bundle is ztci's CA, and its SVIDs carry SPIRE's own
	// CA (signed by ztci's) as the intermediate.
	root := iss.X509Bundle().X509Authorities()[0]
	spireBundle, err := fromSPIRE.bundles.GetX509BundleForTrustDomain(td)
	if err != nil {
		t.Fatal(err)
	}
	if got := spireBundle.X509Authorities(); len(got) != 1 || !got[0].Equal(root) {
		t.Fatalf("SPIRE's bundle holds %d authorities, want exactly ztci's CA", len(got))
	}
	b := fromSPIRE.svids[build]
	if len(b.Certificates) != 2 || !b.Certificates[1].IsCA || b.Certificates[1].CheckSignatureFrom(root) != nil {
		t.Fatalf("SPIRE SVID chain: %d certificates; want leaf and SPIRE's CA signed by ztci's", len(b.Certificates))
	}
	id, chains, err := x509svid.Verify(b.Certificates, iss)
	if err != nil || id != build || !chains[0][len(chains[0])-1].Equal(root) {
		t.Fatalf("x509svid.Verify with ztci's bundle = %v, %v", id, err)
	}

	// ztci serves deploy itself; it admits SPIRE's build and refuses
	// SPIRE's other, with nothing but ztci's issuer as the bundle.
	deploySVID, err := iss.X509SVID(ctx, deploy, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	mixed := stageSVIDs{svids: map[spiffeid.ID]*x509svid.SVID{deploy: deploySVID, build: b, other: fromSPIRE.svids[other]}, bundles: iss}
	onlyBuild := mtls.AuthorizeAll(mtls.AuthorizeMemberOf(td), mtls.AuthorizeID(build))
	if got := authorize(t, mixed, deploy, build, onlyBuild, mtls.AuthorizeID(deploy)); !got.Accepted {
		t.Fatalf("ztci's deploy refused SPIRE's build: %+v", got)
	}
	if got := authorize(t, mixed, deploy, other, onlyBuild, mtls.AuthorizeID(deploy)); got.Accepted || !got.Unauthorized {
		t.Fatalf("ztci's deploy and SPIRE's other: %+v, want refused by the authorizer", got)
	}
	// And the other way round: SPIRE's build as the server.
	if got := authorize(t, mixed, build, deploy, mtls.AuthorizeID(deploy), mtls.AuthorizeID(build)); !got.Accepted {
		t.Fatalf("SPIRE's build serving ztci's deploy: %+v", got)
	}

	// A ztci issuer with another CA for the same trust domain name does not
	// trust SPIRE's SVIDs.
	stranger, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := x509svid.Verify(b.Certificates, stranger); err == nil {
		t.Fatal("an unrelated ztci CA verified an SVID of SPIRE under another CA")
	}
}

// TestSPIRERefusesPathLenZeroUpstream keeps the documentation of
// svid.WithCAPathLen true: ztci's default CA (path length 0) cannot be
// SPIRE's upstream authority. ExportCA refuses it, and a SPIRE server
// handed it anyway refuses to start, with the error text the doc quotes.
func TestSPIRERefusesPathLenZeroUpstream(t *testing.T) {
	td := spiffeid.RequireTrustDomainFromString("ci.test")
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := svid.NewIssuer(td, svid.WithCASigner(key))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := iss.ExportCA(); !errors.Is(err, svid.ErrNotExportable) {
		t.Fatalf("ExportCA of a path-length-0 CA = %v, want ErrNotExportable", err)
	}
	// What an operator could still write by hand from the CA's key.
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: iss.X509Bundle().X509Authorities()[0].Raw})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	out := itest.SPIREServerFails(t, td.Name(), itest.WithUpstreamDisk(certPEM, keyPEM))
	if !strings.Contains(out, "too many intermediates for path length constraint") {
		t.Fatalf("spire-server did not refuse the path-length-0 CA as documented:\n%s", out)
	}
}
