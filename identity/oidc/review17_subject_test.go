package oidc_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
)

// TestReview17DefaultSubjectUnambiguous: the default subject
// "repo:<repository>:environment:<env>" / ":ref:<ref>" escapes nothing, so a
// repository name holding ':' (a clone URL with a port, a CircleCI
// vcs-origin, a vendor's "project:sub" naming) made two jobs share one
// subject: the job of repository "acme/app:environment:prod" got the
// subject of acme/app's prod environment, and with it whatever a CA
// certifies or a grant (identity.MatchID) gives that subject. Such a
// repository is refused unless the vendor sets Job.Subject; an environment
// or ref holding ':' stays unambiguous and is minted as before.
func TestReview17DefaultSubjectUnambiguous(t *testing.T) {
	t.Parallel()
	iss, err := oidc.NewIssuer("https://ci.example.com")
	if err != nil {
		t.Fatal(err)
	}
	v, err := oidc.NewVerifier(iss.URL(), "aud", oidc.WithKeySet(iss.KeySet()))
	if err != nil {
		t.Fatal(err)
	}
	subject := func(c identity.Claims) (string, error) {
		tok, err := iss.Mint(t.Context(), oidc.Job{Claims: c}, "aud")
		if err != nil {
			return "", err
		}
		who, err := v.Verify(t.Context(), tok.Reveal())
		if err != nil {
			t.Fatal(err)
		}
		return who.Subject, nil
	}
	for _, pair := range [][2]identity.Claims{
		{{Repository: "acme/app", Environment: "prod"}, {Repository: "acme/app:environment:prod"}},
		{{Repository: "acme/app", Ref: "refs/heads/main"}, {Repository: "acme/app:ref:refs/heads/main"}},
		{{Repository: "acme/app", Environment: "prod"}, {Repository: "acme/app:environment:prod", Ref: "refs/heads/x"}},
		{{Repository: "acme/app", Ref: "refs/heads/main"}, {Repository: "acme", Environment: "x", Ref: "y"}},
		{{Repository: "acme/app", Environment: "a:b"}, {Repository: "acme/app:environment:a", Environment: "b"}},
	} {
		victim, err := subject(pair[0])
		if err != nil {
			t.Fatalf("%+v: %v", pair[0], err)
		}
		forged, err := subject(pair[1])
		if forged == victim {
			t.Errorf("%+v minted the subject of %+v: %q", pair[1], pair[0], victim)
		}
		if pair[1].Repository != "acme" && !errors.Is(err, oidc.ErrConfig) {
			t.Errorf("%+v: subject %q, %v; want ErrConfig", pair[1], forged, err)
		}
	}
	// ':' in an environment or a ref leaves the subject unambiguous: the
	// repository ends at the first ':' after "repo:".
	for c, want := range map[identity.Claims]string{
		{Repository: "acme/app", Environment: "prod:eu"}: "repo:acme/app:environment:prod:eu",
		{Repository: "acme/app", Ref: "refs/heads/a:b"}:  "repo:acme/app:ref:refs/heads/a:b",
	} {
		if got, err := subject(c); err != nil || got != want {
			t.Errorf("%+v: subject %q, %v; want %q", c, got, err, want)
		}
	}
	// An explicit Subject is the vendor's to choose.
	tok, err := iss.Mint(t.Context(), oidc.Job{Subject: "project:acme:app", Claims: identity.Claims{Repository: "acme:app"}}, "aud")
	if err != nil {
		t.Fatalf("explicit subject: %v", err)
	}
	if who, err := v.Verify(t.Context(), tok.Reveal()); err != nil || who.Subject != "project:acme:app" {
		t.Fatalf("explicit subject: %q, %v", who.Subject, err)
	}
}
