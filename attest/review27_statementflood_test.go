package attest

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ztci/ztci/internal/strictjson/strictjsontest"
)

// TestReview27ParseStatementMemberFlood: a signed statement of 4 to 12 MiB of
// distinct unknown members, at the top level or in a subject, cost
// ParseStatement's strict checks about seven times its size each, twice
// (Check, then CheckBounded): a map of every name, copied and folded. The
// whole parse, checks included, must stay within a few times the
// document. Not parallel: it measures allocations.
func TestReview27ParseStatementMemberFlood(t *testing.T) {
	const n = 400_000 // about 4 MiB; the figures are the same at 12 MiB
	digest := `"digest":{"sha256":"` + string(bytes.Repeat([]byte("a"), 64)) + `"}`
	flood := memberFlood(n)
	for _, tt := range []struct {
		name string
		doc  []byte
	}{
		{"top level", append(append([]byte(`{"_type":"`+StatementTypeV1+`","subject":[{`+digest+`}],"predicateType":"x","predicate":{}`), flood...), '}')},
		{"subject", append(append([]byte(`{"_type":"`+StatementTypeV1+`","predicateType":"x","predicate":{},"subject":[{"name":"n",`+digest), flood...), "}]}"...)},
	} {
		var err error
		got := strictjsontest.Allocated(func() { _, err = ParseStatement(tt.doc) })
		if err != nil {
			t.Fatalf("%s: ParseStatement: %v", tt.name, err)
		}
		t.Logf("%s: %d bytes allocated for %d (%.1fx)", tt.name, got, len(tt.doc), float64(got)/float64(len(tt.doc)))
		if limit := uint64(8 * len(tt.doc)); got > limit {
			t.Errorf("%s: ParseStatement allocated %d bytes for a %d-byte statement, want at most %d", tt.name, got, len(tt.doc), limit)
		}
	}
}

// TestReview27ParseStatementRefusals: checked in one walk, a statement is
// refused with the sentinel it was refused with when the two checks ran
// one after the other: an ambiguous or non-Unicode name is malformed even
// in a statement of more elements than its size allows.
func TestReview27ParseStatementRefusals(t *testing.T) {
	t.Parallel()
	many := bytes.Repeat([]byte("{},"), 40_000)
	head := `{"_type":"` + StatementTypeV1 + `","predicateType":"x","predicate":{},"subject":[`
	for _, tt := range []struct {
		name string
		doc  string
		want error
	}{
		{"too many subjects", head + string(many) + `{}]}`, ErrTooLarge},
		{"too many subjects, then a repeat", head + string(many) + `{}],"x":1,"x":2}`, ErrMalformedJSON},
		{"too many subjects, then a case pair", head + string(many) + `{}],"x":1,"X":2}`, ErrMalformedJSON},
		{"too many subjects, then a lone surrogate", head + string(many) + `{}],"x":"\ud800"}`, ErrMalformedJSON},
		{"too many subjects, then a lone variant", head + string(many) + `{"Name":"n"}]}`, ErrTooLarge},
		{"lone variant", head + `{"Name":"n"}]}`, ErrMalformedJSON},
		{"case pair", head + `{"name":"n","NAME":"m"}]}`, ErrMalformedJSON},
		{"not UTF-8", head + "{\"name\":\"\xff\"}]}", ErrMalformedJSON},
		{"syntax", head + `{]}`, ErrMalformedJSON},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := ParseStatement([]byte(tt.doc)); !errors.Is(err, tt.want) {
				t.Fatalf("ParseStatement = %v, want %v", err, tt.want)
			}
		})
	}
}
