package vuln

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ztci/ztci/attest"
)

// FuzzReview9PredicateSchema checks the schema reading of the
// vulnerability predicate added today. Properties: ParseScan never panics
// and refuses with ErrInvalidScan (or the predicate and statement errors);
// a predicate it accepts is valid JSON that encoding/json's tokenizer
// reads as Unicode text with no two members of one object equal under case
// folding and no member the spec names spelt in another case at its place
// (review9Read), so every reader of the signed predicate sees the findings
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
		r := review9Read(b, reflect.TypeFor[predicateJSON]())
		if r.notUnicode || r.repeated != "" || r.folded != "" || r.caseVariant != "" {
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
