package github_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/github"
)

// vector is a real attestation copied from a public repository (see
// testdata/SOURCES) with the policy its signer satisfies in full.
type vector struct {
	name     string
	bundle   string // file in testdata
	artifact string // file in testdata
	instance string
	policy   github.Policy // every gh flag pinned to what the certificate says
}

var vectors = []vector{
	{
		// sigstore-js 2.1.0's npm provenance: public-good, signed on push
		// to main by the repository's own release workflow; the statement's
		// subject is a sha512 digest.
		name: "sigstore-js", bundle: "sigstore-js-2.1.0-bundle.json", artifact: "sigstore-js-2.1.0.tgz",
		instance: github.InstancePublicGood,
		policy: github.Policy{
			Repo:                  "sigstore/sigstore-js",
			SignerWorkflow:        "github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main",
			SourceRef:             "refs/heads/main",
			SourceDigest:          "26d16513386ffaa790b1c32f927544f1322e4194",
			SignerDigest:          "26d16513386ffaa790b1c32f927544f1322e4194",
			PredicateType:         "https://slsa.dev/provenance/v1",
			DenySelfHostedRunners: true,
		},
	},
	{
		// A reusable workflow (github/artifact-attestations-workflows,
		// pinned by commit) signed for malancas/attest-demo: signer and
		// source repository differ, and the SAN's ref is a commit id.
		name: "reusable-workflow", bundle: "reusable-workflow-attestation.sigstore.json", artifact: "reusable-workflow-artifact",
		instance: github.InstancePublicGood,
		policy: github.Policy{
			Repo:                  "malancas/attest-demo",
			SignerWorkflow:        "github/artifact-attestations-workflows/.github/workflows/attest.yml",
			SourceRef:             "refs/heads/main",
			SourceDigest:          "95baf27389e83e6a5c48f42e190d48d7abcea19e",
			SignerDigest:          "09b495c3f12c7881b3cc17209a327792065c1a1d",
			DenySelfHostedRunners: true,
		},
	},
	{
		// An enterprise with a custom OIDC issuer
		// (https://token.actions.githubusercontent.com/hammer-time).
		name: "custom-issuer", bundle: "custom-issuer.sigstore.json", artifact: "custom-issuer-artifact",
		instance: github.InstancePublicGood,
		policy: github.Policy{
			Repo:                  "too-legit/attest",
			OIDCIssuer:            "https://token.actions.githubusercontent.com/hammer-time",
			SignerRepo:            "too-legit/attest",
			SourceRef:             "refs/heads/main",
			SourceDigest:          "283bf967fa3c591925dd25e6a6e8e781542117bf",
			SignerDigest:          "283bf967fa3c591925dd25e6a6e8e781542117bf",
			DenySelfHostedRunners: true,
		},
	},
	{
		// GitHub's own instance (a repository private at signing time):
		// Fulcio fulcio.githubapp.com, an RFC 3161 timestamp from
		// timestamp.githubapp.com, no transparency log.
		name: "github-instance", bundle: "github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl", artifact: "github_provenance_demo-0.0.12-py3-none-any.whl",
		instance: github.InstanceGitHub,
		policy: github.Policy{
			Repo:                  "actions/attest-demo",
			SignerWorkflow:        "actions/attest-demo/.github/workflows/build-python.yml",
			SourceRef:             "refs/heads/main",
			SourceDigest:          "a6c23b9806c593664f68637c8f9d45dfcf98b2db",
			SignerDigest:          "a6c23b9806c593664f68637c8f9d45dfcf98b2db",
			DenySelfHostedRunners: true,
		},
	},
}

// staticRoots returns options giving New the embedded roots as
// verify.Trusts built once: New verifies each root's static CA and TSA
// chains (tens of milliseconds), which tests building a Verifier per case
// need not repeat. Verifiers may share a Trust.
func staticRoots(t testing.TB) []github.Option {
	t.Helper()
	pg, err := verify.PublicGood()
	if err != nil {
		t.Fatal(err)
	}
	gh, err := github.GitHubTrustedRoot()
	if err != nil {
		t.Fatal(err)
	}
	pgTrust, err := verify.NewTrust(pg)
	if err != nil {
		t.Fatal(err)
	}
	ghTrust, err := verify.NewTrust(gh)
	if err != nil {
		t.Fatal(err)
	}
	return []github.Option{github.WithPublicGoodRoot(pgTrust), github.WithGitHubRoot(ghTrust)}
}

