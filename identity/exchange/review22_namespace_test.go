package exchange_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/exchange"
)

// TestReview22TemplateNamespace: a template whose first segment was a
// placeholder let the claims name the top of the trust domain. From
// "/{repository...}" whoever registers the GitLab group "spire" with
// subgroups "agent/k8s_psat/prod" and a project named as a node got
// spiffe://td/spire/agent/k8s_psat/prod/<node>, a SPIRE agent's ID, and
// a group "payments" another service's. A template starts with a literal
// segment now, and not with SPIRE's reserved "spire".
func TestReview22TemplateNamespace(t *testing.T) {
	t.Parallel()
	agent := identity.Identity{Claims: identity.Claims{Platform: "gitlab-ci", Repository: "spire/agent/k8s_psat/prod/node-1", RepositoryID: "7"}}
	for _, tmpl := range []string{
		"/{repository...}",
		"/{platform}/{repository...}",
		"/{repository_owner_id}/{repository_id}",
		"/{sub...}",
		"/spire/{repository...}",
		"/spire/agent/{repository_id}",
	} {
		tm, err := exchange.ParseTemplate(tmpl)
		if err == nil {
			id, _ := tm.ID(td, agent)
			t.Errorf("ParseTemplate(%q) accepted (ID %v), want ErrTemplate", tmpl, id)
		} else if !errors.Is(err, exchange.ErrTemplate) {
			t.Errorf("ParseTemplate(%q) = %v, want ErrTemplate", tmpl, err)
		}
	}
	for _, tmpl := range []string{exchange.DefaultTemplate, "/spire-ci/{repository...}", "/gitlab-acme/{repository_id}"} {
		tm, err := exchange.ParseTemplate(tmpl)
		if err != nil {
			t.Fatalf("ParseTemplate(%q) = %v", tmpl, err)
		}
		if _, err := tm.ID(td, agent); err != nil {
			t.Errorf("%s: %v", tmpl, err)
		}
	}
}
