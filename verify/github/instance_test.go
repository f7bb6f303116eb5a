package github_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/github"
)

// TestInstanceRouting: a bundle is verified against the root whose CA
// issued its certificate, and refused when that instance is not trusted.
func TestInstanceRouting(t *testing.T) {
	t.Parallel()
	pub, pubArt := vectors[0].load(t)
	priv, privArt := vectors[3].load(t)
	pg, err := verify.PublicGood()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		policy github.Policy
		opts   []github.Option
		bundle []byte
		art    verify.Artifact
		want   error // nil: verifies
	}{
		{"github bundle without public good", vectors[3].policy, []github.Option{github.WithoutPublicGood()}, priv, privArt, nil},
		{"public bundle without public good", vectors[0].policy, []github.Option{github.WithoutPublicGood()}, pub, pubArt, github.ErrUnknownInstance},
		// The public-good root given as GitHub's too: its CAs then issue
		// for both instances, which is refused rather than guessed.
		{"roots overlap", vectors[0].policy, []github.Option{github.WithGitHubRoot(pg)}, pub, pubArt, github.ErrUnknownInstance},
		// GitHub's root given as the public-good one: the GitHub bundle
		// is refused (it cannot meet both instances' CAs).
		{"github root as public good", vectors[3].policy, []github.Option{mustGitHubRoot(t)}, priv, privArt, github.ErrUnknownInstance},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := github.New(tc.policy, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			res, err := v.Verify(t.Context(), tc.bundle, tc.art)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if res.Instance != github.InstanceGitHub {
					t.Fatalf("instance %q", res.Instance)
				}
				return
			}
			if !errors.Is(err, tc.want) || !errors.Is(err, verify.ErrUntrustedChain) {
				t.Fatalf("want %v, got %v", tc.want, err)
			}
		})
	}
}

func mustGitHubRoot(t *testing.T) github.Option {
	gh, err := github.GitHubTrustedRoot()
	if err != nil {
		t.Fatal(err)
	}
	return github.WithPublicGoodRoot(gh)
}

