package vuln

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/internal/strictjson/strictjsontest"
)

// FuzzReview9PredicateSchema checks the schema reading of the
// vulnerability predicate added today. Properties: ParseScan never panics
// and refuses with ErrInvalidScan (or the predicate and statement errors);
// a predicate it accepts is valid JSON that encoding/json's tokenizer
// reads as Unicode text with no two members of one object equal under case
// folding and no member the spec names spelt in another case at its place
// (strictjsontest.Read), so every reader of the signed predicate sees the findings
// the gate decides on; and what it accepts, Predicate writes back to the
// same scan.
func FuzzReview9PredicateSchema(f *testing.F) {
	for _, s := range []string{
		`{"scanner":{"uri":"pkg:github/aquasecurity/trivy@0.50.0","version":"0.50.0","result":[{"id":"CVE-2024-1","severity":[{"method":"nvd","score":"9.8"}],"annotations":[{"alias":"GHSA-1"}]}]},"metadata":{"scanStartedOn":"2026-01-02T03:04:00Z","scanFinishedOn":"2026-01-02T03:04:05Z"}}`,
		`{"scanner":{"uri":"u","result":[],"Result":[{"id":"CVE-2021-44228"}]},"metadata":{"scanFinishedOn":"2026-01-02T03:04:05Z"}}`,
		`{"Scanner":{"uri":"u","result":[]},"scanner":{"uri":"u","result":[]},"metadata":{"scanFinishedOn":"2026-01-02T03:04:05Z"}}`,
		`{"scanner":{"uri":"u","result":[{"id":"CVE-1","ID":"CVE-2"}]},"metadata":{"scanFinishedOn":"2026-01-02T03:04:05Z"}}`,
		`{"scanner":{"uri":"u","result":[{"id":"CVE-1","annotations":[{"fixedVersion":"1","FixedVersion":"2"}]}]},"metadata":{"scanFinishedOn":"2026-01-02T03:04:05Z"}}`,
		`{"scanner":{"uri":"u","result":[{"id":"CVE-\ud800"}]},"metadata":{"scanFinishedOn":"2026-01-02T03:04:05Z"}}`,
		`{"scanner":{"uri":"u","result":[]},"metadata":{"scanFinishedOn":"2026-01-02T03:04:05Z","SCANFINISHEDON":"2030-01-01T00:00:00Z"}}`,
		// ztci scores and methods not spelt as the writer writes them (review 25).
		`{"scanner":{"uri":"u","result":[{"id":"CVE-1","severity":[{"method":"ztci","score":"CRITICAL "}]}]},"metadata":{"scanFinishedOn":"2026-01-02T03:04:05Z"}}`,
		`{"scanner":{"uri":"u","result":[{"id":"CVE-1","severity":[{"method":"ztci","score":"Moderate"}]}]},"metadata":{"scanFinishedOn":"2026-01-02T03:04:05Z"}}`,
		`{"scanner":{"uri":"u","result":[{"id":"CVE-1","severity":[{"method":"ztci","score":"critical"},{"method":"ZTCI","score":"low"}]}]},"metadata":{"scanFinishedOn":"2026-01-02T03:04:05Z"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseScan(b)
		if err != nil {
			if !errors.Is(err, ErrInvalidScan) && !errors.Is(err, attest.ErrInvalidPredicate) && !errors.Is(err, attest.ErrInvalidStatement) {
				t.Fatalf("error outside the predicate errors: %v", err)
			}
			return
		}
		if !json.Valid(b) {
			t.Fatalf("accepted a predicate that is not JSON: %q", b)
		}
		checkExactScores(t, b)
		r := strictjsontest.Read(b, reflect.TypeFor[predicateJSON]())
		if r.Ambiguous() {
			t.Fatalf("accepted an ambiguous predicate (%+v): %q", r, b)
		}
		raw, err := Predicate(*s).PredicateJSON()
		if err != nil {
			t.Fatalf("Predicate(ParseScan(b)): %v", err)
		}
		again, err := ParseScan(raw)
		if err != nil || !reflect.DeepEqual(again, s) {
			t.Fatalf("round trip: %v\n got %#v\nwant %#v", err, again, s)
		}
	})
}

// checkExactScores fails unless every SeverityMethod score and method in
// the accepted input b (a predicate or a Statement) is spelt exactly as
// Predicate writes it, so a reader comparing the signed strings exactly
// sees the severity ParseScan read.
func checkExactScores(t *testing.T, b []byte) {
	t.Helper()
	var st struct {
		Predicate json.RawMessage `json:"predicate"`
	}
	if err := json.Unmarshal(b, &st); err == nil && st.Predicate != nil {
		b = st.Predicate
	}
	var p predicateJSON
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("accepted predicate does not decode: %v", err)
	}
	for _, r := range p.Scanner.Result {
		for _, sv := range r.Severity {
			if strings.EqualFold(strings.TrimSpace(sv.Method), SeverityMethod) && (sv.Method != SeverityMethod || !Severity(sv.Score).valid()) {
				t.Fatalf("accepted severity %+v not spelt as written", sv)
			}
		}
	}
}
