package attest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/attest"
)

func TestPredicates(t *testing.T) {
	t.Parallel()
	sub := []attest.ResourceDescriptor{{Name: "a", Digest: attest.DigestSet{"sha256": strings.Repeat("0", 64)}}}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("x", 3600))
	early := start.Add(-time.Hour)
	prov := func(f func(*attest.Provenance)) *attest.Provenance {
		p := &attest.Provenance{
			BuildDefinition: attest.BuildDefinition{BuildType: "bt", ExternalParameters: map[string]any{}},
			RunDetails:      attest.RunDetails{Builder: attest.Builder{ID: "b"}, Metadata: &attest.BuildMetadata{StartedOn: &start}},
		}
		if f != nil {
			f(p)
		}
		return p
	}
	tests := []struct {
		name     string
		pred     attest.Predicate
		wantType string
		want     error
		contains string
	}{
		{name: "provenance", pred: prov(nil), wantType: attest.PredicateSLSAProvenanceV1, contains: `"startedOn":"2025-12-31T23:00:00Z"`},
		{name: "provenance finished before started", pred: prov(func(p *attest.Provenance) { p.RunDetails.Metadata.FinishedOn = &early }), want: attest.ErrTimeOrder},
		{name: "provenance bad dependency digest", pred: prov(func(p *attest.Provenance) {
			p.BuildDefinition.ResolvedDependencies = []attest.ResourceDescriptor{{Name: "d", Digest: attest.DigestSet{"sha1": "xyz"}}}
		}), want: attest.ErrDigestEncoding},
		{name: "provenance no builder id", pred: prov(func(p *attest.Provenance) {
			p.RunDetails.Builder = attest.Builder{Version: map[string]string{"a": "1"}}
		}), want: attest.ErrBuilderIDRequired},
		{name: "nil provenance", pred: (*attest.Provenance)(nil), want: attest.ErrBuildDefinitionRequired},
		{name: "spdx", pred: attest.SPDX([]byte(`{"spdxVersion":"SPDX-2.2","SPDXID":"SPDXRef-DOCUMENT"}`)), wantType: "https://spdx.dev/Document/v2.2"},
		{name: "spdx wrong id", pred: attest.SPDX([]byte(`{"spdxVersion":"SPDX-2.3","SPDXID":"x"}`)), want: attest.ErrSBOMFormat},
		{name: "spdx is cyclonedx", pred: attest.SPDX([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.5"}`)), want: attest.ErrSBOMFormat},
		{name: "spdx not json", pred: attest.SPDX([]byte("SPDXVersion: SPDX-2.3")), want: attest.ErrPredicateNotJSON},
		{name: "spdx duplicate keys", pred: attest.SPDX([]byte(`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","SPDXID":"x"}`)), want: attest.ErrPredicateNotJSON},
		{name: "cyclonedx", pred: attest.CycloneDX([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[]}`)), wantType: attest.PredicateCycloneDX},
		{name: "cyclonedx xml", pred: attest.CycloneDX([]byte(`<bom xmlns="http://cyclonedx.org/schema/bom/1.5"/>`)), want: attest.ErrPredicateNotJSON},
		{name: "cyclonedx array", pred: attest.CycloneDX([]byte(`[]`)), want: attest.ErrPredicateNotJSON},
		{name: "test result", pred: &attest.TestResult{Result: attest.TestFailed, FailedTests: []string{"t1"}}, wantType: attest.PredicateTestResult, contains: `"result":"FAILED"`},
		{name: "test result unknown", pred: &attest.TestResult{Result: "OK"}, want: attest.ErrTestResult},
		{name: "custom", pred: attest.Custom("https://example.com/p/v1", []byte(`{"a":1}`)), wantType: "https://example.com/p/v1", contains: `{"a":1}`},
		{name: "custom no type", pred: attest.Custom("", []byte(`{}`)), want: attest.ErrPredicateTypeRequired},
		{name: "custom not object", pred: attest.Custom("x", []byte(`"s"`)), want: attest.ErrPredicateNotJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st, err := attest.NewStatement(sub, tt.pred)
			if tt.want != nil {
				if !errors.Is(err, tt.want) || st != nil {
					t.Fatalf("got %v, want %v", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if st.PredicateType != tt.wantType {
				t.Errorf("predicate type %q, want %q", st.PredicateType, tt.wantType)
			}
			if !strings.Contains(string(st.Predicate), tt.contains) {
				t.Errorf("predicate %s lacks %s", st.Predicate, tt.contains)
			}
			out, _ := json.Marshal(st)
			if _, err := attest.ParseStatement(out); err != nil {
				t.Fatalf("own output does not parse: %v", err)
			}
		})
	}
}

func TestSubjects(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hello.txt")
	if err := os.WriteFile(path, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	sub, err := attest.SubjectFromFile(t.Context(), path, attest.AlgSHA256, attest.AlgSHA384)
	if err != nil {
		t.Fatal(err)
	}
	if sub.Name != "hello.txt" || sub.Digest["sha256"] != "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" || len(sub.Digest["sha384"]) != 96 {
		t.Fatalf("subject %+v", sub)
	}
	if err := sub.Digest.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := attest.SubjectFromFile(t.Context(), filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("missing file gave a subject")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := attest.SubjectFromReader(ctx, "x", strings.NewReader("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: %v", err)
	}
	if _, err := attest.SubjectFromReader(t.Context(), "x", io.MultiReader(strings.NewReader("x"), errReader{})); err == nil {
		t.Fatal("read error ignored")
	}
	for _, tt := range []struct {
		name   string
		digest string
		want   error
	}{
		{name: "sha512 ok", digest: "sha512:" + strings.Repeat("a", 128)},
		{name: "sha1 not OCI", digest: "sha1:" + strings.Repeat("a", 40), want: attest.ErrUnknownAlgorithm},
		{name: "garbage", digest: "latest", want: attest.ErrUnknownAlgorithm},
	} {
		_, err := attest.SubjectFromOCI("r/app", attest.OCIDescriptor{Digest: tt.digest})
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }
