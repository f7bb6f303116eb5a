package exchange_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/exchange"
	"github.com/ztci/ztci/identity/oidc"
)

// review27Verifier is a vendor's Verifier that routes by token to one of
// several issuers: the token text is the key of the identity it proves.
type review27Verifier map[string]identity.Identity

func (r review27Verifier) VerifyToken(_ context.Context, raw string) (*oidc.Verified, error) {
	who, ok := r[raw]
	if !ok {
		return nil, oidc.ErrInvalidToken
	}
	return &oidc.Verified{Identity: who, Expiry: time.Now().Add(time.Minute)}, nil
}

const (
	review27GitHub = "https://token.actions.githubusercontent.com"
	review27GitLab = "https://gitlab.com"
)

// review27TwoIssuers proves GitHub repository 123 and GitLab project 123,
// whose ids collide under "/ci/{repository_id}".
var review27TwoIssuers = review27Verifier{
	"github": {Issuer: review27GitHub, Subject: "repo:octo/app", Claims: identity.Claims{Platform: "github-actions", Repository: "octo/app", RepositoryID: "123"}},
	"gitlab": {Issuer: review27GitLab, Subject: "project_path:evil/x", Claims: identity.Claims{Platform: "gitlab-ci", Repository: "evil/x", RepositoryID: "123"}},
}

// TestReview27IssuerOnePerExchange: claims name repositories only within
// one issuer, so an exchange serves exactly one. A verifier that accepts
// tokens of two issuers gave GitHub repository 123 and GitLab project 123
// one SPIFFE ID; now the exchange is bound to its issuer (WithIssuer, or
// the verifier's Issuer method) and refuses the other's tokens with
// ErrIssuer, and New refuses an exchange whose issuer it cannot know.
func TestReview27IssuerOnePerExchange(t *testing.T) {
	t.Parallel()
	_, v, ca, tm := exchangeParts(t, "/ci/{repository_id}")
	tests := []struct {
		name    string
		ver     exchange.Verifier
		opts    []exchange.Option
		token   string
		wantNew error
		wantErr error
	}{
		{name: "own issuer", ver: review27TwoIssuers, opts: []exchange.Option{exchange.WithIssuer(review27GitHub)}, token: "github"},
		{name: "other issuer same id", ver: review27TwoIssuers, opts: []exchange.Option{exchange.WithIssuer(review27GitHub)}, token: "gitlab", wantErr: exchange.ErrIssuer},
		{name: "issuer unknown", ver: review27TwoIssuers, wantNew: exchange.ErrConfig},
		{name: "empty issuer", ver: review27TwoIssuers, opts: []exchange.Option{exchange.WithIssuer("")}, wantNew: exchange.ErrConfig},
		{name: "verifier disagrees", ver: v, opts: []exchange.Option{exchange.WithIssuer(review27GitHub)}, wantNew: exchange.ErrConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ex, err := exchange.New(tt.ver, ca, tm, tt.opts...)
			if !errors.Is(err, tt.wantNew) {
				t.Fatalf("New = %v; want %v", err, tt.wantNew)
			}
			if err != nil {
				return
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
