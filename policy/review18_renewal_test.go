package policy_test

import (
	"encoding/json"
	"testing"
	"testing/fstest"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/secrets"
)

// review18Rego allows a secret's issue but not its renewal, and a deploy
// only when the signer's environment is protected: both facts must reach
// the policy as input.
const review18Rego = `package test

import rego.v1

decision := {"allow": count(violations) == 0, "violations": violations}

violations contains {"rule": "no-renewal", "message": "renewal", "value": null} if {
	input.action == "secrets.release"
	input.secrets.renewal != false
}

violations contains {"rule": "unprotected-env", "message": "environment", "value": null} if {
	input.action == "deploy"
	some a in input.artifacts
	not a.signer.claims.environment_protected
}
`

func review18Engine(t *testing.T) *policy.Engine {
	t.Helper()
	e, err := policy.New(t.Context(), policy.FS(fstest.MapFS{"test/p.rego": {Data: []byte(review18Rego)}}),
		policy.WithQuery("data.test.decision"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// TestReview18SecretsRenewalInput: the broker asks the authorizer again
// when a lease is renewed (secrets.Request.Renewal), but SecretsAuthorizer
// built the same input for a renewal as for an issue, so a policy could
// not limit how long a job keeps a secret by refusing renewals, nor audit
// them apart. The input now carries input.secrets.renewal.
func TestReview18SecretsRenewalInput(t *testing.T) {
	t.Parallel()
	az := policy.SecretsAuthorizer(review18Engine(t))
	for _, renewal := range []bool{false, true} {
		d, err := az.Authorize(t.Context(), secrets.Request{Identity: identityFor("acme/app"), Name: "prod/db", LeaseID: "l1", Renewal: renewal})
		if err != nil {
			t.Fatal(err)
		}
		if d.Allow == renewal {
			t.Errorf("renewal=%v: allow=%v (%s), want the policy to tell a renewal from an issue", renewal, d.Allow, d.Reason)
		}
	}
	// The scalar is present for an issue too, so a comparison in Rego is
	// never silently undefined.
	b, err := json.Marshal(policy.SecretsInput(identityFor("acme/app"), "prod/db"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Secrets map[string]any }
	if err := json.Unmarshal(b, &doc); err != nil || doc.Secrets["renewal"] != false {
		t.Errorf("secrets input %s (%v): want renewal false", b, err)
	}
}

// TestReview18EnvironmentProtectedInput: a signer's identity claims
// include environment_protected, so a policy can tell GitLab's protected
// "production" from one any developer names.
func TestReview18EnvironmentProtectedInput(t *testing.T) {
	t.Parallel()
	e := review18Engine(t)
	for _, protected := range []bool{false, true} {
		in := policy.Input{Action: policy.ActionDeploy, Artifacts: []policy.Artifact{{Signer: policy.Signer{
			Claims: identity.Claims{Platform: "gitlab-ci", Repository: "acme/app", Environment: "production", EnvironmentProtected: protected},
		}}}}
		d, err := e.Evaluate(t.Context(), in)
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed != protected {
			t.Errorf("environment_protected=%v: allowed=%v %v", protected, d.Allowed, d.Violations)
		}
	}
}
