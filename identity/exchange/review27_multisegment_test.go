package exchange_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/exchange"
)

// TestReview27MultiSegmentAuthorClaims: {name...} placed any claim's '/'
// as segments, so a job naming its environment "production/x" (any
// environment, unprotected) got an ID below .../production/, which a
// prefix check meant for production accepts. Only repository, ref and
// sub, whose '/' the platform writes, may now span segments; the others
// are refused at parse time.
func TestReview27MultiSegmentAuthorClaims(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		tmpl    string
		wantErr error
	}{
		{name: "repository", tmpl: "/ci/{repository...}"},
		{name: "ref", tmpl: "/ci/{repository_id}/{ref...}"},
		{name: "sub", tmpl: "/ci/{sub...}"},
		{name: "environment", tmpl: "/ci/{repository_id}/{environment...}", wantErr: exchange.ErrTemplate},
		{name: "workflow", tmpl: "/ci/{repository_id}/{workflow...}", wantErr: exchange.ErrTemplate},
		{name: "job", tmpl: "/ci/{repository_id}/{job...}", wantErr: exchange.ErrTemplate},
		{name: "workflow_ref", tmpl: "/ci/{repository_id}/{workflow_ref...}", wantErr: exchange.ErrTemplate},
		{name: "actor", tmpl: "/ci/{repository_id}/{actor...}", wantErr: exchange.ErrTemplate},
		{name: "platform", tmpl: "/ci/{repository_id}/{platform...}", wantErr: exchange.ErrTemplate},
		{name: "repository_id", tmpl: "/ci/{repository_id...}", wantErr: exchange.ErrTemplate},
	}
	who := identity.Identity{Issuer: "https://ci.test", Subject: "s", Claims: identity.Claims{
		Repository: "octo/app", RepositoryID: "1", Ref: "refs/heads/main", Environment: "production/x", Workflow: "w/x", Job: "j/x",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tm, err := exchange.ParseTemplate(tt.tmpl)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ParseTemplate(%q) = %v; want %v", tt.tmpl, err, tt.wantErr)
			}
			if err == nil {
				if _, err := tm.ID(td, who); err != nil {
					t.Errorf("ID = %v", err)
				}
			}
		})
	}
}
