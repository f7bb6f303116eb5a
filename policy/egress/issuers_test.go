package egress_test

import (
	"errors"
	"testing"

	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy/egress"
)

// A repository name means something only on the platform that issued it,
// and only until it is registered again: Issuers and RepositoryIDs confine
// a rule as they confine a secret grant. A job of another issuer, or of a
// repository re-registered under the same name (a new id), gets nothing
// the rule allows.
func TestRuleIssuersAndRepositoryIDs(t *testing.T) {
	t.Parallel()
	const gh = "https://token.actions.githubusercontent.com"
	dst := egress.Destination{Host: "registry.example.com", Port: 443}
	rule := func(name string, issuers, ids []string) egress.Rule {
		return egress.Rule{Name: name, Repositories: []string{"octo/app"}, SPIFFEIDs: []string{"spiffe://ci.example/octo/app"},
			Issuers: issuers, RepositoryIDs: ids, Hosts: []string{dst.Host}, Ports: []uint16{dst.Port}}
	}
	job := func(issuer, id string) identity.Identity {
		return identity.Identity{Issuer: issuer, Subject: "repo:octo/app", Claims: identity.Claims{Repository: "octo/app", RepositoryID: id}}
	}
	svidJob := identity.Identity{SPIFFEID: spiffeid.RequireFromString("spiffe://ci.example/octo/app")}
	tests := []struct {
		name string
		rule egress.Rule
		job  identity.Identity
		want bool
	}{
		{"issuer and id named", rule("r", []string{gh}, []string{"42"}), job(gh, "42"), true},
		{"another issuer's octo/app", rule("r", []string{gh}, nil), job("https://gitlab.example", "42"), false},
		{"re-registered name", rule("r", nil, []string{"42"}), job(gh, "9001"), false},
		{"no id in the token", rule("r", nil, []string{"42"}), job(gh, ""), false},
		{"empty issuers cover none", rule("r", []string{}, nil), job(gh, "42"), false},
		{"empty ids cover none", rule("r", nil, []string{}), job(gh, "42"), false},
		{"nil: any issuer and id", rule("r", nil, nil), job("https://gitlab.example", "7"), true},
		{"SVID of a named trust domain", rule("r", []string{"spiffe://ci.example"}, nil), svidJob, true},
		{"SVID of another trust domain", rule("r", []string{gh}, nil), svidJob, false},
		{"SVID carries no repository id", rule("r", nil, []string{"42"}), svidJob, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			al, err := egress.NewAllowList(tt.rule)
			if err != nil {
				t.Fatal(err)
			}
			d, err := al.Decide(t.Context(), tt.job, dst)
			if err != nil || d.Allow != tt.want {
				t.Errorf("got %+v, %v; want allow %v", d, err, tt.want)
			}
		})
	}
	for _, bad := range []egress.Rule{rule("r", []string{""}, nil), rule("r", nil, []string{""})} {
		if _, err := egress.NewAllowList(bad); !errors.Is(err, egress.ErrConfig) {
			t.Errorf("a rule with an empty issuer or id: %v, want ErrConfig", err)
		}
	}
}
