package policy_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/secrets"
)

// TestSecretsAuthorizer: the release follows Decision.Allowed; an allow
// with violations outside Warn and DryRun (an Evaluator breaking the
// Decision contract) is a deny, and a warn-mode release says the policy
// would have denied it.
func TestSecretsAuthorizer(t *testing.T) {
	t.Parallel()
	viol := []policy.Violation{{Rule: "secrets.not_granted", Message: "no"}}
	for _, tc := range []struct {
		name   string
		d      policy.Decision
		allow  bool
		reason string
	}{
		{name: "allow", d: policy.Decision{Allowed: true, PolicyAllowed: true, Mode: policy.Enforce}, allow: true, reason: "allowed by policy"},
		{name: "deny", d: policy.Decision{Violations: viol, Mode: policy.Enforce}, reason: "denied by policy: secrets.not_granted"},
		{name: "allow with violations in enforce", d: policy.Decision{Allowed: true, Violations: viol, Mode: policy.Enforce}, reason: "denied by policy"},
		{name: "allow with violations and no mode", d: policy.Decision{Allowed: true, PolicyAllowed: true, Violations: viol}, reason: "denied by policy"},
		{name: "warn", d: policy.Decision{Allowed: true, Violations: viol, Mode: policy.Warn}, allow: true, reason: "allowed in warn mode; the policy would deny: secrets.not_granted"},
		{name: "dry-run without violations", d: policy.Decision{Allowed: true, Mode: policy.DryRun}, allow: true, reason: "allowed in dry-run mode; the policy would deny"},
	} {
		az := policy.SecretsAuthorizer(policy.EvaluatorFunc(func(context.Context, policy.Input) (policy.Decision, error) { return tc.d, nil }))
		got, err := az.Authorize(t.Context(), secrets.Request{Identity: identityFor("acme/app"), Name: "prod/db"})
		if err != nil || got.Allow != tc.allow || !strings.HasPrefix(got.Reason, tc.reason) {
			t.Errorf("%s: got %+v, %v; want allow=%v reason %q", tc.name, got, err, tc.allow, tc.reason)
		}
	}
	// Through a real engine in warn mode.
	e := newBuiltin(t, policy.WithMode(policy.Warn))
	got, err := policy.SecretsAuthorizer(e).Authorize(t.Context(), secrets.Request{Identity: identityFor("acme/other"), Name: "prod/db"})
	if err != nil || !got.Allow || !strings.HasPrefix(got.Reason, "allowed in warn mode; the policy would deny: ") {
		t.Fatalf("warn: %+v, %v", got, err)
	}
}
