package policy_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/ztci/ztci/policy"
)

func TestLibraryConfigValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(*policy.LibraryConfig)
		ok   bool
	}{
		{name: "zero value", edit: func(*policy.LibraryConfig) {}, ok: true},
		{name: "acme", edit: func(c *policy.LibraryConfig) { *c = acmeConfig() }, ok: true},
		{name: "signer without issuer", edit: func(c *policy.LibraryConfig) { c.Deploy.Signers = []policy.AllowedSigner{{SAN: releaseWF}} }},
		{name: "attestation signer without SAN", edit: func(c *policy.LibraryConfig) {
			c.Deploy.AttestationSigners = []policy.AllowedSigner{{Issuer: ghIssuer}}
		}},
		{name: "empty builder", edit: func(c *policy.LibraryConfig) { c.Deploy.Builders = []string{""} }},
		{name: "source naming nothing", edit: func(c *policy.LibraryConfig) { c.Deploy.Sources = []string{"git+https://"} }},
		{name: "negative max critical", edit: func(c *policy.LibraryConfig) { c.Deploy.MaxCritical = -1 }},
		{name: "negative max scan age", edit: func(c *policy.LibraryConfig) { c.Deploy.MaxScanAge = -time.Hour }},
		// 500ms would be written as 0 whole seconds: the rule off.
		{name: "max scan age under a second", edit: func(c *policy.LibraryConfig) { c.Deploy.MaxScanAge = 500 * time.Millisecond }},
		{name: "max scan age of a second", edit: func(c *policy.LibraryConfig) { c.Deploy.MaxScanAge = time.Second }, ok: true},
		{name: "deny severity not a level", edit: func(c *policy.LibraryConfig) { c.Deploy.DenySeverity = "HIGH" }},
		{name: "vex signer without issuer", edit: func(c *policy.LibraryConfig) { c.Deploy.VEXSigners = []policy.AllowedSigner{{SAN: "x"}} }},
		{name: "empty production environments", edit: func(c *policy.LibraryConfig) { c.Pipeline.ProductionEnvironments = []string{} }},
		// Compared exactly: a pattern would cover only a job environment
		// spelled as the pattern, not "production-eu".
		{name: "production environment pattern", edit: func(c *policy.LibraryConfig) { c.Pipeline.ProductionEnvironments = []string{"production-*"} }},
		{name: "production environment not ASCII", edit: func(c *policy.LibraryConfig) { c.Pipeline.ProductionEnvironments = []string{"Produktion-\u00e4"} }},
		{name: "plain production environments", edit: func(c *policy.LibraryConfig) {
			c.Pipeline.ProductionEnvironments = []string{"production", " Production/EU:1 ", "prod_2.us-east"}
		}, ok: true},
		{name: "empty image prefix allows all", edit: func(c *policy.LibraryConfig) { c.Pipeline.AllowedImages = []string{""} }},
		{name: "grant without refs", edit: func(c *policy.LibraryConfig) {
			c.Secrets.Grants = []policy.SecretGrant{{Secret: "x", Repositories: []string{"acme/app"}}}
		}},
		// An environment left empty (an unset variable) would extend the
		// grant to every job that names no environment.
		{name: "grant for an empty environment", edit: func(c *policy.LibraryConfig) {
			c.Secrets.Grants = []policy.SecretGrant{{Secret: "x", Repositories: []string{"acme/app"}, Refs: []string{"refs/heads/main"}, Environments: []string{""}}}
		}},
		{name: "grant for an empty identity id", edit: func(c *policy.LibraryConfig) {
			c.Secrets.Grants = []policy.SecretGrant{{Secret: "x", Repositories: []string{"acme/app"}, Refs: []string{"refs/heads/main"}, IDs: []string{""}}}
		}},
		// A glob that does not compile fails every decision reaching it
		// as an evaluation error; it is a configuration error.
		{name: "grant secret glob unclosed", edit: func(c *policy.LibraryConfig) {
			c.Secrets.Grants = []policy.SecretGrant{{Secret: "prod/[", Repositories: []string{"acme/app"}, Refs: []string{"refs/heads/main"}}}
		}},
		{name: "grant ref glob unclosed", edit: func(c *policy.LibraryConfig) {
			c.Secrets.Grants = []policy.SecretGrant{{Secret: "prod/*", Repositories: []string{"acme/app"}, Refs: []string{"refs/heads/{main"}}}
		}},
		{name: "grant globs", edit: func(c *policy.LibraryConfig) {
			c.Secrets.Grants = []policy.SecretGrant{{Secret: "prod/{db,api}-*", Repositories: []string{"acme/app"}, Refs: []string{"refs/tags/v[0-9]*"}}}
		}, ok: true},
		{name: "production secret glob unclosed", edit: func(c *policy.LibraryConfig) { c.Deploy.ProductionSecrets = []string{"prod/{a"} }},
		{name: "empty allowed kind", edit: func(c *policy.LibraryConfig) { c.Kubernetes.AllowedKinds = []string{""} }},
		{name: "empty allowed type", edit: func(c *policy.LibraryConfig) { c.Terraform.AllowedTypes = []string{""} }},
		{name: "empty untrusted trigger", edit: func(c *policy.LibraryConfig) { c.UntrustedTriggers = []string{""} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var c policy.LibraryConfig
			tc.edit(&c)
			err := c.Validate()
			if tc.ok != (err == nil) || (err != nil && !errors.Is(err, policy.ErrInvalidConfig)) {
				t.Fatalf("Validate: %v", err)
			}
			_, err = policy.New(t.Context(), policy.BuiltinWith(c))
			if tc.ok != (err == nil) || (err != nil && (!errors.Is(err, policy.ErrInvalidConfig) || !errors.Is(err, policy.ErrLoad))) {
				t.Fatalf("New: %v", err)
			}
		})
	}
}

