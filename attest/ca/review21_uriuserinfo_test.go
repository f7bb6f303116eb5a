package ca_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/identity"
)

// TestReview21URIExtensionUserInfo: a claim that puts user info into a
// URI-typed Fulcio extension is refused, and the refusal does not carry
// its password. A repository claim that is already a clone URL with a
// token in it ("https://ci:TOKEN@git.example.com/…", as CI systems write
// them) was certified into a public, logged certificate; and
// "https://github.com@evil.example/…" reads as github.com to a person and
// to a verifier matching the extension by prefix, while its host is
// evil.example.
func TestReview21URIExtensionUserInfo(t *testing.T) {
	t.Parallel()
	c, err := ca.New(
		ca.WithSubjectDomain("https://ci.example.com", "https://git.example.com"),
		ca.WithSubjectDomain("https://gitlab.example.com", "https://gitlab.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		id   identity.Identity
	}{
		{"repository clone URL with a token", identity.Identity{
			Issuer:  "https://ci.example.com",
			Subject: "https://git.example.com/acme/app/.ci/build.yml@refs/heads/main",
			Claims:  identity.Claims{Platform: "ztci", Repository: "https://ci:glpat-SECRET@git.example.com/acme/app"},
		}},
		{"repository URL naming another host", identity.Identity{
			Issuer:  "https://ci.example.com",
			Subject: "https://git.example.com/acme/app/.ci/build.yml@refs/heads/main",
			Claims:  identity.Claims{Platform: "ztci", Repository: "https://git.example.com@evil.example/acme/app"},
		}},
		{"gitlab config ref naming another host", identity.Identity{
			Issuer:  "https://gitlab.example.com",
			Subject: "https://gitlab.example.com/acme/app",
			Claims: identity.Claims{Platform: "gitlab-ci", Repository: "acme/app",
				WorkflowRef: "gitlab.example.com@evil.example/acme/app//.gitlab-ci.yml@refs/heads/main"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			chain, err := c.Issue(context.Background(), key(t).Public(), tt.id)
			if !errors.Is(err, ca.ErrIdentity) {
				var got []string
				if len(chain) > 0 {
					for _, e := range chain[0].Extensions {
						got = append(got, string(e.Value))
					}
				}
				t.Fatalf("Issue: err %v, want ErrIdentity; extensions %q", err, got)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("the refusal carries the password: %v", err)
			}
		})
	}
}

// TestReview21URIExtensionUnparsedNotQuoted: a claim that does not parse
// as a URI is refused without quoting it, as it may hold a password that
// cannot be redacted from what does not parse.
func TestReview21URIExtensionUnparsedNotQuoted(t *testing.T) {
	t.Parallel()
	c, err := ca.New(ca.WithSubjectDomain("https://ci.example.com", "https://git.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Issue(context.Background(), key(t).Public(), identity.Identity{
		Issuer:  "https://ci.example.com",
		Subject: "https://git.example.com/acme/app/.ci/build.yml@refs/heads/main",
		Claims:  identity.Claims{Platform: "ztci", Repository: "https://ci:glpat-SECRET@git.example.com/acme/%zz"},
	})
	if !errors.Is(err, ca.ErrIdentity) || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("Issue: err %v, want ErrIdentity without the password", err)
	}
}

// TestReview21SubjectUnparsedNotQuoted: a subject that is neither a URI nor
// an email is refused without quoting a password it may hold.
func TestReview21SubjectUnparsedNotQuoted(t *testing.T) {
	t.Parallel()
	c, err := ca.New(ca.WithSubjectDomain("https://ci.example.com", "https://git.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Issue(context.Background(), key(t).Public(), identity.Identity{
		Issuer:  "https://ci.example.com",
		Subject: "https://ci:glpat-SECRET@git.example.com/acme/%zz",
	})
	if !errors.Is(err, ca.ErrIdentity) || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("Issue: err %v, want ErrIdentity without the password", err)
	}
}
