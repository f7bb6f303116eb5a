package attest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/secretsprov"
	"github.com/ztci/ztci/attest/vuln"
	"github.com/ztci/ztci/verify"
)

// signOrRefuse runs the signing path (NewStatement, then Sign) on pred and
// returns how many payloads reached the signer and its error.
func signOrRefuse(t *testing.T, pred attest.Predicate) (int, error) {
	t.Helper()
	signed := 0
	s := attest.SignerFunc(func(context.Context, string, []byte) ([]byte, error) { signed++; return []byte("{}"), nil })
	sub := attest.ResourceDescriptor{Name: "app", Digest: attest.DigestSet{"sha256": strings.Repeat("a", 64)}}
	st, err := attest.NewStatement([]attest.ResourceDescriptor{sub}, pred)
	if err == nil {
		_, err = attest.Sign(t.Context(), s, st)
	}
	return signed, err
}

// TestSBOMWriterRefusesWhatTheIndexRefuses: SPDX and CycloneDX checked
// only the document's header, so ztci signed SBOMs that attest/inventory
// (and so the deploy gate recording an admission) refuses: every deploy
// of the artifact would then be denied. The writer runs the index's reader.
func TestSBOMWriterRefusesWhatTheIndexRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		pred attest.Predicate
		want error
	}{
		{"SPDX purl and versionInfo disagree", attest.SPDX([]byte(`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","packages":[{"name":"net","versionInfo":"0.29.0","externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:golang/golang.org/x/net@v0.30.0"}]}]}`)), inventory.ErrSBOMVersionConflict},
		{"CycloneDX purl and version disagree", attest.CycloneDX([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"name":"lodash","version":"4.17.20","purl":"pkg:npm/lodash@4.17.21"}]}`)), inventory.ErrSBOMVersionConflict},
		{"CycloneDX conflict under metadata.component", attest.CycloneDX([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","metadata":{"component":{"name":"app","components":[{"name":"lodash","version":"4.17.20","purl":"pkg:npm/lodash@4.17.21"}]}}}`)), inventory.ErrSBOMVersionConflict},
		{"CycloneDX malformed purl", attest.CycloneDX([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"name":"x","purl":"npm/x@1"}]}`)), inventory.ErrInvalidPURL},
		{"CycloneDX specVersion the index does not read", attest.CycloneDX([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.2"}`)), inventory.ErrInvalidSBOM},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			signed, err := signOrRefuse(t, tc.pred)
			if !errors.Is(err, tc.want) || !errors.Is(err, attest.ErrSBOMFormat) || !errors.Is(err, attest.ErrInvalidPredicate) || signed != 0 {
				t.Fatalf("signing = %v (%d signed), want %v and ErrSBOMFormat, nothing signed", err, signed, tc.want)
			}
		})
	}
	ok := attest.CycloneDX([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"name":"lodash","version":"4.17.21","purl":"pkg:npm/lodash@4.17.21"}]}`))
	if signed, err := signOrRefuse(t, ok); err != nil || signed != 1 {
		t.Fatalf("an SBOM the index reads: %v (%d signed)", err, signed)
	}
}

// TestProvenanceWriterRefusesTwoSources: a caller-filled BuildDefinition
// can name one source in externalParameters and another in its first
// resolved dependency. verify.ReadProvenance refuses such a provenance
// (Field "source"), so no deploy gated on it would pass; the writer
// refuses it with ErrProvenanceSources, by the same reading.
func TestProvenanceWriterRefusesTwoSources(t *testing.T) {
	t.Parallel()
	const good = "git+https://github.com/octo-org/octo-repo@refs/heads/main"
	commit := attest.DigestSet{"gitCommit": strings.Repeat("a", 40)}
	prov := func(ext map[string]any, depURI string) *attest.Provenance {
		return &attest.Provenance{
			BuildDefinition: attest.BuildDefinition{BuildType: "t", ExternalParameters: ext,
				ResolvedDependencies: []attest.ResourceDescriptor{{URI: depURI, Digest: commit}}},
			RunDetails: attest.RunDetails{Builder: attest.Builder{ID: "https://ci.example/builder"}},
		}
	}
	for _, tc := range []struct {
		name string
		p    *attest.Provenance
	}{
		{"source repository differs", prov(map[string]any{"source": map[string]any{"uri": good}}, "git+https://github.com/evil/repo@refs/heads/main")},
		{"workflow ref differs", prov(map[string]any{"workflow": map[string]any{"repository": "https://github.com/octo-org/octo-repo", "ref": "refs/tags/v1.0.0"}}, good)},
		{"source commit differs", prov(map[string]any{"source": map[string]any{"uri": good, "digest": map[string]any{"gitCommit": strings.Repeat("b", 40)}}}, good)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			signed, err := signOrRefuse(t, tc.p)
			if !errors.Is(err, attest.ErrProvenanceSources) || !errors.Is(err, attest.ErrInvalidPredicate) || signed != 0 {
				t.Fatalf("signing = %v (%d signed), want ErrProvenanceSources, nothing signed", err, signed)
			}
			// The reader refuses the same document.
			raw, err := json.Marshal(tc.p)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := attest.ParseProvenance(raw); !errors.Is(err, attest.ErrProvenanceSources) {
				t.Fatalf("ParseProvenance = %v, want ErrProvenanceSources", err)
			}
			var pm *verify.ProvenanceMismatchError
			if _, err := verify.ReadProvenance(&attest.Statement{PredicateType: attest.PredicateSLSAProvenanceV1, Predicate: raw}); !errors.As(err, &pm) || pm.Field != "source" {
				t.Fatalf("ReadProvenance = %v, want a refusal of two sources", err)
			}
		})
	}
	if signed, err := signOrRefuse(t, prov(map[string]any{"source": map[string]any{"uri": good}}, good)); err != nil || signed != 1 {
		t.Fatalf("one source named twice: %v (%d signed)", err, signed)
	}
}

// TestSecretsProvenanceWriterRefusesWhatParseRefuses: Validate bounds
// fields and credentials but not the document, so PredicateJSON wrote
// secrets provenance past MaxSize, which Parse (and so every reader)
// refuses as ErrTooLarge, though the package doc promised it would not.
func TestSecretsProvenanceWriterRefusesWhatParseRefuses(t *testing.T) {
	t.Parallel()
	issued := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	p := &secretsprov.Provenance{Job: secretsprov.Job{ID: "j", Identity: "i", Ref: "refs/heads/main"}}
	long := strings.Repeat("s", secretsprov.MaxFieldLen)
	for i := range 1100 {
		p.Credentials = append(p.Credentials, secretsprov.Credential{LeaseID: fmt.Sprintf("lease-%d", i),
			Backend: "vault", Secret: long, DecisionID: "d", IssuedOn: issued})
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate = %v; the test needs a model it accepts", err)
	}
	signed, err := signOrRefuse(t, p)
	if !errors.Is(err, secretsprov.ErrTooLarge) || signed != 0 {
		t.Fatalf("signing = %v (%d signed), want secretsprov.ErrTooLarge, nothing signed", err, signed)
	}
}

// TestVulnWriterRefusesWhatParseScanRefuses: the writer checked the
// model, not what it wrote, so a finding whose id is control characters
// (each escaped to six bytes) made a predicate past MaxReportSize, which
// ParseScan refuses. ParseScan is now run on what is written.
func TestVulnWriterRefusesWhatParseScanRefuses(t *testing.T) {
	t.Parallel()
	scan := vuln.Scan{Scanner: vuln.Scanner{Name: "trivy", URI: "pkg:github/aquasecurity/trivy"}, Time: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		Findings: []vuln.Finding{{ID: "CVE-1" + strings.Repeat("\x01", vuln.MaxReportSize/6+1), Severity: vuln.SeverityHigh}}}
	if _, err := vuln.Predicate(scan).PredicateJSON(); !errors.Is(err, vuln.ErrInvalidScan) {
		t.Fatalf("PredicateJSON = %v, want ErrInvalidScan", err)
	}
}