func read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSpace(b)
}

func (vc vector) load(t testing.TB) (bundle []byte, artifact verify.Artifact) {
	t.Helper()
	return read(t, vc.bundle), verify.ArtifactBytes(read(t, vc.artifact))
}

// TestVectors: every real vector verifies, under the minimal policy gh
// needs (--repo) and under every flag pinned, and reports the instance
// whose root verified it.
func TestVectors(t *testing.T) {
	t.Parallel()
	for _, vc := range vectors {
		t.Run(vc.name, func(t *testing.T) {
			t.Parallel()
			b, art := vc.load(t)
			minimal := github.Policy{Repo: vc.policy.Repo, OIDCIssuer: vc.policy.OIDCIssuer}
			if vc.policy.SignerRepo != "" || vc.policy.SignerWorkflow != "" {
				minimal.SignerWorkflow = vc.policy.SignerWorkflow
				minimal.SignerRepo = vc.policy.SignerRepo
			}
			for _, p := range []github.Policy{minimal, vc.policy} {
				v, err := github.New(p)
				if err != nil {
					t.Fatal(err)
				}
				res, err := v.Verify(t.Context(), b, art)
				if err != nil {
					t.Fatalf("policy %+v: %v", p, err)
				}
				if res.Instance != vc.instance {
					t.Errorf("instance %q, want %q", res.Instance, vc.instance)
				}
				if res.Statement == nil || res.Statement.PredicateType != "https://slsa.dev/provenance/v1" {
					t.Errorf("statement %+v", res.Statement)
				}
			}
		})
	}
}

