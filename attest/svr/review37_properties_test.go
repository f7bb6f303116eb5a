package svr_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/attest/svr"
)

// TestReview37PropertiesRepeatFound: the faster repeat check still names
// the first property that repeats an earlier one, wherever it is.
func TestReview37PropertiesRepeatFound(t *testing.T) {
	t.Parallel()
	many := make([]string, 100)
	for i := range many {
		many[i] = fmt.Sprintf("P%d", i)
	}
	for _, tc := range []struct {
		name  string
		props []string
		field string // "" when valid
	}{
		{"none", []string{}, ""},
		{"distinct", []string{"A", "B", "C"}, ""},
		{"adjacent", []string{"A", "A"}, "properties[1]"},
		{"apart", []string{"B", "A", "C", "A"}, "properties[3]"},
		{"first repeat wins", []string{"C", "B", "A", "B", "C"}, "properties[3]"},
		{"many distinct", many, ""},
		{"many, repeat late", append(append([]string{}, many...), "P7"), "properties[100]"},
		{"many, two repeats", append(append(append([]string{}, many...), "P99"), "P0"), "properties[100]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := svr.Result{Verifier: svr.Verifier{ID: "https://v.example"}, TimeCreated: time.Unix(1_700_000_000, 0), Properties: tc.props}
			err := r.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var fe *svr.FieldError
			if !errors.Is(err, svr.ErrBadValue) || !errors.As(err, &fe) || fe.Field != tc.field {
				t.Fatalf("Validate: %v, want ErrBadValue at %s", err, tc.field)
			}
		})
	}
}

// TestReview37ElementFloodIsTooLarge: a predicate with more array elements
// than its size allows was refused as ErrMalformed, though the package
// documents an oversized predicate as ErrTooLarge (as secretsprov reports
// the same refusal); a consumer telling a flood from a broken document
// misfiled it.
func TestReview37ElementFloodIsTooLarge(t *testing.T) {
	t.Parallel()
	doc := `{"verifier":{"id":"https://v.example"},"timeCreated":"2026-03-01T12:00:00Z","properties":["a"` +
		strings.Repeat(`,"a"`, svr.MaxSize/5) + `]}`
	if _, err := svr.ParsePredicate([]byte(doc)); !errors.Is(err, svr.ErrTooLarge) {
		t.Fatalf("ParsePredicate: %v, want ErrTooLarge", err)
	}
}

// TestReview37PropertyInvisibleCharacters: the package refuses a property
// that "holds white space or control characters", but its pattern listed
// only ASCII, U+0085, U+00A0, U+2028 and U+2029: a property with an em
// space, an ideographic space, a C1 control such as U+009B (the 8-bit
// CSI a terminal reads as an escape), a zero-width space or a bidi
// override was accepted, so "ZTCI_POLICY_ALLOWED\u200b" reads to a person
// as the allow it is not. Every Unicode white space, control (Cc) and
// format (Cf) character is now refused, in verifier.id as well.
func TestReview37PropertyInvisibleCharacters(t *testing.T) {
	t.Parallel()
	const ok = `{"verifier":{"id":"https://v.example"},"timeCreated":"2026-03-01T12:00:00Z","properties":["A"]}`
	for _, tc := range []struct{ name, r string }{
		{"em space", `\u2003`}, {"ideographic space", `\u3000`}, {"ogham space", `\u1680`},
		{"narrow nbsp", `\u202f`}, {"C1 CSI", `\u009b`}, {"C1 NEL", `\u0085`}, {"C1 PAD", `\u0080`},
		{"zero width space", `\u200b`}, {"zero width joiner", `\u200d`}, {"bidi override", `\u202e`},
		{"bidi isolate", `\u2066`}, {"byte order mark", `\ufeff`}, {"soft hyphen", `\u00ad`},
		{"tag character", `\udb40\udc41`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			prop := strings.Replace(ok, `["A"]`, `["`+svr.PropertyAllowed+tc.r+`"]`, 1)
			var fe *svr.FieldError
			if _, err := svr.ParsePredicate([]byte(prop)); !errors.Is(err, svr.ErrBadValue) || !errors.As(err, &fe) || fe.Field != "properties[0]" {
				t.Errorf("property: %v, want ErrBadValue at properties[0]", err)
			}
			id := strings.Replace(ok, `https://v.example`, `https://v.example/`+tc.r, 1)
			if _, err := svr.ParsePredicate([]byte(id)); !errors.Is(err, svr.ErrBadValue) || !errors.As(err, &fe) || fe.Field != "verifier.id" {
				t.Errorf("verifier.id: %v, want ErrBadValue at verifier.id", err)
			}
			r := svr.Result{Verifier: svr.Verifier{ID: "https://v.example"}, TimeCreated: time.Unix(1_700_000_000, 0),
				Properties: []string{"X" + decode(t, tc.r)}}
			if _, err := svr.Predicate(r).PredicateJSON(); !errors.Is(err, svr.ErrBadValue) {
				t.Errorf("Predicate wrote it: %v, want ErrBadValue", err)
			}
		})
	}
	// Printable text beyond ASCII is still a property.
	for _, p := range []string{"SSDF-PS.2.1", "contrôle-4", "検証済み", "A:B/C#D"} {
		r := svr.Result{Verifier: svr.Verifier{ID: "https://v.example/é"}, TimeCreated: time.Unix(1_700_000_000, 0), Properties: []string{p}}
		if err := r.Validate(); err != nil {
			t.Errorf("%q: %v", p, err)
		}
	}
}

func decode(t *testing.T, escaped string) string {
	t.Helper()
	var s string
	if err := json.Unmarshal([]byte(`"`+escaped+`"`), &s); err != nil {
		t.Fatal(err)
	}
	return s
}
