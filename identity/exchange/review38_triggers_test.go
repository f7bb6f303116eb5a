package exchange_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/claims"
	"github.com/ztci/ztci/identity/exchange"
)

// TestReview38TriggersNilKeepsDefault: WithUntrustedTriggers(nil) trusted
// every trigger (a nil list became a non-nil empty one), where
// policy/egress's WithUntrustedTriggers and the policy library's
// LibraryConfig.UntrustedTriggers read nil as the default. A vendor
// passing one unset config list to all three
// (exchange.WithUntrustedTriggers(libraryConfig.UntrustedTriggers))
// had the exchange mint the protected branch's SVID for a
// pull_request_target run of a fork's code. nil now keeps the default.
func TestReview38TriggersNilKeepsDefault(t *testing.T) {
	t.Parallel()
	_, _, ca, tm := exchangeParts(t, "/ci/{repository_id}/{ref...}")
	tokens := review27Verifier{}
	for _, ev := range append(claims.DefaultUntrustedTriggers(), "push") {
		tokens[ev] = identity.Identity{Issuer: "https://ci.test", Subject: "repo:octo/app", Claims: identity.Claims{
			Platform: "ztci", Repository: "octo/app", RepositoryID: "123", Ref: "refs/heads/main", RefProtected: true, Event: ev,
		}}
	}
	var unset []string // a config field nobody set
	tests := []struct {
		name    string
		opt     exchange.Option
		event   string
		wantErr error
	}{
		{name: "nil push", opt: exchange.WithUntrustedTriggers(nil), event: "push"},
		{name: "unset push", opt: exchange.WithUntrustedTriggers(unset), event: "push"},
		{name: "empty trusts all", opt: exchange.WithUntrustedTriggers([]string{}), event: "pull_request_target"},
	}
	for _, ev := range claims.DefaultUntrustedTriggers() {
		tests = append(tests,
			struct {
				name    string
				opt     exchange.Option
				event   string
				wantErr error
			}{name: "nil " + ev, opt: exchange.WithUntrustedTriggers(nil), event: ev, wantErr: exchange.ErrUntrustedTrigger},
			struct {
				name    string
				opt     exchange.Option
				event   string
				wantErr error
			}{name: "unset " + ev, opt: exchange.WithUntrustedTriggers(unset), event: ev, wantErr: exchange.ErrUntrustedTrigger},
		)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ex, err := exchange.New(tokens, ca, tm, exchange.WithIssuer("https://ci.test"), tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			x, err := ex.X509SVID(t.Context(), tt.event)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (x != nil) {
				t.Fatalf("X509SVID = %v, %v; want %v", x, err, tt.wantErr)
			}
		})
	}
}
