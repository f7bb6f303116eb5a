package policy_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing/fstest"

	"github.com/ztci/ztci/policy"
)

// The built-in deploy gate denies an artifact signed by an identity that is
// not allowed, deployed from an unprotected branch, and says why.
func Example() {
	ctx := context.Background()
	config := policy.LibraryConfig{Deploy: policy.DeployConfig{
		Signers:  []policy.AllowedSigner{{SAN: "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main", Issuer: "https://token.actions.githubusercontent.com"}},
		Builders: []string{"https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"},
		Sources:  []string{"github.com/acme/app"}, // matches git+https://github.com/acme/app, as verify does
	}}
	eval, err := policy.New(ctx, policy.BuiltinWith(config))
	if err != nil {
		panic(err)
	}
	defer eval.Close()

	signer := policy.Signer{SAN: "https://github.com/mallory/fork/.github/workflows/release.yml@refs/heads/main", Issuer: "https://token.actions.githubusercontent.com"}
	d, err := eval.Evaluate(ctx, policy.Input{
		Action: policy.ActionDeploy,
		Job:    policy.Job{ID: "https://token.actions.githubusercontent.com#repo:acme/app:ref:refs/heads/feature", Repository: "acme/app", Ref: "refs/heads/feature"},
		Artifacts: []policy.Artifact{{
			Name: "ghcr.io/acme/app", Digest: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Verified: true,
			Signer: signer,
			Attestations: []policy.Attestation{{
				PredicateType: "https://slsa.dev/provenance/v1",
				Signer:        signer,
				Provenance:    &policy.Provenance{BuilderID: "https://github.com/mallory/fork/.github/workflows/release.yml@refs/heads/main", SourceRepository: "git+https://github.com/mallory/fork"},
			}},
		}},
	})
	if err != nil {
		fmt.Println("could not decide, deny:", err)
		return
	}
	fmt.Println("allowed:", d.Allowed)
	for _, v := range d.Violations {
		fmt.Println(v.Rule)
	}
	// Output:
	// allowed: false
	// deploy.provenance_missing
	// deploy.signer_not_allowed
	// deploy.unprotected_ref
}

// A policy of your own, from an fs.FS (an embed.FS in real code), with its
// own decision rule.
func ExampleNew() {
	policies := fstest.MapFS{
		"acme/gate.rego": {Data: []byte(`package acme.gate

violations contains {"rule": "acme.repo", "message": sprintf("repository %q may not deploy", [input.job.repository]), "value": input.job.repository} if {
	not input.job.repository in data.acme.repos
}

decision := {"allow": count(violations) == 0, "violations": violations}`)},
		"acme/data.json": {Data: []byte(`{"repos": ["acme/app"]}`)},
	}
	eval, err := policy.New(context.Background(), policy.FS(policies), policy.WithQuery("data.acme.gate.decision"))
	if err != nil {
		panic(err)
	}
	defer eval.Close()
	d, err := eval.Evaluate(context.Background(), policy.Input{Job: policy.Job{Repository: "evil/app"}})
	if err != nil {
		fmt.Println("could not decide, deny:", err)
		return
	}
	fmt.Println(d.Allowed, d.Violations[0])
	// Output: false acme.repo: repository "evil/app" may not deploy
}

// Warn mode allows but reports what enforce mode would deny: for rolling
// out a new deploy rule while watching what it would refuse. Warn and
// DryRun release what they report, so an engine in either mode must never
// authorize secrets (policy.SecretsAuthorizer) or stand as the only gate.
func ExampleWithMode() {
	eval, err := policy.New(context.Background(),
		policy.Merge(policy.Builtin(), policy.Data(map[string]any{})),
		policy.WithMode(policy.Warn))
	if err != nil {
		panic(err)
	}
	defer eval.Close()
	d, err := eval.Evaluate(context.Background(), policy.Input{
		Action:    policy.ActionDeploy,
		Job:       policy.Job{Repository: "acme/app", Ref: "refs/heads/main", Protected: true},
		Artifacts: []policy.Artifact{{Name: "ghcr.io/acme/app", Digest: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}},
	})
	if err != nil {
		fmt.Println("could not decide, deny:", err)
		return
	}
	fmt.Println(d.Allowed, d.PolicyAllowed, d.Violations[0].Rule)
	// Output: true false deploy.unverified
}

