package github_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/github"
)

// The GitHub Enterprise Cloud tenant of these tests, and the names gh
// derives from it (cli/cli pkg/cmd/attestation/verify/policy.go
// expandToGitHubURL, verification/extensions.go GitHubTenantOIDCIssuer).
const (
	tenantHost   = "octo.ghe.com"
	tenantIssuer = "https://token.actions.octo.ghe.com"
	tenantURL    = "https://octo.ghe.com"
)

// forge is a Fulcio for GitHub Actions as one instance runs it: attest/ca
// (the same extensions Fulcio writes for a GitHub Actions token) with each
// token issuer's forge URL, and a TSA, trusted as GitHub's instance. A
// ghe.com tenant's Fulcio maps its issuer onto https://<tenant>.ghe.com as
// github.com's maps token.actions.githubusercontent.com onto
// https://github.com; the other mappings make the mixed certificates that a
// policy must refuse.
//
// Each certificate comes from a replica of the forge's CA (one key and
// root) configured to let the job's issuer name the job's SAN, as a Fulcio
// configured wrongly would for the mixed ones.
type forge struct {
	key   crypto.Signer
	root  *x509.Certificate
	opts  []ca.Option // the forge URLs
	tsa   *tsa.TSA
	trust root.TrustedMaterial
}

