package exchange_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/exchange"
)

// TestReview27TriggerUntrusted: GitHub runs a pull_request_target or
// workflow_run workflow for a pull request from anyone with the base
// branch's ref and ref_protected true. Such a job got main's ID from
// "/ci/{repository_id}/{ref...}" and passed a ref_protected matcher; now
// it is refused with ErrUntrustedTrigger (as the policy library's default
// UntrustedTriggers), unless WithUntrustedTriggers says otherwise.
func TestReview27TriggerUntrusted(t *testing.T) {
	t.Parallel()
	_, _, ca, tm := exchangeParts(t, "/ci/{repository_id}/{ref...}")
	tokens := review27Verifier{}
	for _, ev := range []string{"push", "pull_request_target", "workflow_run", " Pull_Request_Target ", "issue_comment"} {
		tokens[ev] = identity.Identity{Issuer: "https://ci.test", Subject: "repo:octo/app", Claims: identity.Claims{
			Platform: "github-actions", Repository: "octo/app", RepositoryID: "123", Ref: "refs/heads/main", RefProtected: true, Event: ev,
		}}
	}
	admit := exchange.WithMatcher(identity.MatchClaim("ref_protected", "true"))
	tests := []struct {
		name    string
		opts    []exchange.Option
		event   string
		wantErr error
	}{
		{name: "push", event: "push"},
		{name: "pull_request_target", event: "pull_request_target", wantErr: exchange.ErrUntrustedTrigger},
		{name: "workflow_run", event: "workflow_run", wantErr: exchange.ErrUntrustedTrigger},
		{name: "case and space", event: " Pull_Request_Target ", wantErr: exchange.ErrUntrustedTrigger},
		{name: "issue_comment trusted by default", event: "issue_comment"},
		{name: "listed issue_comment", opts: []exchange.Option{exchange.WithUntrustedTriggers([]string{"Issue_Comment"})}, event: "issue_comment", wantErr: exchange.ErrUntrustedTrigger},
		{name: "list replaces default", opts: []exchange.Option{exchange.WithUntrustedTriggers([]string{"issue_comment"})}, event: "pull_request_target"},
		{name: "empty list trusts all", opts: []exchange.Option{exchange.WithUntrustedTriggers([]string{})}, event: "workflow_run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ex, err := exchange.New(tokens, ca, tm, append([]exchange.Option{admit, exchange.WithIssuer("https://ci.test")}, tt.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			x, err := ex.X509SVID(t.Context(), tt.event)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (x != nil) {
				t.Fatalf("X509SVID = %v, %v; want %v", x, err, tt.wantErr)
			}
			j, err := ex.JWTSVID(t.Context(), tt.event, "deployer")
			if !errors.Is(err, tt.wantErr) || (err == nil) != (j != nil) {
				t.Fatalf("JWTSVID = %v, %v; want %v", j, err, tt.wantErr)
			}
		})
	}
	if _, err := exchange.New(tokens, ca, tm, exchange.WithIssuer("https://ci.test"), exchange.WithUntrustedTriggers([]string{" "})); !errors.Is(err, exchange.ErrConfig) {
		t.Errorf("New with an empty trigger = %v; want ErrConfig", err)
	}
}
