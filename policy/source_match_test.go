package policy_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/verify"
)

// repoVariants are spellings of source repositories: the same repository
// with and without scheme, "git+", trailing "/" and ".git", and other
// hosts, owners and names that must never match it.
var repoVariants = []string{
	"git+https://github.com/acme/app", "https://github.com/acme/app", "github.com/acme/app",
	"http://github.com/acme/app", "git+ssh://github.com/acme/app", "https://github.com/acme/app/",
	"https://github.com/acme/app.git", "git+https://github.com/acme/app.git/",
	"https://gitlab.com/acme/app", "github.com/evil/app", "github.com/acme/app2", "github.com/Acme/app",
	"https://github.com.evil.example/acme/app", "https://evil.example/github.com/acme/app",
	"github.com/acme/app/sub", "github.com/acme", "acme/app", "git+git+https://github.com/acme/app",
	"https://user@github.com/acme/app", "github.com/acme/app.git.git", "ssh://git@github.com:acme/app",
}

// TestSourceRepositoryMatchesVerify: the built-in deploy policy accepts a
// provenance source exactly when verify.CheckProvenance does, for every
// pair of spellings — one matching rule for source repositories.
func TestSourceRepositoryMatchesVerify(t *testing.T) {
	t.Parallel()
	for _, want := range repoVariants {
		e := newDeployEngineWithSource(t, want)
		for _, got := range repoVariants {
			_, verr := verify.CheckProvenance(provenanceStatement(t, got), verify.Provenance{BuilderID: builderID, SourceRepository: want})
			var mm *verify.ProvenanceMismatchError
			if verr != nil && !errors.As(verr, &mm) {
				t.Fatalf("verify %q vs %q: %v", want, got, verr)
			}
			in := deployInput()
			in.Artifacts[0].Attestations[0].Provenance.SourceRepository = got
			d, err := e.Evaluate(t.Context(), in)
			if err != nil {
				t.Fatal(err)
			}
			policyMatch := !contains(rules(d), "deploy.source_not_allowed")
			if verifyMatch := verr == nil; policyMatch != verifyMatch {
				t.Errorf("config %q, provenance %q: policy match %v, verify match %v", want, got, policyMatch, verifyMatch)
			}
		}
	}
}

func contains(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}

func provenanceStatement(t *testing.T, repo string) *attest.Statement {
	t.Helper()
	pred, err := json.Marshal(map[string]any{
		"buildDefinition": map[string]any{
			"buildType":          "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
			"externalParameters": map[string]any{"workflow": map[string]any{"repository": repo, "ref": "refs/heads/main", "path": ".github/workflows/release.yml"}},
		},
		"runDetails": map[string]any{"builder": map[string]any{"id": builderID}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &attest.Statement{
		Type:          attest.StatementTypeV1,
		Subject:       []attest.ResourceDescriptor{{Name: "app", Digest: map[string]string{"sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}}},
		PredicateType: "https://slsa.dev/provenance/v1",
		Predicate:     pred,
	}
}
