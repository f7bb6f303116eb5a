package verify_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/verify"
)

const (
	slsaDir            = "testdata/slsa"
	githubIssuer       = "https://token.actions.githubusercontent.com"
	generatorSANRegexp = `https://github\.com/slsa-framework/slsa-github-generator/\.github/workflows/(delegator_generic|builder_container-based)_slsa3\.yml@refs/(tags/v[0-9.]+|heads/main)`
	delegatorBuilder   = "https://github.com/slsa-framework/example-trw/.github/workflows/builder_high-perms_slsa3.yml"
	containerBuilder   = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_container-based_slsa3.yml"
	examplePackage     = "github.com/slsa-framework/example-package"
)

var (
	publicGoodOnce sync.Once
	publicGood     root.TrustedMaterial
)

func publicGoodTrust(t testing.TB) root.TrustedMaterial {
	t.Helper()
	publicGoodOnce.Do(func() {
		tm, err := verify.PublicGood()
		if err != nil {
			t.Fatal(err)
		}
		publicGood, err = verify.NewTrust(tm)
		if err != nil {
			t.Fatal(err)
		}
	})
	return publicGood
}

// slsaBundles lists the 38 provenance bundles with their artifact.
func slsaBundles(t *testing.T) (bundles, artifacts []string) {
	t.Helper()
	err := filepath.WalkDir(slsaDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		for _, suf := range []string{".intoto.build.slsa", ".build.slsa", ".intoto.sigstore"} {
			if base, ok := strings.CutSuffix(p, suf); ok {
				bundles = append(bundles, p)
				artifacts = append(artifacts, base)
				return nil
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return bundles, artifacts
}

func builderFor(path string) string {
	if strings.Contains(path, "gha_delegator") {
		return delegatorBuilder
	}
	return containerBuilder
}

func TestSLSAVerifierBundles(t *testing.T) {
	t.Parallel()
	bundles, artifacts := slsaBundles(t)
	if len(bundles) != 38 {
		t.Fatalf("found %d bundles, want 38", len(bundles))
	}
	for i, bp := range bundles {
		t.Run(strings.TrimPrefix(bp, slsaDir+"/"), func(t *testing.T) {
			t.Parallel()
			v, err := verify.New(publicGoodTrust(t), verify.Expectation{
				Signer:        verify.Identity{SANRegexp: generatorSANRegexp, Issuer: githubIssuer},
				PredicateType: attest.PredicateSLSAProvenanceV1,
				Provenance:    &verify.Provenance{BuilderID: builderFor(bp), SourceRepository: examplePackage},
			})
			if err != nil {
				t.Fatal(err)
			}
			b := mustRead(t, bp)
			res, err := v.Verify(t.Context(), b, verify.ArtifactBytes(mustRead(t, artifacts[i])))
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			// The signer (the generator's reusable workflow) and the
			// builder named in the provenance are different identities.
			if strings.Contains(bp, "gha_delegator") && strings.HasPrefix(res.Signer.SAN, delegatorBuilder) {
				t.Errorf("signer %q should not be the provenance builder", res.Signer.SAN)
			}
			if res.Statement == nil || res.Statement.Type != attest.StatementTypeV01 {
				t.Errorf("statement not kept as signed: %+v", res.Statement)
			}
			if len(res.Times) == 0 || res.Times[0].By != verify.TimeByTlog {
				t.Errorf("times: %+v", res.Times)
			}
			// The facts a policy reads are the ones an expectation is
			// matched against, so a policy on them and an expectation agree.
			facts, err := verify.ReadProvenance(res.Statement)
			if err != nil || facts.BuilderID == "" || facts.SourceRepository == "" || facts.SourceDigest == "" {
				t.Fatalf("ReadProvenance = %+v, %v", facts, err)
			}
			checked, err := verify.CheckProvenance(res.Statement, verify.Provenance{
				BuilderID: facts.BuilderID, SourceRepository: facts.SourceRepository, SourceRef: facts.SourceRef})
			if err != nil || !reflect.DeepEqual(checked, facts) {
				t.Errorf("CheckProvenance with the read facts = %+v, %v; want %+v", checked, err, facts)
			}
			// For the delegator, the signer's identity must not be
			// accepted as the builder.
			if !strings.Contains(bp, "gha_delegator") {
				return
			}
			_, err = verify.CheckProvenance(res.Statement, verify.Provenance{BuilderID: strings.SplitN(res.Signer.SAN, "@", 2)[0]})
			if !errors.Is(err, verify.ErrProvenanceMismatch) {
				t.Errorf("signer identity accepted as builder id: %v", err)
			}
		})
	}
}

type policyRow struct {
	Name           string   `json:"name"`
	Artifacts      []string `json:"artifacts"`
	Source         string   `json:"source"`
	Branch         string   `json:"pbranch"`
	Tag            string   `json:"ptag"`
	VersionTag     string   `json:"pversiontag"`
	BuilderID      string   `json:"pBuilderID"`
	Err            string   `json:"err"`
	Expect         string   `json:"expect"`
	NoVersion      bool     `json:"noversion"`
	Builders       []string `json:"builders"`
	ProvenancePath string   `json:"provenancePath"`
}

// TestSLSAPolicyRows runs slsa-verifier's regression policy rows over every
// extracted builder version: each row that must pass passes and each row
// that must fail fails with ErrProvenanceMismatch.
func TestSLSAPolicyRows(t *testing.T) {
	t.Parallel()
	var doc struct {
		Tables map[string][]policyRow `json:"tables"`
	}
	if err := json.Unmarshal(mustRead(t, filepath.Join(slsaDir, "regression_policy_cases.json")), &doc); err != nil {
		t.Fatal(err)
	}
	dirs := map[string]string{"Test_runVerifyGHAArtifactPath": "gha_delegator", "Test_runVerifyGHAContainerBased": "gha_container-based"}
	ran, failRan := 0, 0
	for table, rows := range doc.Tables {
		builderDir := dirs[table]
		versions, err := os.ReadDir(filepath.Join(slsaDir, builderDir))
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			// Rows for other builders or provenance files not extracted
			// (they need the full upstream repository).
			if row.NoVersion || len(row.Builders) > 0 || row.ProvenancePath != "" {
				continue
			}
			for _, ver := range versions {
				for _, art := range row.Artifacts {
					base := filepath.Join(slsaDir, builderDir, ver.Name(), art)
					bp := findBundle(base)
					if bp == "" {
						continue
					}
					ran++
					if row.Expect == "fail" {
						failRan++
					}
					t.Run(table+"/"+row.Name+"/"+ver.Name()+"/"+art, func(t *testing.T) {
						t.Parallel()
						want := verify.Provenance{BuilderID: builderFor(bp), SourceRepository: row.Source}
						if row.BuilderID != "" {
							want.BuilderID = row.BuilderID
						}
						if row.Branch != "" {
							want.SourceRef = "refs/heads/" + row.Branch
						}
						if row.Tag != "" {
							want.SourceRef = "refs/tags/" + row.Tag
						}
						want.SourceVersionTag = row.VersionTag
						v, err := verify.New(publicGoodTrust(t), verify.Expectation{
							Signer:        verify.Identity{SANRegexp: generatorSANRegexp, Issuer: githubIssuer},
							PredicateType: attest.PredicateSLSAProvenanceV1,
							Provenance:    &want,
						})
						if err != nil {
							t.Fatal(err)
						}
						_, err = v.Verify(t.Context(), mustRead(t, bp), verify.ArtifactBytes(mustRead(t, base)))
						switch {
						case row.Expect == "pass" && err != nil:
							t.Fatalf("want pass (%s): %v", row.Err, err)
						case row.Expect == "fail" && err == nil:
							t.Fatalf("want fail (%s), verified", row.Err)
						case row.Expect == "fail" && !errors.Is(err, verify.ErrProvenanceMismatch):
							t.Fatalf("want ErrProvenanceMismatch (%s), got %v", row.Err, err)
						}
						var pm *verify.ProvenanceMismatchError
						if row.Expect == "fail" && (!errors.As(err, &pm) || pm.Want == "" || pm.Field == "") {
							t.Errorf("want a *ProvenanceMismatchError with field and want, got %v", err)
						}
					})
				}
			}
		}
	}
	if ran == 0 || failRan == 0 {
		t.Fatalf("ran %d rows (%d must-fail)", ran, failRan)
	}
	t.Logf("ran %d row×version runs, %d must fail", ran, failRan)
}

func findBundle(base string) string {
	for _, suf := range []string{".intoto.build.slsa", ".build.slsa", ".intoto.sigstore"} {
		if _, err := os.Stat(base + suf); err == nil {
			return base + suf
		}
	}
	return ""
}

func TestSLSAExternalParametersAndBuildType(t *testing.T) {
	t.Parallel()
	bp := filepath.Join(slsaDir, "gha_delegator/v2.1.0/binary-linux-amd64-push-v14.2.build.slsa")
	art := mustRead(t, strings.TrimSuffix(bp, ".build.slsa"))
	tests := []struct {
		name    string
		want    verify.Provenance
		wantErr string // field of the mismatch, "" for success
	}{
		{"inputs match", verify.Provenance{BuilderID: delegatorBuilder, ExternalParameters: map[string]any{"inputs.content": "hello", "inputs.rekor-log-public": false}}, ""},
		{"input differs", verify.Provenance{BuilderID: delegatorBuilder, ExternalParameters: map[string]any{"inputs.content": "hello!"}}, "externalParameters.inputs.content"},
		{"input missing", verify.Provenance{BuilderID: delegatorBuilder, ExternalParameters: map[string]any{"inputs.missing": "x"}}, "externalParameters.inputs.missing"},
		{"build type", verify.Provenance{BuilderID: delegatorBuilder, BuildType: "https://github.com/slsa-framework/slsa-github-generator/delegator-generic@v0"}, ""},
		{"wrong build type", verify.Provenance{BuilderID: delegatorBuilder, BuildType: "https://example.com/other@v1"}, "buildType"},
		{"exact builder with ref", verify.Provenance{BuilderID: delegatorBuilder + "@refs/tags/v2.1.0"}, ""},
		{"builder with other ref", verify.Provenance{BuilderID: delegatorBuilder + "@refs/tags/v2.0.0"}, "builder.id"},
		{"builder prefix is not a match", verify.Provenance{BuilderID: strings.TrimSuffix(delegatorBuilder, ".yml")}, "builder.id"},
		{"tag ref", verify.Provenance{BuilderID: delegatorBuilder, SourceRepository: "https://github.com/slsa-framework/example-package", SourceRef: "refs/tags/v14.2"}, ""},
		{"source suffix attack", verify.Provenance{BuilderID: delegatorBuilder, SourceRepository: "github.com/slsa-framework/example-packag"}, "source.repository"},
	}
	trust := publicGoodTrust(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want := tt.want
			v, err := verify.New(trust, verify.Expectation{
				Signer:        verify.Identity{SANRegexp: generatorSANRegexp, Issuer: githubIssuer},
				PredicateType: attest.PredicateSLSAProvenanceV1,
				Provenance:    &want,
			})
			if err != nil {
				t.Fatal(err)
			}
			_, err = v.Verify(t.Context(), mustRead(t, bp), verify.ArtifactBytes(art))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var pm *verify.ProvenanceMismatchError
			if !errors.As(err, &pm) || pm.Field != tt.wantErr {
				t.Fatalf("want mismatch on %s, got %v", tt.wantErr, err)
			}
		})
	}
}

func mustRead(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadProvenanceRejects(t *testing.T) {
	t.Parallel()
	subject := []attest.ResourceDescriptor{{Name: "a", Digest: attest.DigestSet{"sha256": strings.Repeat("a", 64)}}}
	tests := []struct {
		name string
		st   *attest.Statement
		want error
	}{
		{name: "nil statement", want: verify.ErrPredicateTypeMismatch},
		{name: "not provenance", st: &attest.Statement{Type: attest.StatementTypeV1, Subject: subject,
			PredicateType: attest.PredicateCycloneDX, Predicate: []byte(`{}`)}, want: verify.ErrPredicateTypeMismatch},
		{name: "undecodable predicate", st: &attest.Statement{Type: attest.StatementTypeV1, Subject: subject,
			PredicateType: attest.PredicateSLSAProvenanceV1, Predicate: []byte(`{"buildDefinition":[]}`)}, want: verify.ErrProvenanceMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := verify.ReadProvenance(tt.st); !errors.Is(err, tt.want) {
				t.Errorf("ReadProvenance = %v, want %v", err, tt.want)
			}
		})
	}
}
