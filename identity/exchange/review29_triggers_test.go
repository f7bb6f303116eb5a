package exchange_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/claims"
	"github.com/ztci/ztci/identity/exchange"
)

// TestReview29TriggersSSHRerun: a CircleCI job rerun with SSH is an
// interactive shell holding the job's token; its holder exchanged that
// token for the pipeline's SVID (the ID of refs/heads/main under
// "/ci/{repository_id}/{ref...}"). Now every trigger of
// claims.DefaultUntrustedTriggers, ssh-rerun included, is refused by
// default.
func TestReview29TriggersSSHRerun(t *testing.T) {
	t.Parallel()
	_, _, ca, tm := exchangeParts(t, "/ci/{repository_id}/{ref...}")
	rerun, err := claims.CircleCI(map[string]any{
		"sub":                          "org/o1/project/p1/user/u1",
		"oidc.circleci.com/project-id": "p1",
		"oidc.circleci.com/vcs-origin": "github.com/octo/app",
		"oidc.circleci.com/vcs-ref":    "refs/heads/main",
		"oidc.circleci.com/ssh-rerun":  true,
	})
	if err != nil {
		t.Fatal(err)
	}
	tokens := review27Verifier{"circleci-ssh": {Issuer: "https://ci.test", Subject: "org/o1/project/p1", Claims: rerun}}
	tests := []struct {
		name    string
		token   string
		opts    []exchange.Option
		wantErr error
	}{
		{name: "circleci ssh rerun", token: "circleci-ssh", wantErr: exchange.ErrUntrustedTrigger},
		{name: "trusted on request", token: "circleci-ssh", opts: []exchange.Option{exchange.WithUntrustedTriggers([]string{})}},
	}
	for _, ev := range claims.DefaultUntrustedTriggers() {
		tokens[ev] = identity.Identity{Issuer: "https://ci.test", Subject: "repo:octo/app", Claims: identity.Claims{
			Platform: "ztci", Repository: "octo/app", RepositoryID: "123", Ref: "refs/heads/main", RefProtected: true, Event: ev,
		}}
		tests = append(tests, struct {
			name    string
			token   string
			opts    []exchange.Option
			wantErr error
		}{name: "default " + ev, token: ev, wantErr: exchange.ErrUntrustedTrigger})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ex, err := exchange.New(tokens, ca, tm, append([]exchange.Option{exchange.WithIssuer("https://ci.test")}, tt.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			x, err := ex.X509SVID(t.Context(), tt.token)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (x != nil) {
				t.Fatalf("X509SVID = %v, %v; want %v", x, err, tt.wantErr)
			}
			j, err := ex.JWTSVID(t.Context(), tt.token, "deployer")
			if !errors.Is(err, tt.wantErr) || (err == nil) != (j != nil) {
				t.Fatalf("JWTSVID = %v, %v; want %v", j, err, tt.wantErr)
			}
		})
	}
}
