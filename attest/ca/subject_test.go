package ca_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/identity"
)

// TestIssueCertifiesTheSubjectAsWritten: the SAN is the token's subject
// byte for byte. A subject that the URI encoder would rewrite (the scheme's
// case folded, a space or non-ASCII escaped) names, in the certificate,
// another identity than the token's, so it is refused; so is a subject,
// issuer or claim longer than ca.MaxIdentityValue.
func TestIssueCertifiesTheSubjectAsWritten(t *testing.T) {
	t.Parallel()
	c, err := ca.New()
	if err != nil {
		t.Fatal(err)
	}
	k := key(t)
	long := strings.Repeat("a", ca.MaxIdentityValue)
	for _, tc := range []struct {
		name string
		id   identity.Identity
		ok   bool
	}{
		{"workflow URI", identity.Identity{Issuer: "https://iss", Subject: "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"}, true},
		{"opaque URI", identity.Identity{Issuer: "https://iss", Subject: "repo:acme/app:ref:refs/heads/main"}, true},
		{"percent-escape kept", identity.Identity{Issuer: "https://iss", Subject: "https://ci.example/a%20b"}, true},
		{"subject at the limit", identity.Identity{Issuer: "https://iss", Subject: "https://ci.example/" + long[:ca.MaxIdentityValue-len("https://ci.example/")]}, true},
		{"upper-case scheme", identity.Identity{Issuer: "https://iss", Subject: "HTTPS://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"}, false},
		{"space", identity.Identity{Issuer: "https://iss", Subject: "https://github.com/acme/a b"}, false},
		{"non-ASCII path", identity.Identity{Issuer: "https://iss", Subject: "https://github.com/acme/app\u202e"}, false},
		{"over-long subject", identity.Identity{Issuer: "https://iss", Subject: "https://ci.example/" + long}, false},
		{"over-long issuer", identity.Identity{Issuer: "https://iss/" + long, Subject: "https://ci.example/x"}, false},
		{"over-long claim", identity.Identity{Issuer: "https://iss", Subject: "https://ci.example/x", Claims: identity.Claims{Ref: "refs/heads/" + long}}, false},
	} {
		certs, err := c.Issue(context.Background(), k.Public(), tc.id)
		if !tc.ok {
			if !errors.Is(err, ca.ErrIdentity) {
				t.Errorf("%s: got %v, want ErrIdentity", tc.name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got := certs[0].URIs[0].String(); got != tc.id.Subject {
			t.Errorf("%s: SAN %q, want the subject %q", tc.name, got, tc.id.Subject)
		}
	}
}
