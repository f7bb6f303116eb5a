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
	c, err := ca.New(ca.WithSubjectDomain("https://iss", "https://ci.example"))
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
		{"workflow URI", identity.Identity{Issuer: "https://iss", Subject: "https://ci.example/acme/app/.github/workflows/release.yml@refs/heads/main"}, true},
		{"percent-escape kept", identity.Identity{Issuer: "https://iss", Subject: "https://ci.example/a%20b"}, true},
		{"subject at the limit", identity.Identity{Issuer: "https://iss", Subject: "https://ci.example/" + long[:ca.MaxIdentityValue-len("https://ci.example/")]}, true},
		{"upper-case scheme", identity.Identity{Issuer: "https://iss", Subject: "HTTPS://ci.example/acme/app/.github/workflows/release.yml@refs/heads/main"}, false},
		{"space", identity.Identity{Issuer: "https://iss", Subject: "https://ci.example/acme/a b"}, false},
		{"non-ASCII path", identity.Identity{Issuer: "https://iss", Subject: "https://ci.example/acme/app\u202e"}, false},
		{"over-long subject", identity.Identity{Issuer: "https://iss", Subject: "https://ci.example/" + long}, false},
		{"over-long issuer", identity.Identity{Issuer: "https://iss/" + long, Subject: "dev@ci.example"}, false},
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

// TestIssueCertifiesURISubjectsOnlyInTheIssuersDomain: any issuer the
// Authenticator accepted could have the CA certify any absolute URI, a
// workflow on someone else's forge among them. Now, as Fulcio does for
// issuers of type "uri", a URI subject is certified only when its scheme
// and host are those of the subject domain configured for its issuer, and
// an issuer without one certifies no URI subject. Email subjects are not
// affected.
func TestIssueCertifiesURISubjectsOnlyInTheIssuersDomain(t *testing.T) {
	t.Parallel()
	c, err := ca.New(ca.WithSubjectDomain("https://iss.example", "https://example.com"))
	if err != nil {
		t.Fatal(err)
	}
	k := key(t)
	for _, tc := range []struct {
		issuer, subject string
		ok              bool
	}{
		{"https://iss.example", "https://example.com/x", true},
		{"https://iss.example", "https://example.com", true},
		{"https://iss.example", "https://Example.COM/x", true}, // a host name has no case
		{"https://iss.example", "https://evil.example/", false},
		{"https://iss.example", "https://evil.example/example.com/x", false},
		{"https://iss.example", "https://example.com.evil.example/x", false},
		{"https://iss.example", "https://example.com@evil.example/x", false},
		{"https://iss.example", "https://evil.example@example.com/x", false},
		{"https://iss.example", "http://example.com/x", false},
		{"https://iss.example", "https://example.com:8443/x", false},
		{"https://iss.example", "https://sub.example.com/x", false},
		{"https://iss.example", "repo:acme/app:ref:refs/heads/main", false},
		{"https://other.example", "https://example.com/x", false},
		{"https://iss.example/", "https://example.com/x", false},
	} {
		certs, err := c.Issue(t.Context(), k.Public(), identity.Identity{Issuer: tc.issuer, Subject: tc.subject})
		if !tc.ok {
			if !errors.Is(err, ca.ErrSubjectDomain) || !errors.Is(err, ca.ErrIdentity) || !errors.Is(err, ca.ErrInvalidRequest) {
				t.Errorf("issuer %s, subject %s: got %v, want ErrSubjectDomain", tc.issuer, tc.subject, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("issuer %s, subject %s: %v", tc.issuer, tc.subject, err)
			continue
		}
		if got := certs[0].URIs[0].String(); got != tc.subject {
			t.Errorf("SAN %q, want %q", got, tc.subject)
		}
	}
	if _, err := c.Issue(t.Context(), k.Public(), identity.Identity{Issuer: "https://other.example", Subject: "dev@evil.example"}); err != nil {
		t.Errorf("email subject of an issuer without a domain: %v", err)
	}
	for _, bad := range []string{"", "example.com", "https://example.com/", "https://example.com/x", "https://example.com?q", "https://u@example.com", "http://example.com", "ftp://example.com"} {
		if _, err := ca.New(ca.WithSubjectDomain("https://iss.example", bad)); !errors.Is(err, ca.ErrConfig) {
			t.Errorf("WithSubjectDomain(%q): %v, want ErrConfig", bad, err)
		}
	}
	if _, err := ca.New(ca.WithSubjectDomain("https://iss.example", "https://a.example"), ca.WithSubjectDomain("https://iss.example", "https://b.example")); !errors.Is(err, ca.ErrConfig) {
		t.Errorf("WithSubjectDomain twice for one issuer: %v, want ErrConfig", err)
	}
	if _, err := ca.New(ca.WithSubjectDomain("", "https://example.com")); !errors.Is(err, ca.ErrConfig) {
		t.Errorf("WithSubjectDomain for no issuer: %v, want ErrConfig", err)
	}
}
