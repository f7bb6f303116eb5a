package svr_test

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	svrpb "github.com/in-toto/attestation/go/predicates/svr/v01"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/svr"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func readStatement(t testing.TB, name string) *attest.Statement {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	st, err := attest.ParseStatement(b)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// The specification's three examples read, and write back to what reads
// the same.
func TestSpecExamples(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file, verifier string
		props          int
		policy         string
	}{
		{"spec-example-basic.json", "https://example.com/publication_verifier/v2", 5, ""},
		{"spec-example-time-bounded.json", "https://example.com/security_scanner/v3", 3, ""},
		{"spec-example-policy.json", "https://example.com/policy_engine/v1", 2, "https://example.com/policies/production-deployment"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			r, err := svr.FromStatement(readStatement(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if r.Verifier.ID != tc.verifier || len(r.Properties) != tc.props {
				t.Fatalf("read %+v", r)
			}
			if got := ""; r.Verifier.Policy != nil {
				got = r.Verifier.Policy.URI
				if got != tc.policy {
					t.Fatalf("policy %q, want %q", got, tc.policy)
				}
			} else if tc.policy != "" {
				t.Fatal("policy not read")
			}
			stable(t, r)
		})
	}
}

// The in-toto project's generated type for this predicate reads what this
// package writes (protojson, strictly: an unknown member would fail) to
// the same values. The generated type's verifier.policy is a protobuf Any,
// which protojson reads only with an "@type" member: it cannot read the
// specification's own policy example, which is why this package keeps its
// own type (see the package documentation).
func TestAgreesWithGeneratedType(t *testing.T) {
	t.Parallel()
	r, err := svr.FromDecision("https://gate.example/prod", svr.Decision{Allowed: true, Time: t0.Add(123 * time.Millisecond), Passed: []string{"SSDF-PS.2.1"}})
	if err != nil {
		t.Fatal(err)
	}
	r.Verifier.Policy = nil
	raw, err := svr.Predicate(r).PredicateJSON()
	if err != nil {
		t.Fatal(err)
	}
	var pb svrpb.SimpleVerificationResult
	if err := protojson.Unmarshal(raw, &pb); err != nil {
		t.Fatalf("protojson: %v\n%s", err, raw)
	}
	if pb.GetVerifier().GetId() != r.Verifier.ID || !pb.GetTimeCreated().AsTime().Equal(r.TimeCreated) ||
		strings.Join(pb.GetProperties(), ",") != strings.Join(r.Properties, ",") {
		t.Fatalf("generated type read %v from %s", &pb, raw)
	}
	var spec struct{ Predicate json.RawMessage }
	b, _ := os.ReadFile("testdata/spec-example-policy.json")
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	if err := protojson.Unmarshal(spec.Predicate, &svrpb.SimpleVerificationResult{}); err == nil {
		t.Fatal("protojson now reads the specification's policy example: reconsider using the generated type")
	}
}

func TestFromDecision(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		d     svr.Decision
		props []string
	}{
		{"clean allow", svr.Decision{Allowed: true, Time: t0, PolicyRevision: "rev-1"}, []string{svr.PropertyAllowed}},
		{"allow with passed controls", svr.Decision{Allowed: true, Time: t0, Passed: []string{"SSDF-PS.2.1", "SLSA-BUILD-L1.provenance-exists"}},
			[]string{svr.PropertyAllowed, "SSDF-PS.2.1", "SLSA-BUILD-L1.provenance-exists"}},
		{"warn-mode allow with violations", svr.Decision{Allowed: true, Rules: []string{"deploy.scan_missing"}, Time: t0, Passed: []string{"SSDF-PS.2.1"}}, []string{"SSDF-PS.2.1"}},
		{"deny", svr.Decision{Allowed: false, Rules: []string{"deploy.unverified"}, Time: t0}, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := svr.FromDecision("https://gate.example/prod", tc.d)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(r.Properties, ",") != strings.Join(tc.props, ",") || r.Properties == nil {
				t.Fatalf("properties %q, want %q", r.Properties, tc.props)
			}
			if r.PolicyRevision() != tc.d.PolicyRevision {
				t.Fatalf("revision %q", r.PolicyRevision())
			}
			stable(t, &r)
		})
	}
	for _, bad := range []svr.Decision{
		{Allowed: true}, // no time
		{Allowed: true, Time: t0, Passed: []string{"a b"}},               // white space
		{Allowed: true, Time: t0, Passed: []string{svr.PropertyAllowed}}, // twice
		// A denied (or warn-mode) decision whose passed controls spell
		// the allow property would read as allowed.
		{Allowed: false, Rules: []string{"deploy.unverified"}, Time: t0, Passed: []string{svr.PropertyAllowed}},
		{Allowed: true, Rules: []string{"deploy.scan_missing"}, Time: t0, Passed: []string{"SSDF-PS.2.1", svr.PropertyAllowed}},
	} {
		if _, err := svr.FromDecision("https://gate.example/prod", bad); !errors.Is(err, svr.ErrInvalid) {
			t.Errorf("FromDecision(%+v) = %v, want ErrInvalid", bad, err)
		}
	}
	if _, err := svr.FromDecision("gate", svr.Decision{Allowed: true, Time: t0}); !errors.Is(err, svr.ErrBadValue) {
		t.Errorf("relative verifier id: %v", err)
	}
}

