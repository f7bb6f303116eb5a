package attest

import (
	"errors"
	"strings"
	"testing"
)

// TestReview6StatementCaseVariantPair: a Statement holding a member and a
// case variant of it in one object ("subject" and "Subject") means one
// thing to ParseStatement (the exact name) and another to a reader that
// matches names as encoding/json does (the last of the two): slsa-verifier
// reads in-toto statements so. It is refused, at the top level, in a
// subject and inside the predicate; a lone variant stays an unknown member.
func TestReview6StatementCaseVariantPair(t *testing.T) {
	t.Parallel()
	other := `[{"digest":{"sha256":"` + strings.Repeat("0", 64) + `"}}]`
	for _, tt := range []struct {
		name string
		in   string
	}{
		{"top level", strings.Replace(validStatement, `"predicateType"`, `"Subject":`+other+`,"predicateType"`, 1)},
		{"top level, variant first", strings.Replace(validStatement, `{"_type"`, `{"SUBJECT":`+other+`,"_type"`, 1)},
		{"predicate type", strings.Replace(validStatement, `"predicate":`, `"PredicateType":"https://example.com/q","predicate":`, 1)},
		{"in a subject", strings.Replace(validStatement, `{"name":"a",`, `{"name":"a","Name":"b",`, 1)},
		{"escaped variant", strings.Replace(validStatement, `"predicateType"`, `"\u0053ubject":`+other+`,"predicateType"`, 1)},
		{"in the predicate", strings.Replace(validStatement, `{"k":"v"}`, `{"k":"v","K":"w"}`, 1)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := ParseStatement([]byte(tt.in)); !errors.Is(err, ErrMalformedJSON) {
				t.Fatalf("err = %v, want ErrMalformedJSON", err)
			}
		})
	}
	// A lone variant is an unknown member, read by nobody as the spec's.
	if _, err := ParseStatement([]byte(strings.Replace(validStatement, `"predicateType"`, `"Extra":1,"predicateType"`, 1))); err != nil {
		t.Fatalf("unknown member: %v", err)
	}
	if _, err := Custom("https://example.com/p", []byte(`{"a":1,"A":2}`)).PredicateJSON(); !errors.Is(err, ErrInvalidPredicate) {
		t.Fatalf("Custom with a case-variant pair: err = %v, want ErrInvalidPredicate", err)
	}
}
