package strictjson

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
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
	} {
		f.Add([]byte(s))
	}
	schema := SchemaOf(reflect.TypeFor[review9Doc]())
	f.Fuzz(func(t *testing.T, b []byte) {
		valid := json.Valid(b)
		var r review9Reading
		if valid {
			r = review9Read(b, reflect.TypeFor[review9Doc]())
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
				if valid && !r.notUnicode {
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
			case r.notUnicode && !refused:
				t.Fatalf("%s accepted %q, which is not Unicode text", c.name, b)
			case r.repeated != "" && !refused:
				t.Fatalf("%s accepted %q, which repeats %q", c.name, b, r.repeated)
			case !c.exact && r.folded != "" && !refused:
				t.Fatalf("%s accepted %q, whose names %s are equal under case folding", c.name, b, r.folded)
			case c.schema && !c.exact && r.caseVariant != "" && !refused:
				t.Fatalf("%s accepted %q, which spells a field as %q", c.name, b, r.caseVariant)
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

// review9Reading is what an independent reader, encoding/json's tokenizer,
// sees of a JSON document: whether its text is Unicode, the first two
// member names of one object equal under strings.EqualFold (exactly equal
// included), and the first member name at a position of t's structs spelt
// like one of the struct's fields in another case.
type review9Reading struct {
	notUnicode  bool
	repeated    string // exactly equal names
	folded      string // equal under case folding, not exactly
	caseVariant string
}

// review9Read reads b, valid JSON, as a value of type t (nil: free-form).
// Maps and types that decode themselves are free-form (checked against
// their own names only), as strictjson.SchemaOf has it.
func review9Read(b []byte, t reflect.Type) review9Reading {
	var r review9Reading
	if !utf8.Valid(b) {
		r.notUnicode = true
		return r
	}
	// encoding/json reads an escaped lone surrogate as U+FFFD: a decoded
	// U+FFFD that the text does not spell is one.
	spelt := bytes.Contains(b, []byte("\uFFFD")) || bytes.Contains(bytes.ToLower(b), []byte("fffd"))
	text := func(s string) {
		if !spelt && strings.ContainsRune(s, utf8.RuneError) {
			r.notUnicode = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var walk func(t reflect.Type) bool
	walk = func(t reflect.Type) bool {
		t = review9Shape(t)
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch v := tok.(type) {
		case string:
			text(v)
		case json.Delim:
			var fields map[string]reflect.Type
			var elem reflect.Type
			if t != nil && t.Kind() == reflect.Struct {
				fields = review9Fields(t, map[string]reflect.Type{})
			}
			if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
				elem = t.Elem()
			}
			var names []string
			for dec.More() {
				if v == '[' {
					if !walk(elem) {
						return false
					}
					continue
				}
				kt, err := dec.Token()
				if err != nil {
					return false
				}
				k := kt.(string)
				text(k)
				for _, n := range names {
					switch {
					case n == k && r.repeated == "":
						r.repeated = k
					case n != k && strings.EqualFold(n, k) && r.folded == "":
						r.folded = n + " " + k
					}
				}
				names = append(names, k)
				ft, ok := fields[k]
				if !ok {
					for n := range fields {
						if strings.EqualFold(n, k) && r.caseVariant == "" {
							r.caseVariant = k
						}
					}
				}
				if !walk(ft) {
					return false
				}
			}
			if _, err := dec.Token(); err != nil {
				return false
			}
		}
		return true
	}
	walk(t)
	return r
}

// review9Shape is t through pointers, or nil for a free-form value.
func review9Shape(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return nil
	}
	um, tu := reflect.TypeFor[json.Unmarshaler](), reflect.TypeFor[encoding.TextUnmarshaler]()
	if t.Implements(um) || reflect.PointerTo(t).Implements(um) || t.Implements(tu) || reflect.PointerTo(t).Implements(tu) {
		return nil
	}
	if t.Kind() == reflect.Map || t.Kind() == reflect.Interface {
		return nil
	}
	return t
}

// review9Fields adds the JSON member names of struct t's fields to m, as
// encoding/json names them.
func review9Fields(t reflect.Type, m map[string]reflect.Type) map[string]reflect.Type {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case tag == "-":
		case f.Anonymous && tag == "" && review9Shape(f.Type) != nil && review9Shape(f.Type).Kind() == reflect.Struct:
			review9Fields(review9Shape(f.Type), m)
		case !f.IsExported():
		case tag != "":
			m[tag] = f.Type
		default:
			m[f.Name] = f.Type
		}
	}
	return m
}
