package github_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/github"
)

// The npm provenance of sigstore-js 2.1.0, made by actions/attest on the
// public-good instance, verified offline as
// `gh attestation verify sigstore-js-2.1.0.tgz --repo sigstore/sigstore-js
// --source-ref refs/heads/main --deny-self-hosted-runners` would; then the
// same bundle under a policy pinning another branch.
func ExampleVerifier_Verify() {
	v, err := github.New(github.Policy{
		Repo:                  "sigstore/sigstore-js",
		SourceRef:             "refs/heads/main",
		DenySelfHostedRunners: true,
	})
	if err != nil {
		panic(err)
	}
	bundleJSON, _ := os.ReadFile("testdata/sigstore-js-2.1.0-bundle.json")
	artifact, _ := os.ReadFile("testdata/sigstore-js-2.1.0.tgz")

	res, err := v.Verify(context.Background(), bundleJSON, verify.ArtifactBytes(artifact))
	if err != nil {
		fmt.Println("denied:", err)
		return
	}
	fmt.Println("instance: ", res.Instance)
	fmt.Println("signer:   ", res.Signer.SAN)
	fmt.Println("runner:   ", res.Signer.Claims.RunnerEnvironment)
	fmt.Println("predicate:", res.Statement.PredicateType)
	fmt.Println("signed at:", res.Times[0].Time, "by", res.Times[0].By)

	release, _ := github.New(github.Policy{Repo: "sigstore/sigstore-js", SourceRef: "refs/heads/release"})
	_, err = release.Verify(context.Background(), bundleJSON, verify.ArtifactBytes(artifact))
	var mismatch *verify.IdentityMismatchError
	if errors.As(err, &mismatch) {
		fmt.Printf("denied: %s is %q, want %q\n", mismatch.Field, mismatch.Got, mismatch.Want)
	}
	// Output:
	// instance:  public-good
	// signer:    https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main
	// runner:    github-hosted
	// predicate: https://slsa.dev/provenance/v1
	// signed at: 2023-08-29 15:40:23 +0000 UTC by tlog
	// denied: sourceRepositoryRef is "refs/heads/main", want "refs/heads/release"
}

// Attestations as `gh attestation download` writes them (JSON Lines), for
// a private repository's artifact: signed under GitHub's own Fulcio, its
// time proven by GitHub's timestamp authority.
func ExampleVerifier_VerifyAll() {
	jsonl, _ := os.ReadFile("testdata/github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl")
	artifact, _ := os.ReadFile("testdata/github_provenance_demo-0.0.12-py3-none-any.whl")

	bundles, err := github.ParseBundles(bytes.NewReader(jsonl))
	if err != nil {
		panic(err)
	}
	v, err := github.New(github.Policy{
		Owner:          "actions",
		SignerWorkflow: "actions/attest-demo/.github/workflows/build-python.yml",
	})
	if err != nil {
		panic(err)
	}
	results, err := v.VerifyAll(context.Background(), bundles, verify.ArtifactBytes(artifact))
	if err != nil {
		fmt.Println("denied:", err)
		return
	}
	for _, r := range results {
		fmt.Println(r.Instance, r.Signer.Claims.SourceRepositoryURI, r.Signer.Claims.SourceRepositoryVisibilityAtSigning)
		fmt.Println(r.Times[0].By, r.Times[0].URI, r.Times[0].Time)
	}
	// Output:
	// github https://github.com/actions/attest-demo private
	// tsa timestamp.githubapp.com 2024-04-22 17:33:26 +0000 UTC
}

// Every Verify is audited once: here a bundle that verifies, the same
// bundle under a policy pinning another commit (refused by the Policy
// after verify accepted it: a failure, not a success) and a bundle that
// is not one (refused before verify).
func ExampleWithAudit() {
	rec := audittest.NewRecorder()
	v, err := github.New(github.Policy{Repo: "sigstore/sigstore-js"}, github.WithAudit(rec, "deploy-gate"))
	if err != nil {
		panic(err)
	}
	other, err := github.New(github.Policy{Repo: "sigstore/sigstore-js", SourceDigest: "0000000000000000000000000000000000000000"},
		github.WithAudit(rec, "deploy-gate"))
	if err != nil {
		panic(err)
	}
	bundleJSON, _ := os.ReadFile("testdata/sigstore-js-2.1.0-bundle.json")
	artifact, _ := os.ReadFile("testdata/sigstore-js-2.1.0.tgz")

	_, _ = v.Verify(context.Background(), bundleJSON, verify.ArtifactBytes(artifact))
	_, _ = other.Verify(context.Background(), bundleJSON, verify.ArtifactBytes(artifact))
	_, _ = v.Verify(context.Background(), []byte("{}"), verify.ArtifactBytes(artifact))
	for _, ev := range rec.Events() {
		line := ev.Action + " " + string(ev.Outcome)
		if c := ev.Attributes["category"]; c != "" {
			line += " " + c
		}
		fmt.Println(line)
	}
	// Output:
	// verify.bundle success
	// verify.bundle failure identity_mismatch
	// verify.bundle failure malformed_bundle
}
