package oidc

import (
	"errors"
	"strings"
	"testing"
)

// TestReview21IssuerURLComponents: an issuer URL is https with no query or
// fragment (OIDC Discovery §3) and no userinfo. A '?' or '#' with nothing
// after it passed the RawQuery/Fragment checks and moved the discovery path
// into the query or fragment ("https://ci.example.com?/.well-known/..."
// fetches the root page); a password in the URL would be sent to the
// issuer and written into every rejection, log line and audit event that
// names the issuer. Refusals never quote the password.
func TestReview21IssuerURLComponents(t *testing.T) {
	for _, u := range []string{
		"https://ci.example.com?",
		"https://ci.example.com/tenant?",
		"https://ci.example.com#",
		"https://ci.example.com/tenant#",
		"https://user:s3cr3t-pw@ci.example.com",
		"https://user@ci.example.com",
		"https://:s3cr3t-pw@ci.example.com",
	} {
		_, err := NewVerifier(u, "aud")
		if !errors.Is(err, ErrConfig) {
			t.Errorf("NewVerifier(%q) = %v, want ErrConfig", u, err)
		} else if strings.Contains(err.Error(), "s3cr3t-pw") {
			t.Errorf("NewVerifier(%q) error quotes the password: %v", u, err)
		}
		_, err = NewIssuer(u)
		if !errors.Is(err, ErrConfig) {
			t.Errorf("NewIssuer(%q) = %v, want ErrConfig", u, err)
		} else if strings.Contains(err.Error(), "s3cr3t-pw") {
			t.Errorf("NewIssuer(%q) error quotes the password: %v", u, err)
		}
	}
	for _, u := range []string{"https://ci.example.com", "https://ci.example.com/tenant", "http://127.0.0.1:8080"} {
		if _, err := NewVerifier(u, "aud"); err != nil {
			t.Errorf("NewVerifier(%q) = %v", u, err)
		}
		if _, err := NewIssuer(u); err != nil {
			t.Errorf("NewIssuer(%q) = %v", u, err)
		}
	}
}

// TestReview21JWKSURIUserinfo: a jwks_uri carrying userinfo is refused
// before any request, and the error does not quote the password.
func TestReview21JWKSURIUserinfo(t *testing.T) {
	for _, u := range []string{"https://u:s3cr3t-pw@keys.example.com/jwks", "https://u:s3cr3t-pw@", "https://u:s3cr3t-pw@ke ys/"} {
		err := checkJWKSURI("https://ci.example.com", u)
		if !errors.Is(err, ErrKeySet) || strings.Contains(err.Error(), "s3cr3t-pw") {
			t.Errorf("checkJWKSURI(%q) = %v, want ErrKeySet without the password", u, err)
		}
	}
	if err := checkJWKSURI("https://ci.example.com", "https://keys.example.com/jwks"); err != nil {
		t.Fatal(err)
	}
}
