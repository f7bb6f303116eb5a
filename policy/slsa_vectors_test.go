package policy_test

import (
	"crypto/x509"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ztci/ztci/policy"
)

// vectorArtifact reads a slsa-verifier Sigstore bundle and returns the
// artifact as the verify package would hand it to policy: verified, with
// the certificate's SAN as signer and the SLSA provenance fields.
func vectorArtifact(t *testing.T, path string) policy.Artifact {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		VerificationMaterial struct {
			X509CertificateChain struct {
				Certificates []struct {
					RawBytes []byte `json:"rawBytes"`
				} `json:"certificates"`
			} `json:"x509CertificateChain"`
		} `json:"verificationMaterial"`
		DSSEEnvelope struct {
			Payload []byte `json:"payload"`
		} `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(b.VerificationMaterial.X509CertificateChain.Certificates[0].RawBytes)
	if err != nil || len(cert.URIs) != 1 {
		t.Fatalf("certificate: %v", err)
	}
	var st struct {
		PredicateType string `json:"predicateType"`
		Subject       []struct {
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
		Predicate struct {
			BuildDefinition struct {
				BuildType            string         `json:"buildType"`
				ExternalParameters   map[string]any `json:"externalParameters"`
				ResolvedDependencies []struct {
					URI    string            `json:"uri"`
					Digest map[string]string `json:"digest"`
				} `json:"resolvedDependencies"`
			} `json:"buildDefinition"`
			RunDetails struct {
				Builder struct {
					ID string `json:"id"`
				} `json:"builder"`
			} `json:"runDetails"`
		} `json:"predicate"`
	}
	if err := json.Unmarshal(b.DSSEEnvelope.Payload, &st); err != nil {
		t.Fatal(err)
	}
	bd := st.Predicate.BuildDefinition
	repo, ref, _ := strings.Cut(bd.ResolvedDependencies[0].URI, "@")
	signer := policy.Signer{SAN: cert.URIs[0].String(), Issuer: ghIssuer}
	return policy.Artifact{
		Name:     filepath.Base(path),
		Digest:   "sha256:" + st.Subject[0].Digest["sha256"],
		Verified: true,
		Signer:   signer,
		Attestations: []policy.Attestation{{
			PredicateType: st.PredicateType,
			Signer:        signer,
			Provenance: &policy.Provenance{
				BuilderID:          st.Predicate.RunDetails.Builder.ID,
				BuildType:          bd.BuildType,
				SourceRepository:   repo,
				SourceRef:          ref,
				SourceDigest:       bd.ResolvedDependencies[0].Digest["gitCommit"],
				ExternalParameters: bd.ExternalParameters,
			},
		}},
	}
}

// errRule maps slsa-verifier's errors to the deploy gate's rules.
var errRule = map[string]string{
	"serrors.ErrorMismatchSource":            "deploy.source_not_allowed",
	"serrors.ErrorMismatchBranch":            "deploy.source_ref_not_allowed",
	"serrors.ErrorUntrustedReusableWorkflow": "deploy.builder_not_allowed",
}

// TestSLSAVerifierRows runs slsa-verifier's regression rows on source,
// branch and builder id through the built-in deploy gate. Tag and
// semver-prefix rows (ptag, pversiontag) are skipped: the library matches
// refs exactly (source_refs) and has no semver-prefix rule.
func TestSLSAVerifierRows(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("testdata/slsa-verifier/derived/regression_policy_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases struct {
		Tables map[string][]map[string]any `json:"tables"`
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	dir := "testdata/slsa-verifier/gha_delegator/v2.1.0"
	ran := 0
	for _, row := range cases.Tables["Test_runVerifyGHAArtifactPath"] {
		keys := []string{}
		for k := range row {
			keys = append(keys, k)
		}
		if slices.ContainsFunc(keys, func(k string) bool {
			return !slices.Contains([]string{"name", "artifacts", "source", "pbranch", "pBuilderID", "err", "expect"}, k)
		}) {
			continue
		}
		name := row["name"].(string)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var arts []policy.Artifact
			for _, a := range row["artifacts"].([]any) {
				arts = append(arts, vectorArtifact(t, filepath.Join(dir, a.(string)+".build.slsa")))
			}
			p := arts[0].Attestations[0].Provenance
			deploy := map[string]any{
				"signers":  []any{map[string]any{"san": arts[0].Signer.SAN, "issuer": ghIssuer}},
				"sources":  []any{"git+https://" + row["source"].(string)},
				"builders": []any{p.BuilderID},
			}
			if b, ok := row["pBuilderID"].(string); ok {
				deploy["builders"] = []any{b}
			}
			if br, ok := row["pbranch"].(string); ok {
				deploy["source_refs"] = []any{"refs/heads/" + br}
			}
			e, err := policy.New(t.Context(), policy.Merge(policy.Builtin(),
				policy.Data(map[string]any{"ztci": map[string]any{"config": map[string]any{"deploy": deploy}}})))
			if err != nil {
				t.Fatal(err)
			}
			d, err := e.Evaluate(t.Context(), policy.Input{
				Action:    policy.ActionDeploy,
				Job:       policy.Job{ID: "x", Repository: "slsa-framework/example-package", Ref: p.SourceRef, Protected: true},
				Artifacts: arts,
			})
			if err != nil {
				t.Fatal(err)
			}
			if want := row["expect"] == "pass"; d.Allowed != want {
				t.Fatalf("slsa-verifier expects %v (%v); gate: %v", row["expect"], row["err"], d)
			}
			if e, ok := row["err"].(string); ok && !slices.Equal(rules(d), []string{errRule[e]}) {
				t.Fatalf("slsa-verifier fails with %s; gate denies with %v", e, rules(d))
			}
		})
		ran++
	}
	if ran < 8 {
		t.Fatalf("only %d rows ran", ran)
	}
}
