package exchange_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/exchange"
	"github.com/ztci/ztci/identity/svid"
)

// TestReview32OneIssuerPerNamespace: two exchanges on one svid.Issuer,
// for gitlab.com and a self-managed GitLab (both "gitlab-ci", whose
// project paths overlap), with one template, minted the same SPIFFE ID
// for evil/x on the self-managed instance as for evil/x on gitlab.com; and
// two templates of one issuer may place different claims at one path
// (account "12345"'s repository "678" under "/ci/{repository...}", owner
// id 12345's repository id 678 under
// "/ci/{repository_owner_id}/{repository_id}"). The second New is now
// refused (ErrConfig, svid.ErrNamespaceTaken) unless its issuer and
// template are the first's, or its template's literal namespace is
// disjoint from the first's.
func TestReview32OneIssuerPerNamespace(t *testing.T) {
	t.Parallel()
	const (
		com  = "https://gitlab.com"
		acme = "https://gitlab.acme.example"
	)
	twoGitLabs := review27Verifier{
		"com":  {Issuer: com, Subject: "project_path:evil/x", Claims: identity.Claims{Platform: "gitlab-ci", Repository: "evil/x", RepositoryID: "9"}},
		"acme": {Issuer: acme, Subject: "project_path:evil/x", Claims: identity.Claims{Platform: "gitlab-ci", Repository: "evil/x", RepositoryID: "9"}},
	}
	tests := []struct {
		name         string
		first, other string // templates
		otherIssuer  string
		want         error
	}{
		{name: "one template two issuers", first: "/ci/{platform}/{repository...}", other: "/ci/{platform}/{repository...}", otherIssuer: acme, want: svid.ErrNamespaceTaken},
		{name: "nested namespace", first: "/ci/{platform}/{repository...}", other: "/ci/acme/{repository...}", otherIssuer: acme, want: svid.ErrNamespaceTaken},
		{name: "own namespaces", first: "/gitlab-com/{repository...}", other: "/gitlab-acme/{repository...}", otherIssuer: acme},
		{name: "same issuer other template", first: "/ci/{repository...}", other: "/ci/{repository_owner_id}/{repository_id}", otherIssuer: com, want: svid.ErrNamespaceTaken},
		{name: "same issuer same template", first: "/ci/{platform}/{repository...}", other: "/ci/{platform}/{repository...}", otherIssuer: com},
		{name: "same issuer templates of their own", first: "/ci/names/{repository...}", other: "/ci/ids/{repository_owner_id}/{repository_id}", otherIssuer: com},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ca, err := svid.NewIssuer(td)
			if err != nil {
				t.Fatal(err)
			}
			first, err := exchange.ParseTemplate(tt.first)
			if err != nil {
				t.Fatal(err)
			}
			other, err := exchange.ParseTemplate(tt.other)
			if err != nil {
				t.Fatal(err)
			}
			exCom, err := exchange.New(twoGitLabs, ca, first, exchange.WithIssuer(com))
			if err != nil {
				t.Fatal(err)
			}
			exOther, err := exchange.New(twoGitLabs, ca, other, exchange.WithIssuer(tt.otherIssuer))
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("second New = %v; want %v", err, tt.want)
			}
			if err != nil {
				if !errors.Is(err, exchange.ErrConfig) {
					t.Errorf("second New = %v; want it to wrap ErrConfig", err)
				}
				return
			}
			if tt.otherIssuer == com {
				return
			}
			a, err := exCom.X509SVID(t.Context(), "com")
			if err != nil {
				t.Fatal(err)
			}
			b, err := exOther.X509SVID(t.Context(), "acme")
			if err != nil {
				t.Fatal(err)
			}
			if a.ID == b.ID {
				t.Fatalf("two token issuers' repositories share %s", a.ID)
			}
		})
	}
}
