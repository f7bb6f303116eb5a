package policy_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/secrets"
)

// TestSecretsAuthorizerPolicyDenied: outside Warn and DryRun a Decision's
// Allowed may not differ from PolicyAllowed. An Evaluator that is not an
// Engine and reports Allowed while the policy did not allow (in Enforce
// mode, or with no or an unknown mode) breaks the Decision contract, and
// the release is denied, as an allow with violations is: the verdict the
// broker acts on must be one the policy gave.
func TestSecretsAuthorizerPolicyDenied(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		d     policy.Decision
		allow bool
	}{
		"enforce, policy denied":      {d: policy.Decision{Allowed: true, Mode: policy.Enforce}},
		"no mode, policy denied":      {d: policy.Decision{Allowed: true}},
		"unknown mode, policy denied": {d: policy.Decision{Allowed: true, Mode: "WARN"}},
		"enforce, policy allowed":     {d: policy.Decision{Allowed: true, PolicyAllowed: true, Mode: policy.Enforce}, allow: true},
		"warn, policy denied":         {d: policy.Decision{Allowed: true, Mode: policy.Warn}, allow: true},
		"not allowed, policy allowed": {d: policy.Decision{PolicyAllowed: true, Mode: policy.Enforce}},
	} {
		az := policy.SecretsAuthorizer(policy.EvaluatorFunc(func(context.Context, policy.Input) (policy.Decision, error) { return tc.d, nil }))
		got, err := az.Authorize(t.Context(), secrets.Request{Identity: identityFor("acme/app"), Name: "prod/db"})
		if err != nil || got.Allow != tc.allow {
			t.Errorf("%s: got %+v, %v; want allow=%v", name, got, err, tc.allow)
		}
		if !tc.allow && !strings.HasPrefix(got.Reason, "denied by policy") {
			t.Errorf("%s: reason %q", name, got.Reason)
		}
	}
}