func TestParsePredicateRefuses(t *testing.T) {
	t.Parallel()
	const ok = `{"verifier":{"id":"https://v.example"},"timeCreated":"2026-03-01T12:00:00Z","properties":["A"]}`
	if _, err := svr.ParsePredicate([]byte(ok)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, doc string
		want      error
	}{
		{"not an object", `[]`, svr.ErrMalformed},
		{"repeated member", strings.Replace(ok, `"properties"`, `"properties":["B"],"properties"`, 1), svr.ErrMalformed},
		{"case variant", strings.Replace(ok, `"timeCreated"`, `"TimeCreated"`, 1), svr.ErrMalformed},
		{"null", strings.Replace(ok, `["A"]`, `null`, 1), svr.ErrMalformed},
		{"wrong type", strings.Replace(ok, `["A"]`, `"A"`, 1), svr.ErrMalformed},
		{"no verifier id", strings.Replace(ok, `"id":"https://v.example"`, `"https://ext.example/x":1`, 1), svr.ErrMissingField},
		{"no time", strings.Replace(ok, `"timeCreated":"2026-03-01T12:00:00Z",`, ``, 1), svr.ErrMissingField},
		{"no properties", strings.Replace(ok, `,"properties":["A"]`, ``, 1), svr.ErrMissingField},
		{"unknown member", strings.Replace(ok, `"properties"`, `"colour":"red","properties"`, 1), svr.ErrUnknownField},
		{"unknown verifier member", strings.Replace(ok, `"id":`, `"version":"1","id":`, 1), svr.ErrUnknownField},
		{"bad time", strings.Replace(ok, `2026-03-01T12:00:00Z`, `2026-03-01 12:00`, 1), svr.ErrBadValue},
		{"relative verifier", strings.Replace(ok, `https://v.example`, `v.example`, 1), svr.ErrBadValue},
		{"empty property", strings.Replace(ok, `["A"]`, `[""]`, 1), svr.ErrBadValue},
		{"property with space", strings.Replace(ok, `["A"]`, `["A B"]`, 1), svr.ErrBadValue},
		{"property twice", strings.Replace(ok, `["A"]`, `["A","A"]`, 1), svr.ErrBadValue},
		{"policy without uri name or digest", strings.Replace(ok, `"id":`, `"policy":{},"id":`, 1), svr.ErrBadValue},
		{"policy not an object", strings.Replace(ok, `"id":`, `"policy":"p","id":`, 1), svr.ErrMalformed},
		{"invalid UTF-8", strings.Replace(ok, `"A"`, "\"\xff\"", 1), svr.ErrMalformed},
		{"too large", `{"properties":["` + strings.Repeat("A", svr.MaxSize) + `"]}`, svr.ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := svr.ParsePredicate([]byte(tc.doc))
			var fe *svr.FieldError
			if !errors.Is(err, tc.want) || !errors.As(err, &fe) {
				t.Fatalf("err = %v, want %v as a *FieldError", err, tc.want)
			}
		})
	}
	// Extensions named by a URI are accepted and ignored.
	ext := strings.Replace(ok, `"properties"`, `"https://ext.example/note":{"a":1},"properties"`, 1)
	if _, err := svr.ParsePredicate([]byte(ext)); err != nil {
		t.Fatalf("extension refused: %v", err)
	}
	if _, err := svr.FromStatement(&attest.Statement{PredicateType: "https://slsa.dev/verification_summary/v1", Predicate: []byte(ok)}); !errors.Is(err, svr.ErrPredicateType) {
		t.Fatalf("other predicate type: %v", err)
	}
}