func newForge(t *testing.T, servers map[string]string) *forge {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rootCert, err := ca.NewRootCertificate(key, "forge CA", time.Now().Add(-time.Minute), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var opts []ca.Option
	for iss, forgeURL := range servers {
		opts = append(opts, ca.WithServerURL(iss, forgeURL))
	}
	c, err := ca.New(ca.WithSigner(key, rootCert))
	if err != nil {
		t.Fatal(err)
	}
	a, err := tsa.New()
	if err != nil {
		t.Fatal(err)
	}
	trJSON, err := attest.NewTrustedRoot().AddEmbeddedCA("https://fulcio.octo.ghe.com", c).AddEmbeddedTSA("https://timestamp.octo.ghe.com", a).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	tm, err := verify.ParseTrustedRoot(trJSON)
	if err != nil {
		t.Fatal(err)
	}
	return &forge{key: key, root: rootCert, opts: opts, tsa: a, trust: tm}
}

// job is the GitHub Actions run a certificate is issued for.
type job struct {
	issuer, san, repo, ref, runner string
}

var tenantJob = job{
	issuer: tenantIssuer,
	san:    tenantURL + "/octo-org/octo-repo/.github/workflows/build.yml@refs/heads/main",
	repo:   "octo-org/octo-repo", ref: "refs/heads/main", runner: "github-hosted",
}

var tenantArtifact = []byte("built on a ghe.com tenant")

// sign makes the bundle actions/attest makes on that forge for j: a
// provenance statement about tenantArtifact, signed under a certificate
// for j, timestamped by the forge's TSA.
func (f *forge) sign(t *testing.T, j job) []byte {
	t.Helper()
	// The workflow ref is the SAN's path, whichever host the SAN names
	// (a claim holding the whole URL would make a URI the CA refuses).
	_, hostPath, _ := strings.Cut(j.san, "://")
	_, wf, _ := strings.Cut(hostPath, "/")
	id := identity.Identity{
		Issuer:  j.issuer,
		Subject: j.san,
		Claims: identity.Claims{
			Repository: j.repo, Ref: j.ref, Commit: strings.Repeat("b", 40),
			WorkflowRef: wf, Event: "push", Runner: j.runner,
		},
	}
	san, err := url.Parse(j.san)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ca.New(append(slices.Clone(f.opts), ca.WithSigner(f.key, f.root), ca.WithSubjectDomain(j.issuer, san.Scheme+"://"+san.Host))...)
	if err != nil {
		t.Fatal(err)
	}
	s, err := attest.NewCASigner(c.IssuerFor(id), attest.WithEmbeddedTimestampAuthority(f.tsa.Handler()))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := attest.SubjectFromReader(t.Context(), "app", strings.NewReader(string(tenantArtifact)))
	if err != nil {
		t.Fatal(err)
	}
	st, err := attest.NewStatement([]attest.ResourceDescriptor{sub}, &attest.Provenance{
		BuildDefinition: attest.BuildDefinition{BuildType: "https://actions.github.io/buildtypes/workflow/v1", ExternalParameters: map[string]any{"workflow": map[string]any{"ref": j.ref}}},
		RunDetails:      attest.RunDetails{Builder: attest.Builder{ID: "https://github.com/actions/runner/" + j.runner}},
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

// TestTenantPolicy: a policy on a ghe.com tenant accepts the tenant's own
// attestation under each gh flag, and refuses a certificate that differs
// from it in any one field the policy pins: the host of the SAN or of the
// owner and repository URIs; the owner, repository, workflow, ref
// or runner; and an issuer of github.com where the tenant's is due, or the
// reverse.
func TestTenantPolicy(t *testing.T) {
	t.Parallel()
	tenant := newForge(t, map[string]string{tenantIssuer: tenantURL, github.GitHubOIDCIssuer: tenantURL})
	// The tenant's issuer, but URIs on another tenant: a Fulcio that
	// mapped the issuer wrongly, or a policy naming the wrong tenant.
	otherHost := newForge(t, map[string]string{tenantIssuer: "https://evil.ghe.com"})
	// github.com's own forge, for the reverse direction.
	dotcom := newForge(t, map[string]string{tenantIssuer: "https://github.com"})

	base := github.Policy{Host: tenantHost, Repo: "octo-org/octo-repo"}
	with := func(f func(*github.Policy)) github.Policy { p := base; f(&p); return p }
	edit := func(f func(*job)) job { j := tenantJob; f(&j); return j }

	tests := []struct {
		name   string
		forge  *forge
		job    job
		policy github.Policy
		field  string // "" verifies
	}{
		{"repo", tenant, tenantJob, base, ""},
		{"owner", tenant, tenantJob, github.Policy{Host: tenantHost, Owner: "octo-org"}, ""},
		{"host in capitals", tenant, tenantJob, with(func(p *github.Policy) { p.Host = "Octo.GHE.com" }), ""},
		{"every flag", tenant, tenantJob, with(func(p *github.Policy) {
			p.SignerWorkflow = "octo-org/octo-repo/.github/workflows/build.yml"
			p.SourceRef = "refs/heads/main"
			p.SourceDigest = strings.Repeat("b", 40)
			p.DenySelfHostedRunners = true
		}), ""},
		{"signer workflow with the tenant host", tenant, tenantJob, with(func(p *github.Policy) {
			p.SignerWorkflow = tenantHost + "/octo-org/octo-repo/.github/workflows/build.yml@refs/heads/main"
		}), ""},
		{"signer repo", tenant, tenantJob, with(func(p *github.Policy) { p.SignerRepo = "octo-org/octo-repo" }), ""},

		{"SAN on github.com", tenant, edit(func(j *job) {
			j.san = "https://github.com/octo-org/octo-repo/.github/workflows/build.yml@refs/heads/main"
		}), base, "san"},
		{"SAN on another tenant", tenant, edit(func(j *job) {
			j.san = "https://evil.ghe.com/octo-org/octo-repo/.github/workflows/build.yml@refs/heads/main"
		}), base, "san"},
		{"owner and repository URIs on another tenant", otherHost, tenantJob, base, "sourceRepositoryOwnerURI"},
		{"another owner", tenant, edit(func(j *job) { j.repo = "evil-org/octo-repo" }), base, "sourceRepositoryOwnerURI"},
		{"another repository", tenant, edit(func(j *job) { j.repo = "octo-org/other" }), base, "sourceRepositoryURI"},
		{"another workflow", tenant, tenantJob, with(func(p *github.Policy) {
			p.SignerWorkflow = "octo-org/octo-repo/.github/workflows/release.yml"
		}), "san"},
		{"signer workflow on github.com", tenant, tenantJob, with(func(p *github.Policy) {
			p.SignerWorkflow = "github.com/octo-org/octo-repo/.github/workflows/build.yml"
		}), "san"},
		{"another ref", tenant, edit(func(j *job) { j.ref = "refs/heads/dev" }), with(func(p *github.Policy) { p.SourceRef = "refs/heads/main" }), "sourceRepositoryRef"},
		{"self-hosted runner", tenant, edit(func(j *job) { j.runner = "self-hosted" }), with(func(p *github.Policy) { p.DenySelfHostedRunners = true }), "runnerEnvironment"},
		{"github.com's issuer for a tenant policy", tenant, edit(func(j *job) { j.issuer = github.GitHubOIDCIssuer }), base, "issuer"},
		{"a tenant's issuer for a github.com policy", dotcom, edit(func(j *job) {
			j.san = "https://github.com/octo-org/octo-repo/.github/workflows/build.yml@refs/heads/main"
		}), github.Policy{Repo: "octo-org/octo-repo"}, "issuer"},
		{"a tenant's attestation under a github.com policy", tenant, tenantJob, github.Policy{Repo: "octo-org/octo-repo"}, "san"},
		{"another tenant's policy", tenant, tenantJob, with(func(p *github.Policy) { p.Host = "evil.ghe.com" }), "san"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := github.New(tc.policy, github.WithGitHubRoot(tc.forge.trust))
			if err != nil {
				t.Fatal(err)
			}
			res, err := v.Verify(t.Context(), tc.forge.sign(t, tc.job), verify.ArtifactBytes(tenantArtifact))
			if tc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				if res.Instance != github.InstanceGitHub || res.Signer.Issuer != tc.job.issuer || res.Signer.SAN != tc.job.san {
					t.Fatalf("instance %q signer %+v", res.Instance, res.Signer)
				}
				return
			}
			var ie *verify.IdentityMismatchError
			if !errors.As(err, &ie) || ie.Field != tc.field || !errors.Is(err, verify.ErrIdentityMismatch) {
				t.Fatalf("want a %s mismatch, got %v", tc.field, err)
			}
		})
	}
}

// TestTenantPolicyValidation: the tenant host is checked before anything
// is derived from it, and a tenant policy needs the tenant's root and
// refuses the public-good one.
func TestTenantPolicyValidation(t *testing.T) {
	t.Parallel()
	f := newForge(t, map[string]string{tenantIssuer: tenantURL})
	for _, host := range []string{
		"octo",                               // no domain
		"ghe.com",                            // no tenant
		".ghe.com",                           // empty tenant
		"octo.ghe.com.",                      // trailing dot
		"a.octo.ghe.com",                     // two labels
		"-octo.ghe.com",                      // leading hyphen
		"octo-.ghe.com",                      // trailing hyphen
		"oc_to.ghe.com",                      // underscore
		"octo*.ghe.com",                      // regexp metacharacter
		"oc.to.ghe.com",                      // a dot inside
		"octo.ghe.com/evil",                  // path
		"octo.ghe.com:443",                   // port
		"user@octo.ghe.com",                  // user info
		"octo.ghe.com\n",                     // control character
		" octo.ghe.com",                      // space
		"\u212aelvin.ghe.com",                // non-ASCII that (?i) folds into "k"
		"octo.ghe.co",                        // another domain
		"octo.ghe.com.evil.example",          // suffix elsewhere
		"ghes.example.com",                   // GitHub Enterprise Server
		"api.github.com",                     // not the web host
		strings.Repeat("a", 64) + ".ghe.com", // label too long
	} {
		_, err := github.New(github.Policy{Host: host, Owner: "octo-org"}, github.WithGitHubRoot(f.trust))
		if !errors.Is(err, verify.ErrInvalidExpectation) {
			t.Errorf("Host %q: want ErrInvalidExpectation, got %v", host, err)
		}
	}
	if _, err := github.New(github.Policy{Host: strings.Repeat("a", 63) + ".ghe.com", Owner: "octo-org"}, github.WithGitHubRoot(f.trust)); err != nil {
		t.Errorf("63-character tenant: %v", err)
	}
	if _, err := github.New(github.Policy{Host: "GitHub.com", Owner: "octo-org"}); err != nil {
		t.Errorf("github.com in capitals: %v", err)
	}
	if _, err := github.New(github.Policy{Host: tenantHost, Owner: "octo-org", OIDCIssuer: github.GitHubOIDCIssuer}, github.WithGitHubRoot(f.trust)); !errors.Is(err, verify.ErrInvalidExpectation) {
		t.Errorf("github.com's issuer with a tenant host: %v", err)
	}
	if _, err := github.New(github.Policy{Host: tenantHost, Owner: "octo-org"}); !errors.Is(err, verify.ErrConfig) {
		t.Errorf("tenant without its root: want ErrConfig, got %v", err)
	}
	pg, err := verify.PublicGood()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := github.New(github.Policy{Host: tenantHost, Owner: "octo-org"}, github.WithGitHubRoot(f.trust), github.WithPublicGoodRoot(pg)); !errors.Is(err, verify.ErrConfig) {
		t.Errorf("tenant with a public-good root: want ErrConfig, got %v", err)
	}
}

// TestTenantRefusesPublicGood: a tenant policy does not trust the
// public-good instance, so the public-good vector (whose certificate no
// tenant CA issued) is an unknown instance, not a policy mismatch.
func TestTenantRefusesPublicGood(t *testing.T) {
	t.Parallel()
	f := newForge(t, map[string]string{tenantIssuer: tenantURL})
	b, art := vectors[0].load(t)
	v, err := github.New(github.Policy{Host: tenantHost, Repo: "sigstore/sigstore-js"}, github.WithGitHubRoot(f.trust))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(t.Context(), b, art); !errors.Is(err, github.ErrUnknownInstance) {
		t.Fatalf("want ErrUnknownInstance, got %v", err)
	}
}

// TestTenantOIDCIssuer: gh's format.
func TestTenantOIDCIssuer(t *testing.T) {
	t.Parallel()
	if got := github.TenantOIDCIssuer("octo"); got != tenantIssuer {
		t.Fatal(got)
	}
}

// TestTenantTrustedRootTarget: a trust domain of DNS labels names its
// target as gh does; anything that could name another target or a path
// (a '/', "..", an empty label, non-ASCII, a name too long) is refused
// with verify.ErrConfig.
func TestTenantTrustedRootTarget(t *testing.T) {
	t.Parallel()
	for td, want := range map[string]string{
		"octo":                  "octo.trusted_root.json",
		"Octo-Corp":             "Octo-Corp.trusted_root.json",
		"octo.example":          "octo.example.trusted_root.json",
		"a1.b-2.c3":             "a1.b-2.c3.trusted_root.json",
		strings.Repeat("a", 63): strings.Repeat("a", 63) + ".trusted_root.json",
	} {
		got, err := github.TenantTrustedRootTarget(td)
		if err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", td, got, err, want)
		}
	}
	long := strings.Repeat(strings.Repeat("a", 63)+".", 4)[:254]
	for _, td := range []string{"", ".", "..", "../x", "a/b", `a\b`, "/octo", "octo.", ".octo", "a..b", "-octo", "octo-",
		"oc to", "octo_corp", "octo:1", "octo\x00", "ｏｃｔｏ", "octo\n", strings.Repeat("a", 64), long} {
		if got, err := github.TenantTrustedRootTarget(td); !errors.Is(err, verify.ErrConfig) || got != "" {
			t.Errorf("%q: %q, %v; want verify.ErrConfig", td, got, err)
		}
	}
}
