package vex_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest/vex"
)

// TestReview6StatementSubjectCaseVariant: a VEX statement without products
// inherits the in-toto Statement's subjects. A Statement holding "subject"
// and "Subject" gives it one artifact for Parse (the exact name) and
// another for encoding/json readers (the last): the package promises to
// refuse a member name in another case at any depth.
func TestReview6StatementSubjectCaseVariant(t *testing.T) {
	t.Parallel()
	doc := `{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.com/vex-1","author":"a","timestamp":"2023-01-08T18:02:03Z","version":1,` +
		`"statements":[{"vulnerability":{"name":"CVE-2023-12345"},"status":"not_affected","justification":"component_not_present"}]}`
	digest := func(c string) string { return `[{"digest":{"sha256":"` + strings.Repeat(c, 64) + `"}}]` }
	st := `{"_type":"https://in-toto.io/Statement/v1","subject":` + digest("a") + `,"predicateType":"` + vex.PredicateType + `","predicate":` + doc + `}`
	if _, err := vex.Parse([]byte(st)); err != nil {
		t.Fatalf("valid statement: %v", err)
	}
	bad := strings.Replace(st, `"predicateType"`, `"Subject":`+digest("b")+`,"predicateType"`, 1)
	if d, err := vex.Parse([]byte(bad)); !errors.Is(err, vex.ErrInvalid) {
		t.Fatalf("err = %v (document %+v), want ErrInvalid", err, d)
	}
}
