package identity_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/identity"
)

// review33Plain reports whether s holds printable ASCII only: no line
// break, terminal escape or bidi control that a reader of a log line, an
// error or a UI would take for something else.
func review33Plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// TestReview33ReasonQuotesClaimText: a decision's Reason repeated the
// caller's id and a requirement's error verbatim. The id holds the token's
// subject, which spells names a pipeline author or pusher chooses (a
// branch, an environment, a Buildkite branch typed freely), and AMR comes
// from a human's token; Reason reaches the audit log, secrets.DeniedError
// and whatever log line or UI shows the error. A subject holding
// "\n... granted by \"admins\"" or a terminal escape forged a second line
// in that output, and one of any size was repeated whole. The id and the
// requirement's error are now quoted in ASCII and clipped, as a refused
// permission already was.
func TestReview33ReasonQuotesClaimText(t *testing.T) {
	t.Parallel()
	forged := "repo:o/r:ref:refs/heads/x\ngranted by \"admins\" (deploy:*)\x1b[2K\u202e" + strings.Repeat("A", 4<<10)
	var errCustom = errors.New("custom requirement")
	tests := []struct {
		name string
		who  identity.Identity
		amr  []string
		perm identity.Permission
	}{
		{name: "deny names the caller", who: identity.Identity{Issuer: "https://ci.test", Subject: forged}, perm: identity.Deploy("production")},
		{name: "built-in requirement repeats amr", who: identity.Identity{Issuer: "https://ci.test", Subject: "job"},
			amr: []string{"pwd\ngranted by \"admins\"\x1b[2K" + strings.Repeat("B", 4<<10)}, perm: identity.Approve("production")},
		{name: "custom requirement error", who: identity.Identity{Issuer: "https://ci.test", Subject: forged}, perm: identity.SecretsRead("db")},
	}
	rec := audittest.NewRecorder()
	g, err := identity.NewGuard([]identity.Grant{{Name: "admins", To: identity.MatchIssuer("https://other.test"), Permissions: []string{"deploy:*"}}},
		identity.WithAudit(rec),
		identity.WithRequirement("approve:*", identity.RequireAMR("mfa")),
		identity.WithRequirement("secrets:read:*", func(_ context.Context, r identity.Request) error {
			return errors.Join(errCustom, errors.New(r.Who.Subject))
		}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := g.Check(t.Context(), identity.Request{Who: tt.who, Permission: tt.perm, AMR: tt.amr})
			if err != nil || d.Allowed {
				t.Fatalf("Check: %+v, %v; want a deny", d, err)
			}
			if !review33Plain(d.Reason) {
				t.Errorf("Reason holds a control or non-ASCII byte: %q", d.Reason)
			}
			if len(d.Reason) > 2048 {
				t.Errorf("Reason is %d bytes: claim text is repeated unclipped", len(d.Reason))
			}
		})
	}
}