// TestUnsupportedBundles: what gh refuses before verifying is refused here
// too: a bundle without a certificate, a v0.1 bundle, garbage.
func TestUnsupportedBundles(t *testing.T) {
	t.Parallel()
	v, err := github.New(github.Policy{Owner: "actions"})
	if err != nil {
		t.Fatal(err)
	}
	_, art := vectors[3].load(t)
	v01 := strings.Replace(string(read(t, "sigstore-js-2.1.0-bundle.json")), "application/vnd.dev.sigstore.bundle.v0.3+json", "application/vnd.dev.sigstore.bundle+json;version=0.1", 1)
	for name, b := range map[string][]byte{
		"missing certificate": read(t, "github_provenance_demo-0.0.12-py3-none-any-bundle-missing-cert.jsonl"),
		"v0.1":                []byte(v01),
		"not JSON":            []byte("{"),
		"empty":               nil,
		"too large":           append(append([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","x":"`), bytes.Repeat([]byte("a"), 32<<20)...), `"}`...),
	} {
		if _, err := v.Verify(t.Context(), b, art); !errors.Is(err, verify.ErrMalformedBundle) {
			t.Errorf("%s: want ErrMalformedBundle, got %v", name, err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	b, _ := vectors[3].load(t)
	if _, err := v.Verify(ctx, b, art); !errors.Is(err, verify.ErrVerification) || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestPolicyValidation: a policy gh would refuse, or one that cannot mean
// what it says, is refused by New.
func TestPolicyValidation(t *testing.T) {
	t.Parallel()
	for name, p := range map[string]github.Policy{
		"neither owner nor repo":   {},
		"owner and repo":           {Owner: "a", Repo: "a/b"},
		"repo without owner":       {Repo: "b"},
		"repo with three parts":    {Repo: "a/b/c"},
		"owner with slash":         {Owner: "a/b"},
		"owner regexp":             {Owner: "a.*"},
		"signer repo bad":          {Owner: "a", SignerRepo: "x"},
		"signer repo and workflow": {Owner: "a", SignerRepo: "a/b", SignerWorkflow: "a/b/.github/workflows/c.yml"},
		"ref with newline":         {Owner: "a", SourceRef: "refs/heads/main\n"},
		"workflow with space":      {Owner: "a", SignerWorkflow: "a/b/.github/workflows/c.yml "},
	} {
		if _, err := github.New(p); !errors.Is(err, verify.ErrInvalidExpectation) {
			t.Errorf("%s: want ErrInvalidExpectation, got %v", name, err)
		}
	}
	if _, err := github.New(github.Policy{Owner: "a"}, nil); !errors.Is(err, verify.ErrConfig) {
		t.Errorf("nil option: %v", err)
	}
	if _, err := github.New(github.Policy{Owner: "a"}, github.WithGitHubRoot(nil)); !errors.Is(err, verify.ErrConfig) {
		t.Errorf("nil root: %v", err)
	}
}

// TestRunnerEnvironment: --deny-self-hosted-runners refuses an
// attestation made on a self-hosted runner. No public vector comes from
// one, so this bundle is made here by a private Fulcio (attest/ca, which
// writes the same extensions as Fulcio for a GitHub Actions token) and
// TSA, trusted as GitHub's instance.
func TestRunnerEnvironment(t *testing.T) {
	t.Parallel()
	c, err := ca.New(ca.WithSubjectDomain(github.GitHubOIDCIssuer, "https://github.com"), ca.WithServerURL(github.GitHubOIDCIssuer, "https://github.com"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := tsa.New()
	if err != nil {
		t.Fatal(err)
	}
	trJSON, err := attest.NewTrustedRoot().AddEmbeddedCA("https://fulcio.example", c).AddEmbeddedTSA("https://tsa.example", a).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	tm, err := verify.ParseTrustedRoot(trJSON)
	if err != nil {
		t.Fatal(err)
	}
	artifact := []byte("built on a self-hosted runner")
	sign := func(runner string) []byte {
		id := identity.Identity{
			Issuer:  github.GitHubOIDCIssuer,
			Subject: "https://github.com/octo-org/octo-repo/.github/workflows/build.yml@refs/heads/main",
			Claims: identity.Claims{
				Repository: "octo-org/octo-repo", Ref: "refs/heads/main", Commit: strings.Repeat("a", 40),
				WorkflowRef: "octo-org/octo-repo/.github/workflows/build.yml@refs/heads/main", Event: "push", Runner: runner,
			},
		}
		s, err := attest.NewCASigner(c.IssuerFor(id), attest.WithEmbeddedTimestampAuthority(a.Handler()))
		if err != nil {
			t.Fatal(err)
		}
		sub, err := attest.SubjectFromReader(t.Context(), "app", strings.NewReader(string(artifact)))
		if err != nil {
			t.Fatal(err)
		}
		st, err := attest.NewStatement([]attest.ResourceDescriptor{sub}, &attest.Provenance{
			BuildDefinition: attest.BuildDefinition{BuildType: "https://actions.github.io/buildtypes/workflow/v1", ExternalParameters: map[string]any{"workflow": map[string]any{"ref": "refs/heads/main"}}},
			RunDetails:      attest.RunDetails{Builder: attest.Builder{ID: "https://github.com/actions/runner/" + runner}},
		})
		if err != nil {
			t.Fatal(err)
		}
		b, err := attest.Sign(t.Context(), s, st)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	selfHosted, hosted := sign("self-hosted"), sign("github-hosted")
	for _, tc := range []struct {
		name   string
		bundle []byte
		deny   bool
		ok     bool
	}{
		{"self-hosted allowed by default", selfHosted, false, true},
		{"self-hosted denied", selfHosted, true, false},
		{"github-hosted under deny", hosted, true, true},
	} {
		v, err := github.New(github.Policy{Repo: "octo-org/octo-repo", DenySelfHostedRunners: tc.deny}, github.WithoutPublicGood(), github.WithGitHubRoot(tm))
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.Verify(t.Context(), tc.bundle, verify.ArtifactBytes(artifact))
		if tc.ok {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		var ie *verify.IdentityMismatchError
		if !errors.As(err, &ie) || ie.Field != "runnerEnvironment" || ie.Got != "self-hosted" {
			t.Errorf("%s: want a runnerEnvironment mismatch, got %v", tc.name, err)
		}
	}
}

// TestGitHubTUFRoot: the embedded root.json of GitHub's TUF repository is
// TUF root metadata signed by a threshold of its own root keys, as a TUF
// client requires of the root it starts from.
func TestGitHubTUFRoot(t *testing.T) {
	t.Parallel()
	b := github.GitHubTUFRoot()
	r, err := metadata.Root().FromBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	if r.Signed.Type != metadata.ROOT || r.Signed.Version != 9 {
		t.Fatalf("type %q version %d", r.Signed.Type, r.Signed.Version)
	}
	if err := r.VerifyDelegate(metadata.ROOT, r); err != nil {
		t.Fatalf("root not signed by its own threshold: %v", err)
	}
	b[len(b)/2] ^= 1 // a copy: the embedded bytes are not the caller's
	if bytes.Equal(b, github.GitHubTUFRoot()) {
		t.Fatal("GitHubTUFRoot returned the embedded slice")
	}
}