// A policy that does not compile is an error, never an empty policy.
func ExampleCompileError() {
	_, err := policy.New(context.Background(), policy.FS(fstest.MapFS{"p.rego": {Data: []byte("package p\ndecision := {")}}))
	var ce *policy.CompileError
	fmt.Println(errors.Is(err, policy.ErrLoad), errors.As(err, &ce))
	// Output: true true
}

// Decision requests that arrive as JSON are decoded strictly: one object,
// no unknown fields, no duplicate keys.
func ExampleDecodeInput() {
	_, err := policy.DecodeInput(strings.NewReader(`{"action": "deploy", "job": {"ref": "refs/heads/main", "ref": "refs/heads/evil"}}`))
	fmt.Println(errors.Is(err, policy.ErrInvalidInput))
	in, err := policy.DecodeInput(strings.NewReader(`{"action": "secrets.release", "job": {"id": "spiffe://acme.example/ci/deploy"}, "secrets": {"names": ["prod/db-password"]}}`))
	fmt.Println(in.Action, in.Job.ID, in.Secrets.Names, err)
	// Output:
	// true
	// secrets.release spiffe://acme.example/ci/deploy [prod/db-password] <nil>
}

// A broken update is reported and the last good policy stays in force.
func ExampleEngine_Reload() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "policy")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	write := func(rego string) {
		if err := os.WriteFile(filepath.Join(dir, "gate.rego"), []byte(rego), 0o600); err != nil {
			panic(err)
		}
	}

	write(`package gate
decision := {"allow": true, "violations": []}`)
	eval, err := policy.New(ctx, policy.Dir(dir), policy.WithQuery("data.gate.decision"))
	if err != nil {
		panic(err)
	}
	defer eval.Close()

	write("package gate\ndecision := {") // a broken update
	err = eval.Reload(ctx)
	d, evalErr := eval.Evaluate(ctx, policy.Input{})
	fmt.Println(errors.Is(err, policy.ErrCompile), d.Allowed, evalErr)
	// Output: true true <nil>
}

// A Decision prints its verdict, mode, revision and the rules that fired.
func ExampleDecision_String() {
	d := policy.Decision{Mode: policy.Enforce, Revision: "r1", Violations: []policy.Violation{
		{Rule: "deploy.unverified"}, {Rule: "deploy.provenance_missing"}}}
	fmt.Println(d)
	fmt.Println(policy.Decision{Allowed: true, Mode: policy.Enforce, Revision: "r1"})
	// Output:
	// deny mode=enforce rev=r1 violations=[deploy.unverified, deploy.provenance_missing]
	// allow mode=enforce rev=r1
}

// A configuration written by hand, as an OPA bundle's data.json, that the
// built-in library cannot read as written is refused when the engine
// loads it: the rules would otherwise read their defaults in its place.
func ExampleConfigError() {
	doc := map[string]any{"ztci": map[string]any{"config": map[string]any{
		"deploy": map[string]any{"max_critical": "0", "max_criticals": 0},
	}}}
	_, err := policy.New(context.Background(), policy.Merge(policy.Builtin(), policy.Data(doc)))
	var ce *policy.ConfigError
	if errors.As(err, &ce) {
		for _, p := range ce.Problems {
			fmt.Println(p)
		}
	}
	fmt.Println(errors.Is(err, policy.ErrInvalidConfig))
	// Output:
	// deploy.max_critical: not a whole number at least 0
	// deploy.max_criticals: not a member the library reads
	// true
}
