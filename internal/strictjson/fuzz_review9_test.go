package strictjson

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ztci/ztci/internal/strictjson/strictjsontest"
)

// review9Doc is a document shape for the schema check: nested structs, a
// slice of structs, a map and a free-form member.
type review9Doc struct {
	Image  string `json:"image"`
	Digest struct {
		Alg   string `json:"alg"`
		Value string `json:"value"`
	} `json:"digest"`
	Layers []struct {
		MediaType string `json:"mediaType"`
	} `json:"layers"`
	Annotations map[string]string `json:"annotations"`
	Raw         json.RawMessage   `json:"raw"`
}

// FuzzReview9Unicode checks every check of this package against
// encoding/json, an independent reader, on whole documents:
//   - no check panics, and each error is a syntax error, ErrNotUnicode or a
//     *MemberError wrapping ErrAmbiguous (whose message quotes at most
//     maxQuote bytes of each name);
//   - what a check accepts is Unicode text (UTF-8, no escaped lone
//     surrogate, i.e. encoding/json decodes no U+FFFD the text does not
//     spell) without two members of one object equal under case folding
//     (Check) or exactly (CheckRepeats), and with no member at a struct
//     position spelt like one of the struct's fields in another case
//     (Schema.Check);
//   - ErrNotUnicode is returned only for text that is not Unicode;
//   - on valid JSON, the unvalidated checks agree with the validated ones.
func FuzzReview9Unicode(f *testing.F) {
	for _, s := range []string{
		`{"image":"reg.example/app:v1","digest":{"alg":"sha256","value":"ab"}}`,
		"{\"image\":\"reg.example/app:v1\xff\"}",
		`{"image":"reg.example/app\ud800"}`,
		`{"image":"\ud83d\ude00","layers":[{"mediaType":"a"},{"MediaType":"b"}]}`,
		`{"annotations":{"A":"1","a":"2"}}`,
		`{"annotations":{"Image":"1"},"raw":{"IMAGE":1,"Digest":{"ALG":1}}}`,
		`{"\u0069mage":"x","IMAGE":"y"}`,
		`{"a":"\ufffd","b":"` + "\uFFFD" + `"}`,
		`{"a":"\\ud800","k":"\u212a","K":1}`,
		`["\\\ud800",{"x":{"y":"\uDBFF\uDFFF"}}]`,
		`{"s\u017f":1,"S":2,"ss":3}`,
		`{"` + strings.Repeat("n", 300) + `":1,"` + strings.Repeat("N", 300) + `":2}`,
		// Numbers are not this package's to judge: readers differ on
		// them (float64 against json.Number), and the checks must
		// neither refuse nor misread names around them.
		`{"image":1e400,"digest":{"alg":-0,"value":1.0}}`,
		`{"layers":[{"mediaType":9007199254740993}],"annotations":{"a":"1E+2","A":1}}`,
		// A BOM, a NUL and a second value are not JSON; trailing
		// whitespace is.
		"\xef\xbb\xbf{\"image\":\"x\"}",
		"{\"image\":\"x\"}\x00",
		`{"image":"x"} {"IMAGE":"y"}`,
		"{\"image\":\"x\"} \t\r\n",
		`{"\u0061nnotations":{},"annotations":{}}`,
	} {
		f.Add([]byte(s))
	}
	schema := SchemaOf(reflect.TypeFor[review9Doc]())
	f.Fuzz(func(t *testing.T, b []byte) {
		valid := json.Valid(b)
		var r strictjsontest.Reading
		if valid {
			r = strictjsontest.Read(b, reflect.TypeFor[review9Doc]())
		}
		type check struct {
			name      string
			err       error
			validates bool
			exact     bool
			schema    bool
		}
		checks := []check{
			{"Check", Check(b), true, false, false},
			{"CheckUnvalidated", CheckUnvalidated(b), false, false, false},
			{"CheckRepeats", CheckRepeats(b), true, true, false},
			{"Schema.Check", schema.Check(b), true, false, true},
			{"Schema.CheckUnvalidated", schema.CheckUnvalidated(b), false, false, true},
			{"Schema.CheckRepeats", schema.CheckRepeats(b), true, true, true},
		}
		for _, c := range checks {
			var syntax *json.SyntaxError
			var member *MemberError
			switch {
			case c.err == nil:
			case errors.As(c.err, &member):
				if !errors.Is(c.err, ErrAmbiguous) {
					t.Fatalf("%s: MemberError not wrapping ErrAmbiguous: %v", c.name, c.err)
				}
				if n := len(c.err.Error()); n > 3*(4*maxQuote+8)+128 {
					t.Fatalf("%s: %d-byte message: names are not clipped", c.name, n)
				}
			case errors.Is(c.err, ErrNotUnicode):
				if valid && !r.NotUnicode {
					t.Fatalf("%s(%q) = %v, but the text is Unicode", c.name, b, c.err)
				}
			case errors.As(c.err, &syntax) || errors.Is(c.err, errInvalid):
				if valid {
					t.Fatalf("%s: syntax error on valid JSON %q: %v", c.name, b, c.err)
				}
			default:
				t.Fatalf("%s: untyped error %T: %v", c.name, c.err, c.err)
			}
			if c.validates && !valid && c.err == nil {
				t.Fatalf("%s accepted invalid JSON %q", c.name, b)
			}
			if !valid {
				continue
			}
			refused := c.err != nil
			switch {
			case r.NotUnicode && !refused:
				t.Fatalf("%s accepted %q, which is not Unicode text", c.name, b)
			case r.Repeated != "" && !refused:
				t.Fatalf("%s accepted %q, which repeats %q", c.name, b, r.Repeated)
			case !c.exact && r.Folded != "" && !refused:
				t.Fatalf("%s accepted %q, whose names %s are equal under case folding", c.name, b, r.Folded)
			case c.schema && !c.exact && r.CaseVariant != "" && !refused:
				t.Fatalf("%s accepted %q, which spells a field as %q", c.name, b, r.CaseVariant)
			}
		}
		if valid {
			if (checks[0].err == nil) != (checks[1].err == nil) {
				t.Fatalf("Check = %v but CheckUnvalidated = %v on valid JSON %q", checks[0].err, checks[1].err, b)
			}
			if (checks[3].err == nil) != (checks[4].err == nil) {
				t.Fatalf("Schema.Check = %v but Schema.CheckUnvalidated = %v on valid JSON %q", checks[3].err, checks[4].err, b)
			}
		}
	})
}
