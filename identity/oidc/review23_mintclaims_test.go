package oidc_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
)

// TestReview23MintRefusesUnwritableClaims: Mint signs a claim only as
// given. Invalid UTF-8 would be signed as U+FFFD (two refs, one claim), a
// control or line-separator character lands in relying parties' logs and
// certificates, and an oversized claim set makes a token no default
// verifier accepts: each is refused with ErrConfig, naming the claim and
// never quoting it.
func TestReview23MintRefusesUnwritableClaims(t *testing.T) {
	t.Parallel()
	iss, err := oidc.NewIssuer("https://ci.example.com")
	if err != nil {
		t.Fatal(err)
	}
	base := identity.Claims{Repository: "octo-org/app", Ref: "refs/heads/main"}
	cases := map[string]struct {
		job oidc.Job
		aud string
	}{
		"ref invalid utf8":   {job: oidc.Job{Claims: withRef(base, "refs/heads/main\xff")}},
		"ref newline":        {job: oidc.Job{Claims: withRef(base, "refs/heads/x\nrepo:octo-org/app:ref:refs/heads/main")}},
		"workflow nul":       {job: oidc.Job{Claims: identity.Claims{Repository: "octo-org/app", Workflow: "ci\x00"}}},
		"actor c1":           {job: oidc.Job{Claims: identity.Claims{Repository: "octo-org/app", Actor: "bob\u0085"}}},
		"subject separator":  {job: oidc.Job{Subject: "repo:a/b\u2028x", Claims: base}},
		"subject escape":     {job: oidc.Job{Subject: "repo:a/b\x1b[2J", Claims: base}},
		"environment del":    {job: oidc.Job{Claims: identity.Claims{Repository: "octo-org/app", Environment: "prod\x7f"}}},
		"audience cr":        {job: oidc.Job{Claims: base}, aud: "vault\r"},
		"huge repository id": {job: oidc.Job{Claims: identity.Claims{Repository: "octo-org/app", RepositoryID: strings.Repeat("1", 16<<10)}}},
	}
	for name, tc := range cases {
		aud := tc.aud
		if aud == "" {
			aud = "vault"
		}
		_, err := iss.Mint(t.Context(), tc.job, aud)
		if !errors.Is(err, oidc.ErrConfig) {
			t.Errorf("%s: Mint = %v, want ErrConfig", name, err)
			continue
		}
		if strings.ContainsFunc(err.Error(), func(r rune) bool { return r == utf8.RuneError || r < ' ' }) || len(err.Error()) > 200 {
			t.Errorf("%s: error quotes the claim: %q", name, err)
		}
	}
	// Printable Unicode (an emoji workflow name with a joiner) still mints.
	ok := identity.Claims{Repository: "octo-org/app", Ref: "refs/heads/main", Workflow: "👩\u200d💻 Build"}
	if _, err := iss.Mint(t.Context(), oidc.Job{Claims: ok}, "vault"); err != nil {
		t.Errorf("printable claims: %v", err)
	}
}

func withRef(c identity.Claims, ref string) identity.Claims { c.Ref = ref; return c }
