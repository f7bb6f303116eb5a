package workload_test

import (
	"context"
	"crypto/x509"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/svid/jwtsvid"
	"github.com/spiffe/go-spiffe/v2/svid/x509svid"
	"github.com/spiffe/go-spiffe/v2/workloadapi"

	"github.com/ztci/ztci/identity/svid"
	"github.com/ztci/ztci/identity/workload"
	"github.com/ztci/ztci/internal/itest"
)

// svidShape is what a workload can rely on from any Workload API: the
// parts of its SVIDs that ztci's Server and a SPIRE agent must agree on.
type svidShape struct {
	ID     string
	Chain  int // certificates in the X.509-SVID
	LeafCA bool
	// SignsOnly: digitalSignature and no CA bits, which is what the
	// X.509-SVID spec requires of a leaf. SPIRE also sets keyEncipherment
	// and keyAgreement, which the spec allows (MAY) and ztci omits (its
	// leaf keys are ECDSA, which uses neither).
	SignsOnly      bool
	ExtKeyUsage    []x509.ExtKeyUsage
	URIs           int
	KeyAlgorithm   x509.PublicKeyAlgorithm
	X509Bundle     bool // the trust domain's X.509 bundle has an authority
	JWTSubject     string
	JWTAudience    []string
	JWTBundle      bool // the trust domain's JWT bundle has a key
	ValidatedByAPI string
}

// fetchShape is the one client code path under test: workload.Open (go-spiffe
// sources), the X.509-SVID verified against the served bundle, a JWT-SVID
// validated locally against the served JWT bundle and by the Workload API's
// ValidateJWTSVID. It fails t on any error, whichever server answers.
func fetchShape(t *testing.T, ctx context.Context, addr string) svidShape {
	t.Helper()
	src, err := workload.Open(ctx, addr)
	if err != nil {
		t.Fatalf("Open %s: %v", addr, err)
	}
	defer src.Close()
	sv, err := src.GetX509SVID()
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := x509svid.Verify(sv.Certificates, src)
	if err != nil || id != sv.ID {
		t.Fatalf("X.509-SVID %v does not verify against the served bundle: %v, %v", sv.ID, id, err)
	}
	xb, err := src.GetX509BundleForTrustDomain(td)
	if err != nil {
		t.Fatal(err)
	}
	const aud = "https://vault.example"
	js, err := src.FetchJWTSVID(ctx, jwtsvid.Params{Audience: aud})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwtsvid.ParseAndValidate(js.Marshal(), src, []string{aud}); err != nil {
		t.Fatalf("JWT-SVID does not validate against the served bundle: %v", err)
	}
	if _, err := jwtsvid.ParseAndValidate(js.Marshal(), src, []string{"https://other.example"}); err == nil {
		t.Fatal("JWT-SVID validated for another audience")
	}
	jb, err := src.GetJWTBundleForTrustDomain(td)
	if err != nil {
		t.Fatal(err)
	}
	byAPI, err := workloadapi.ValidateJWTSVID(ctx, js.Marshal(), aud, workloadapi.WithAddr(addr))
	if err != nil {
		t.Fatalf("Workload API ValidateJWTSVID: %v", err)
	}
	leaf := sv.Certificates[0]
	return svidShape{
		ID:             sv.ID.String(),
		Chain:          len(sv.Certificates),
		LeafCA:         leaf.IsCA,
		SignsOnly:      leaf.KeyUsage&x509.KeyUsageDigitalSignature != 0 && leaf.KeyUsage&(x509.KeyUsageCertSign|x509.KeyUsageCRLSign) == 0,
		ExtKeyUsage:    slices.Sorted(slices.Values(leaf.ExtKeyUsage)),
		URIs:           len(leaf.URIs),
		KeyAlgorithm:   leaf.PublicKeyAlgorithm,
		X509Bundle:     len(xb.X509Authorities()) > 0,
		JWTSubject:     js.ID.String(),
		JWTAudience:    js.Audience,
		JWTBundle:      len(jb.JWTAuthorities()) > 0,
		ValidatedByAPI: byAPI.ID.String(),
	}
}

// TestSPIREAndServerInterchangeable (issue #14 item 6): a workload fetches
// its X.509-SVID and a JWT-SVID with the same code from a real SPIRE agent
// and from ztci's Server, both validate, and they have the same shape.
func TestSPIREAndServerInterchangeable(t *testing.T) {
	ctx := t.Context()
	build := spiffeid.RequireFromPath(td, "/job/build")

	spire := itest.StartSPIRE(t, td.Name())
	spire.CreateEntry(t, itest.Entry{SPIFFEID: build.String(), Selectors: []string{itest.UIDSelector()}})
	spire.WaitX509SVID(t, build.String())

	iss, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	ztci := serve(t, iss, build)

	fromSPIRE := fetchShape(t, ctx, spire.Addr())
	fromZTCI := fetchShape(t, ctx, ztci)
	if !fromSPIRE.SignsOnly || fromSPIRE.ID != build.String() || fromSPIRE.ValidatedByAPI != build.String() || fromSPIRE.JWTSubject != build.String() {
		t.Errorf("SPIRE served %+v, want ID %v", fromSPIRE, build)
	}
	if !reflect.DeepEqual(fromSPIRE, fromZTCI) {
		t.Errorf("SVID shapes differ:\nSPIRE: %+v\nztci:  %+v", fromSPIRE, fromZTCI)
	}
}

// TestSPIRERefusesUnregisteredWorkload: with no entry for the caller, the
// SPIRE agent issues nothing and Open fails once ctx ends, as it does
// against a ztci Server whose attestor refuses the caller.
func TestSPIRERefusesUnregisteredWorkload(t *testing.T) {
	spire := itest.StartSPIRE(t, td.Name())
	iss, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	refuse := workload.UID(map[int]spiffeid.ID{-1: spiffeid.RequireFromPath(td, "/job/none")})
	for name, addr := range map[string]string{"SPIRE": spire.Addr(), "ztci": serveWith(t, iss, refuse)} {
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		src, err := workload.Open(ctx, addr)
		cancel()
		if err == nil {
			src.Close()
			t.Errorf("%s: Open succeeded for a workload with no entry", name)
		}
	}
}
