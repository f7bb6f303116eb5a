package policy_test

import (
	"context"
	"sync"
	"testing"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy"
)

const (
	ghIssuer  = "https://token.actions.githubusercontent.com"
	releaseWF = "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"
	slsaWF    = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v2.1.0"
	builderID = slsaWF
	appSource = "git+https://github.com/acme/app"
)

// acmeConfig configures the built-in library for acme/app.
func acmeConfig() policy.LibraryConfig {
	return policy.LibraryConfig{
		Deploy: policy.DeployConfig{
			Signers:            []policy.AllowedSigner{{SAN: releaseWF, Issuer: ghIssuer}},
			AttestationSigners: []policy.AllowedSigner{{SAN: slsaWF, Issuer: ghIssuer}},
			Builders:           []string{builderID},
			Sources:            []string{appSource},
		},
		Secrets: policy.SecretsConfig{Grants: []policy.SecretGrant{
			{Secret: "prod/*", Repositories: []string{"acme/app"}, Refs: []string{"refs/heads/main"}},
		}},
	}
}

// libraryConfig is acmeConfig as a data document (for policy.Data and
// `opa eval -d`).
func libraryConfig() map[string]any {
	cfg := acmeConfig()
	d, err := cfg.Data()
	if err != nil {
		panic(err)
	}
	return d
}

// deployInput is a realistic deploy request: one image with its signature,
// SLSA provenance and a clean scan, from a protected main branch.
func deployInput() policy.Input {
	return policy.Input{
		Action: policy.ActionDeploy,
		Job: policy.Job{
			ID:          ghIssuer + "#repo:acme/app:environment:production",
			Issuer:      ghIssuer,
			Subject:     "repo:acme/app:environment:production",
			Platform:    "github-actions",
			Repository:  "acme/app",
			Ref:         "refs/heads/main",
			Protected:   true,
			Commit:      "4f5a0c1d2e3f40516273849a0b1c2d3e4f506172",
			Workflow:    "release",
			WorkflowRef: "acme/app/.github/workflows/release.yml@refs/heads/main",
			Name:        "deploy",
			RunID:       "9001",
			Trigger:     "push",
			Actor:       "octocat",
			Runner:      "hosted",
			Environment: "production",
			Approvals:   []policy.Approval{{Name: "hold-production", By: "alice"}},
		},
		Artifacts: []policy.Artifact{{
			Name:     "ghcr.io/acme/app",
			Digest:   "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			Verified: true,
			Signer:   policy.Signer{SAN: releaseWF, Issuer: ghIssuer},
			Attestations: []policy.Attestation{
				{
					PredicateType: "https://slsa.dev/provenance/v1",
					Signer:        policy.Signer{SAN: slsaWF, Issuer: ghIssuer},
					Provenance: &policy.Provenance{
						BuilderID:        builderID,
						BuildType:        "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
						SourceRepository: appSource,
						SourceRef:        "refs/heads/main",
						SourceDigest:     "4f5a0c1d2e3f40516273849a0b1c2d3e4f506172",
						ExternalParameters: map[string]any{
							"workflow": map[string]any{"path": ".github/workflows/release.yml", "ref": "refs/heads/main", "repository": "https://github.com/acme/app"},
						},
					},
				},
				{
					PredicateType: "https://cosign.sigstore.dev/attestation/vuln/v1",
					Signer:        policy.Signer{SAN: releaseWF, Issuer: ghIssuer},
					Scan:          &policy.Scan{Scanner: "trivy 0.58", High: 1, Medium: 3, Findings: []policy.Finding{{ID: "CVE-2025-0001", Severity: "high", Package: "pkg:golang/golang.org/x/net@v0.1.0"}}},
				},
			},
		}},
	}
}

// newBuiltin returns an engine over the configured built-in library.
func newBuiltin(t testing.TB, opts ...policy.Option) *policy.Engine {
	t.Helper()
	return newConfigured(t, acmeConfig(), opts...)
}

// newConfigured returns an engine over the built-in library configured
// with cfg.
func newConfigured(t testing.TB, cfg policy.LibraryConfig, opts ...policy.Option) *policy.Engine {
	t.Helper()
	e, err := policy.New(context.Background(), policy.BuiltinWith(cfg), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// newDeployEngineWithSource returns an engine that accepts only source.
func newDeployEngineWithSource(t testing.TB, source string) *policy.Engine {
	t.Helper()
	cfg := acmeConfig()
	cfg.Deploy.Sources = []string{source}
	return newConfigured(t, cfg)
}

// recorder is an audit sink that keeps events.
type recorder struct {
	mu     sync.Mutex
	events []audit.Event
	err    error
}

func (r *recorder) Write(_ context.Context, e audit.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.events = append(r.events, e)
	return nil
}

func (r *recorder) all() []audit.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]audit.Event(nil), r.events...)
}

func rules(d policy.Decision) []string {
	var out []string
	for _, v := range d.Violations {
		out = append(out, v.Rule)
	}
	return out
}

func identityFor(repo string) identity.Identity {
	return identity.Identity{
		Issuer:  ghIssuer,
		Subject: "repo:" + repo + ":ref:refs/heads/main",
		Claims:  identity.Claims{Repository: repo, Ref: "refs/heads/main", RefProtected: true},
	}
}