// TestLibraryConfigZeroDenies: the zero config allows no deploy and no
// secret release.
func TestLibraryConfigZeroDenies(t *testing.T) {
	t.Parallel()
	e := newConfigured(t, policy.LibraryConfig{})
	for _, in := range []policy.Input{deployInput(), policy.SecretsInput(identityFor("acme/app"), "prod/db")} {
		d, err := e.Evaluate(t.Context(), in)
		if err != nil || d.Allowed {
			t.Fatalf("%s: %v %v", in.Action, d, err)
		}
	}
}

// TestLibraryConfigMatchesMapConfig: BuiltinWith(typed) decides as the
// map document it replaces, Merge(Builtin(), Data(map)), on every input.
func TestLibraryConfigMatchesMapConfig(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	old, err := policy.New(ctx, policy.Merge(policy.Builtin(), policy.Data(map[string]any{"ztci": map[string]any{"config": map[string]any{
		"deploy": map[string]any{
			"signers":             []any{map[string]any{"san": releaseWF, "issuer": ghIssuer}},
			"attestation_signers": []any{map[string]any{"san": slsaWF, "issuer": ghIssuer}},
			"builders":            []any{builderID},
			"sources":             []any{appSource},
		},
		"secrets": map[string]any{"grants": []any{map[string]any{
			"secret": "prod/*", "repositories": []any{"acme/app"}, "refs": []any{"refs/heads/main"},
		}}},
	}}})))
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	typed := newBuiltin(t)

	unprotected := deployInput()
	unprotected.Job.Protected = false
	critical := deployInput()
	critical.Artifacts[0].Attestations[1].Scan.Critical = 1
	otherSource := deployInput()
	otherSource.Artifacts[0].Attestations[0].Provenance.SourceRepository = "git+https://github.com/evil/app"
	for _, in := range []policy.Input{
		deployInput(), unprotected, critical, otherSource,
		policy.SecretsInput(identityFor("acme/app"), "prod/db"),
		policy.SecretsInput(identityFor("acme/app"), "dev/db"),
		policy.SecretsInput(identityFor("evil/app"), "prod/db"),
	} {
		a, err := old.Evaluate(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		b, err := typed.Evaluate(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if a.Allowed != b.Allowed || !slices.Equal(rules(a), rules(b)) {
			t.Errorf("%s: map config %v %v, typed %v %v", in.Action, a.Allowed, rules(a), b.Allowed, rules(b))
		}
	}
}

// TestLibraryConfigDefaults: fields at their zero value leave the rule
// set's default in force; nil and non-nil empty lists differ where the
// field says so.
func TestLibraryConfigDefaults(t *testing.T) {
	t.Parallel()
	c := policy.LibraryConfig{Secrets: policy.SecretsConfig{Grants: []policy.SecretGrant{
		{Secret: "a", Repositories: []string{"r"}, Refs: []string{"x"}},
		{Secret: "b", Repositories: []string{"r"}, Refs: []string{"x"}, Environments: []string{}, IDs: []string{"id"}, AllowUnprotected: true},
	}}}
	d, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	cfg := d["ztci"].(map[string]any)["config"].(map[string]any)
	deploy := cfg["deploy"].(map[string]any)
	if deploy["require_protected_ref"] != true || deploy["require_scan"] != false || deploy["max_critical"] != 0 {
		t.Errorf("deploy defaults: %v", deploy)
	}
	if _, ok := deploy["source_refs"]; ok {
		t.Error("nil SourceRefs must leave source_refs unset (any ref)")
	}
	pipeline := cfg["pipeline"].(map[string]any)
	for _, k := range []string{"production_environments", "protected_branches"} {
		if _, ok := pipeline[k]; ok {
			t.Errorf("nil %s must leave the default in force", k)
		}
	}
	grants := cfg["secrets"].(map[string]any)["grants"].([]any)
	want := []any{
		map[string]any{"secret": "a", "repositories": []any{"r"}, "refs": []any{"x"}, "protected": true},
		map[string]any{"secret": "b", "repositories": []any{"r"}, "refs": []any{"x"}, "protected": false, "environments": []any{}, "ids": []any{"id"}},
	}
	if !reflect.DeepEqual(grants, want) {
		t.Errorf("grants:\n got %v\nwant %v", grants, want)
	}
	if _, ok := cfg["untrusted_triggers"]; ok {
		t.Error("nil UntrustedTriggers must leave the default (pull_request_target, workflow_run, ssh-rerun) in force")
	}
	c.UntrustedTriggers = []string{}
	if d, err = c.Data(); err != nil {
		t.Fatal(err)
	}
	if got := d["ztci"].(map[string]any)["config"].(map[string]any)["untrusted_triggers"]; !reflect.DeepEqual(got, []any{}) {
		t.Errorf("empty UntrustedTriggers wrote %v, want [] (every trigger trusted)", got)
	}
}