// TestCaseInsensitiveNames: owner and repository names match as gh matches
// them (GitHub names are case-insensitive), ASCII only.
func TestCaseInsensitiveNames(t *testing.T) {
	t.Parallel()
	b, art := vectors[0].load(t)
	for _, p := range []github.Policy{{Repo: "SigStore/Sigstore-JS"}, {Owner: "SIGSTORE"}} {
		v, err := github.New(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(t.Context(), b, art); err != nil {
			t.Errorf("%+v: %v", p, err)
		}
	}
}

// TestPolicyMutations: changing any expectation of a valid vector is
// rejected with a *verify.IdentityMismatchError (or a predicate-type
// mismatch) naming the check that failed.
func TestPolicyMutations(t *testing.T) {
	t.Parallel()
	type mutation struct {
		name   string
		mutate func(p *github.Policy)
		field  string // IdentityMismatchError.Field; "" for predicate type
	}
	// Owner or repository alone: gh's default SAN (a workflow of that
	// owner or repository) fails first.
	sanFirst := []mutation{
		{"owner", func(p *github.Policy) { p.Repo, p.Owner, p.SignerWorkflow, p.SignerRepo = "", "someone-else", "", "" }, "san"},
		{"repo", func(p *github.Policy) { p.Repo, p.SignerWorkflow, p.SignerRepo = p.Repo+"-fork", "", "" }, "san"},
	}
	// With the signer pinned, the source repository's own extensions fail.
	common := []mutation{
		{"owner-extension", func(p *github.Policy) { p.Repo = "someone-else/" + repoName(p.Repo) }, "sourceRepositoryOwnerURI"},
		{"repo-extension", func(p *github.Policy) { p.Repo += "-fork" }, "sourceRepositoryURI"},
		{"signer-repo", func(p *github.Policy) { p.SignerWorkflow, p.SignerRepo = "", "someone-else/workflows" }, "san"},
		{"signer-workflow", func(p *github.Policy) {
			p.SignerRepo, p.SignerWorkflow = "", "github.com/"+p.Repo+"/.github/workflows/other.yml"
		}, "san"},
		{"signer-workflow-ref", func(p *github.Policy) {
			p.SignerRepo, p.SignerWorkflow = "", signerWorkflowOf(t, p)+"@refs/heads/attacker"
		}, "san"},
		{"source-ref", func(p *github.Policy) { p.SourceRef = "refs/heads/dev" }, "sourceRepositoryRef"},
		{"source-ref-case", func(p *github.Policy) { p.SourceRef = "refs/heads/Main" }, "sourceRepositoryRef"},
		{"source-ref-tag", func(p *github.Policy) { p.SourceRef = "refs/tags/v1.0.0" }, "sourceRepositoryRef"},
		{"source-digest", func(p *github.Policy) { p.SourceDigest = "0000000000000000000000000000000000000000" }, "sourceRepositoryDigest"},
		{"signer-digest", func(p *github.Policy) { p.SignerDigest = "0000000000000000000000000000000000000000" }, "buildSignerDigest"},
		{"issuer", func(p *github.Policy) { p.OIDCIssuer = "https://token.actions.githubusercontent.com/other" }, "issuer"},
		{"predicate-type", func(p *github.Policy) { p.PredicateType = "https://spdx.dev/Document/v2.3" }, ""},
	}
	roots := staticRoots(t)
	for _, vc := range vectors {
		for _, m := range append(sanFirst, common...) {
			t.Run(vc.name+"/"+m.name, func(t *testing.T) {
				t.Parallel()
				p := vc.policy
				if p.SignerWorkflow == "" && p.SignerRepo == "" {
					p.SignerWorkflow = signerWorkflowOf(t, &p)
				}
				m.mutate(&p)
				v, err := github.New(p, roots...)
				if err != nil {
					t.Fatal(err)
				}
				b, art := vc.load(t)
				_, err = v.Verify(t.Context(), b, art)
				if !errors.Is(err, verify.ErrVerification) {
					t.Fatalf("policy %+v: want a verification error, got %v", p, err)
				}
				if m.field == "" {
					var pe *verify.PredicateTypeMismatchError
					if !errors.As(err, &pe) {
						t.Fatalf("want *verify.PredicateTypeMismatchError, got %v", err)
					}
					return
				}
				var ie *verify.IdentityMismatchError
				if !errors.As(err, &ie) || ie.Field != m.field {
					t.Fatalf("want an identity mismatch on %q, got %v", m.field, err)
				}
			})
		}
	}
}

// signerWorkflowOf is the vector's signing workflow without its ref, as
// --signer-workflow takes it.
func signerWorkflowOf(t testing.TB, p *github.Policy) string {
	t.Helper()
	switch p.Repo {
	case "sigstore/sigstore-js":
		return "github.com/sigstore/sigstore-js/.github/workflows/release.yml"
	case "malancas/attest-demo":
		return "github.com/github/artifact-attestations-workflows/.github/workflows/attest.yml"
	case "too-legit/attest":
		return "github.com/too-legit/attest/.github/workflows/integration.yml"
	case "actions/attest-demo":
		return "github.com/actions/attest-demo/.github/workflows/build-python.yml"
	}
	t.Fatalf("no signer workflow for %q", p.Repo)
	return ""
}

func repoName(repo string) string {
	_, name, _ := bytes.Cut([]byte(repo), []byte("/"))
	return string(name)
}

// TestSignerWorkflowPrefix: --signer-workflow is an identity, not a prefix
// (gh's signerWorkflowSANPattern): a pin on a shorter file name, or on the
// workflow at another ref, does not match.
func TestSignerWorkflowPrefix(t *testing.T) {
	t.Parallel()
	b, art := vectors[0].load(t)
	roots := staticRoots(t)
	for _, w := range []string{
		"sigstore/sigstore-js/.github/workflows/release",
		"sigstore/sigstore-js/.github/workflows/release.y",
		"sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/mai",
		"sigstore/sigstore-js/.github/workflows/release.yml@refs/heads",
		"github.com/sigstore/sigstore-js/.github/workflows/RELEASE.yml",
		"sigstore/sigstore-js/.github/workflows/*",
	} {
		v, err := github.New(github.Policy{Repo: "sigstore/sigstore-js", SignerWorkflow: w}, roots...)
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.Verify(t.Context(), b, art)
		var ie *verify.IdentityMismatchError
		if !errors.As(err, &ie) || ie.Field != "san" {
			t.Errorf("signer workflow %q: want a san mismatch, got %v", w, err)
		}
	}
}

// TestBundleTampering: a valid vector with any signed byte changed — the
// certificate, the signature, the statement, the log entry or the signed
// timestamp — is rejected, with the category of what failed.
func TestBundleTampering(t *testing.T) {
	t.Parallel()
	type tamper struct {
		name string
		edit func(t *testing.T, b map[string]any)
		want []error // the error must match one of these
	}
	flipB64 := func(t *testing.T, s any, at func(n int) int) string {
		t.Helper()
		raw, err := base64.StdEncoding.DecodeString(s.(string))
		if err != nil {
			t.Fatal(err)
		}
		raw[at(len(raw))] ^= 0x01
		return base64.StdEncoding.EncodeToString(raw)
	}
	vm := func(b map[string]any) map[string]any { return b["verificationMaterial"].(map[string]any) }
	env := func(b map[string]any) map[string]any { return b["dsseEnvelope"].(map[string]any) }
	tampers := []tamper{
		{"certificate-signature", func(t *testing.T, b map[string]any) {
			c := vm(b)["certificate"].(map[string]any)
			c["rawBytes"] = flipB64(t, c["rawBytes"], func(n int) int { return n - 2 })
		}, []error{github.ErrUnknownInstance}},
		{"certificate-key", func(t *testing.T, b map[string]any) {
			// A byte of the subject public key: the CA's signature over the
			// certificate no longer verifies.
			c := vm(b)["certificate"].(map[string]any)
			c["rawBytes"] = flipB64(t, c["rawBytes"], func(n int) int { return n / 2 })
		}, []error{github.ErrUnknownInstance, verify.ErrMalformedBundle}},
		{"signature", func(t *testing.T, b map[string]any) {
			s := env(b)["signatures"].([]any)[0].(map[string]any)
			s["sig"] = flipB64(t, s["sig"], func(n int) int { return n - 1 })
		}, []error{verify.ErrSignature, verify.ErrTlog, verify.ErrTimestamp}}, // the log entry and the timestamp cover the signature
		{"payload", func(t *testing.T, b map[string]any) {
			p, _ := base64.StdEncoding.DecodeString(env(b)["payload"].(string))
			p = bytes.Replace(p, []byte(`"predicateType":"https://slsa.dev/provenance/v1"`), []byte(`"predicateType":"https://slsa.dev/provenance/v1" `), 1)
			env(b)["payload"] = base64.StdEncoding.EncodeToString(p)
		}, []error{verify.ErrSignature, verify.ErrTlog}},
		{"payload-subject", func(t *testing.T, b map[string]any) {
			env(b)["payload"] = flipB64(t, env(b)["payload"], func(n int) int { return n / 3 })
		}, []error{verify.ErrSignature, verify.ErrTlog, verify.ErrMalformedBundle, verify.ErrArtifactMismatch}},
		{"timestamp-or-log-entry", func(t *testing.T, b map[string]any) {
			if tv, ok := vm(b)["timestampVerificationData"].(map[string]any); ok && tv["rfc3161Timestamps"] != nil {
				ts := tv["rfc3161Timestamps"].([]any)[0].(map[string]any)
				ts["signedTimestamp"] = flipB64(t, ts["signedTimestamp"], func(n int) int { return n - 3 })
				return
			}
			e := vm(b)["tlogEntries"].([]any)[0].(map[string]any)
			e["integratedTime"] = "1700000000"
		}, []error{verify.ErrTimestamp, verify.ErrTlog}},
	}
	roots := staticRoots(t)
	for _, vc := range vectors {
		for _, tc := range tampers {
			t.Run(vc.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				b, art := vc.load(t)
				var m map[string]any
				if err := json.Unmarshal(b, &m); err != nil {
					t.Fatal(err)
				}
				tc.edit(t, m)
				edited, err := json.Marshal(m)
				if err != nil {
					t.Fatal(err)
				}
				v, err := github.New(vc.policy, roots...)
				if err != nil {
					t.Fatal(err)
				}
				_, err = v.Verify(t.Context(), edited, art)
				if !errors.Is(err, verify.ErrVerification) {
					t.Fatalf("want a verification error, got %v", err)
				}
				for _, w := range tc.want {
					if errors.Is(err, w) {
						t.Logf("rejected: %v", w)
						return
					}
				}
				t.Fatalf("error %v matches none of %v", err, tc.want)
			})
		}
	}
}

// TestWrongArtifact: the bundle of one vector does not vouch for another
// vector's artifact.
func TestWrongArtifact(t *testing.T) {
	t.Parallel()
	b, _ := vectors[0].load(t)
	_, other := vectors[1].load(t)
	v, err := github.New(vectors[0].policy)
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(t.Context(), b, other)
	var ae *verify.ArtifactMismatchError
	if !errors.As(err, &ae) {
		t.Fatalf("want *verify.ArtifactMismatchError, got %v", err)
	}
}
