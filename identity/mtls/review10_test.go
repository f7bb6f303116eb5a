package mtls_test

import (
	"crypto/x509"
	"errors"
	"testing"

	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/mtls"
	"github.com/ztci/ztci/identity/svid"
)

// TestReview10PeerTrustDomainID: a leaf that chains to the bundle but whose
// URI SAN is the trust domain's own ID ("spiffe://ci.test", no path) is
// refused by every configuration, even with an authorizer admitting
// everyone, and by the built-in authorizers, with an error wrapping
// ErrUnauthorized and svid.ErrRootID. The X509-SVID specification (§3.1,
// §5.2) says a leaf's SPIFFE ID MUST have a non-root path and validators
// MUST check it; go-spiffe's chain check does not, and
// spiffeid.MatchMemberOf admits the trust domain's own ID.
func TestReview10PeerTrustDomainID(t *testing.T) {
	t.Parallel()
	ca := newReview4CA(t, "ci.test")
	admitAll := func(spiffeid.ID, [][]*x509.Certificate) error { return nil }
	authzs := map[string]mtls.Authorizer{
		"AuthorizeMemberOf": mtls.AuthorizeMemberOf(ca.TrustDomain()),
		"AuthorizeMatcher":  mtls.AuthorizeMatcher(identity.MatchSPIFFEID(spiffeid.MatchMemberOf(ca.TrustDomain()))),
		"caller's own":      admitAll,
	}
	root, workload := ca.leaf(t, "spiffe://ci.test"), ca.leaf(t, "spiffe://ci.test/job")
	for aname, authz := range authzs {
		for cname, verify := range review4Configs(t, ca, authz) {
			if err := verify([][]byte{workload}, nil); err != nil {
				t.Errorf("%s with %s: workload ID refused: %v", cname, aname, err)
			}
			if err := verify([][]byte{root}, nil); !errors.Is(err, mtls.ErrUnauthorized) || !errors.Is(err, svid.ErrRootID) {
				t.Errorf("%s with %s: trust domain ID: %v, want ErrUnauthorized and ErrRootID", cname, aname, err)
			}
		}
	}
	for name, authz := range map[string]mtls.Authorizer{"AuthorizeMemberOf": authzs["AuthorizeMemberOf"], "AuthorizeMatcher": authzs["AuthorizeMatcher"]} {
		if err := authz(ca.TrustDomain().ID(), nil); !errors.Is(err, mtls.ErrUnauthorized) || !errors.Is(err, svid.ErrRootID) {
			t.Errorf("%s(trust domain ID) = %v, want ErrUnauthorized and ErrRootID", name, err)
		}
	}
}
