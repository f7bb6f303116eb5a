package mtls_test

import (
	"crypto/x509"
	"errors"
	"testing"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/spiffetls/tlsconfig"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/mtls"
)

func TestAuthorizerCombinators(t *testing.T) {
	t.Parallel()
	td := spiffeid.RequireTrustDomainFromString("ci.test")
	build := spiffeid.RequireFromPath(td, "/job/build")
	other := spiffeid.RequireFromString("spiffe://evil.test/job/build")
	tests := []struct {
		name string
		a    mtls.Authorizer
		id   spiffeid.ID
		want bool
	}{
		{name: "all: member and id", a: mtls.AuthorizeAll(mtls.AuthorizeMemberOf(td), mtls.AuthorizeID(build)), id: build, want: true},
		{name: "all: wrong trust domain", a: mtls.AuthorizeAll(mtls.AuthorizeMemberOf(td), mtls.AuthorizeMatcher(identity.MatchSPIFFEID(spiffeid.MatchAny()))), id: other},
		{name: "all of none", a: mtls.AuthorizeAll(), id: build},
		{name: "all with nil", a: mtls.AuthorizeAll(nil), id: build},
		{name: "any: second accepts", a: mtls.AuthorizeAny(mtls.AuthorizeID(other), mtls.AuthorizeID(build)), id: build, want: true},
		{name: "any: none accepts", a: mtls.AuthorizeAny(mtls.AuthorizeID(other)), id: build},
		{name: "any of none", a: mtls.AuthorizeAny(), id: build},
		{name: "matcher", a: mtls.AuthorizeMatcher(identity.MatchSPIFFEID(spiffeid.MatchMemberOf(td))), id: build, want: true},
		{name: "matcher refuses", a: mtls.AuthorizeMatcher(identity.MatchClaim("repository", "x")), id: build},
		{name: "id", a: mtls.AuthorizeID(build), id: build, want: true},
		{name: "id refuses another", a: mtls.AuthorizeID(build), id: other},
		{name: "id refuses zero", a: mtls.AuthorizeID(build), id: spiffeid.ID{}},
		{name: "member", a: mtls.AuthorizeMemberOf(td), id: build, want: true},
		{name: "member refuses another domain", a: mtls.AuthorizeMemberOf(td), id: other},
		{name: "member refuses zero", a: mtls.AuthorizeMemberOf(td), id: spiffeid.ID{}},
		{name: "all wraps a foreign refusal", a: mtls.AuthorizeAll(tlsconfig.AuthorizeID(other)), id: build},
		{name: "any wraps foreign refusals", a: mtls.AuthorizeAny(tlsconfig.AuthorizeID(other), nil), id: build},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.a(tc.id, [][]*x509.Certificate{})
			if (err == nil) != tc.want {
				t.Fatalf("err = %v, want accepted=%v", err, tc.want)
			}
			if err != nil && !errors.Is(err, mtls.ErrUnauthorized) {
				t.Fatalf("refusal %v does not wrap ErrUnauthorized", err)
			}
		})
	}
	var ue *mtls.UnauthorizedError
	if err := mtls.AuthorizeID(build)(other, nil); !errors.As(err, &ue) || ue.ID != other.String() {
		t.Errorf("AuthorizeID refusal = %v, want an UnauthorizedError naming %s", err, other)
	}
	if err := mtls.AuthorizeAny()(build, nil); !errors.Is(err, mtls.ErrUnauthorized) {
		t.Errorf("AuthorizeAny() err = %v, want ErrUnauthorized", err)
	}
	if _, err := mtls.ServerConfig(nil, nil, nil); !errors.Is(err, mtls.ErrConfig) {
		t.Errorf("ServerConfig(nil...) err = %v, want ErrConfig", err)
	}
}
