package gate_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/verify"
)

// TestReview23ArtifactSignerIgnoresRegistryOrder: attestations of one
// predicate type whose certificates share a SAN (a reusable workflow's,
// called from any repository; the claims name the caller) were ordered by
// type and SAN only, so the artifact's signer — the first one's, claims
// and issuer included — was whichever the registry listed first, which
// whoever pushes a referrer influences. The artifact, and its signer, must
// not depend on that order.
func TestReview23ArtifactSignerIgnoresRegistryOrder(t *testing.T) {
	t.Parallel()
	const san = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v2.0.0"
	result := func(issuer, repo, event string) *verify.Result {
		return &verify.Result{Statement: &attest.Statement{PredicateType: attest.PredicateSLSAProvenanceV1},
			Signer: verify.SignerInfo{SAN: san, Issuer: issuer, Claims: verify.Claims{SourceRepositoryURI: repo, BuildTrigger: event}}}
	}
	rs := []*verify.Result{
		result("https://token.actions.githubusercontent.com", "https://github.com/acme/app", "push"),
		result("https://token.actions.githubusercontent.com", "https://github.com/mallory/fork", "pull_request_target"),
		result("https://issuer.example", "https://github.com/acme/app", "push"),
	}
	digest := "sha256:" + strings.Repeat("a", 64)
	want := gate.Artifact("registry.example/acme/app", digest, true, rs...)
	for _, order := range [][]int{{1, 0, 2}, {2, 1, 0}, {0, 2, 1}, {2, 0, 1}, {1, 2, 0}} {
		got := gate.Artifact("registry.example/acme/app", digest, true, rs[order[0]], rs[order[1]], rs[order[2]])
		if !reflect.DeepEqual(got.Signer, want.Signer) {
			t.Fatalf("order %v: artifact signer %+v, in the registry's first order %+v", order, got.Signer, want.Signer)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("order %v: artifact %+v, in the registry's first order %+v", order, got, want)
		}
	}
}
