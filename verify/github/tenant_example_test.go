package github_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/github"
)

// A policy for the GitHub Enterprise Cloud tenant octo.ghe.com, as
// `gh attestation verify --hostname octo.ghe.com --repo octo-org/octo-repo`
// checks it: the owner, repository and workflow URIs are on
// https://octo.ghe.com and the issuer is https://token.actions.octo.ghe.com.
// The tenant's root is given: here a stand-in Fulcio (attest/ca) and TSA
// made in place, where a deployment gives the tenant's real trusted root
// (gh attestation trusted-root --hostname octo.ghe.com). The same
// attestation is then refused by a github.com policy for the same
// repository.
func ExampleVerifier_Verify_ghe() {
	ctx := context.Background()
	fulcio, _ := ca.New(ca.WithSubjectDomain(github.TenantOIDCIssuer("octo"), "https://octo.ghe.com"), ca.WithServerURL(github.TenantOIDCIssuer("octo"), "https://octo.ghe.com"))
	stamps, _ := tsa.New()
	rootJSON, _ := attest.NewTrustedRoot().AddEmbeddedCA("https://fulcio.octo.ghe.com", fulcio).
		AddEmbeddedTSA("https://timestamp.octo.ghe.com", stamps).MarshalJSON()
	tenantRoot, _ := verify.ParseTrustedRoot(rootJSON)

	// What actions/attest signs in a workflow run on the tenant.
	artifact := []byte("app binary")
	job := identity.Identity{
		Issuer:  "https://token.actions.octo.ghe.com",
		Subject: "https://octo.ghe.com/octo-org/octo-repo/.github/workflows/build.yml@refs/heads/main",
		Claims: identity.Claims{Repository: "octo-org/octo-repo", Ref: "refs/heads/main", Commit: strings.Repeat("c", 40),
			WorkflowRef: "octo-org/octo-repo/.github/workflows/build.yml@refs/heads/main", Event: "push", Runner: "github-hosted"},
	}
	signer, _ := attest.NewCASigner(fulcio.IssuerFor(job), attest.WithEmbeddedTimestampAuthority(stamps.Handler()))
	subject, _ := attest.SubjectFromReader(ctx, "app", strings.NewReader(string(artifact)))
	statement, _ := attest.NewStatement([]attest.ResourceDescriptor{subject}, &attest.Provenance{
		BuildDefinition: attest.BuildDefinition{BuildType: "https://actions.github.io/buildtypes/workflow/v1", ExternalParameters: map[string]any{}},
		RunDetails:      attest.RunDetails{Builder: attest.Builder{ID: "https://octo.ghe.com/actions/runner/github-hosted"}},
	})
	bundle, err := attest.Sign(ctx, signer, statement)
	if err != nil {
		panic(err)
	}

	v, err := github.New(github.Policy{
		Host:                  "octo.ghe.com",
		Repo:                  "octo-org/octo-repo",
		SourceRef:             "refs/heads/main",
		DenySelfHostedRunners: true,
	}, github.WithGitHubRoot(tenantRoot))
	if err != nil {
		panic(err)
	}
	res, err := v.Verify(ctx, bundle, verify.ArtifactBytes(artifact))
	if err != nil {
		fmt.Println("denied:", err)
		return
	}
	fmt.Println("instance:", res.Instance)
	fmt.Println("issuer:  ", res.Signer.Issuer)
	fmt.Println("signer:  ", res.Signer.SAN)
	fmt.Println("owner:   ", res.Signer.Claims.SourceRepositoryOwnerURI)
	fmt.Println("time by: ", res.Times[0].By)

	dotcom, err := github.New(github.Policy{Repo: "octo-org/octo-repo"}, github.WithGitHubRoot(tenantRoot))
	if err != nil {
		panic(err)
	}
	_, err = dotcom.Verify(ctx, bundle, verify.ArtifactBytes(artifact))
	var mismatch *verify.IdentityMismatchError
	if errors.As(err, &mismatch) {
		fmt.Printf("github.com policy: denied, %s is %q\n", mismatch.Field, mismatch.Got)
	}
	// Output:
	// instance: github
	// issuer:   https://token.actions.octo.ghe.com
	// signer:   https://octo.ghe.com/octo-org/octo-repo/.github/workflows/build.yml@refs/heads/main
	// owner:    https://octo.ghe.com/octo-org
	// time by:  tsa
	// github.com policy: denied, san is "https://octo.ghe.com/octo-org/octo-repo/.github/workflows/build.yml@refs/heads/main"
}

// The GitHub TUF target holding a tenant's trusted root, from the trust
// domain the tenant's API reports (gh: GET /meta,
// domains.artifact_attestations.trust_domain); a name that could reach
// another target is refused. Open it with
// tuf.Open(ctx, github.GitHubTUFMirror, github.GitHubTUFRoot(), cacheDir, tuf.WithTarget(target)).
func ExampleTenantTrustedRootTarget() {
	target, err := github.TenantTrustedRootTarget("octo")
	fmt.Println(target, err)
	_, err = github.TenantTrustedRootTarget("../octo")
	fmt.Println(errors.Is(err, verify.ErrConfig))
	// Output:
	// octo.trusted_root.json <nil>
	// true
}
