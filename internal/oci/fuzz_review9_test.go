package oci

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ztci/ztci/internal/strictjson"
)

// FuzzReview9CheckArtifactJSON checks CheckArtifactJSON, which a signed
// policy bundle's manifest is read through since today, against
// encoding/json's tokenizer and against ParseArtifact. Properties: it never
// panics; a refusal is a syntax error, strictjson.ErrNotUnicode or
// strictjson.ErrAmbiguous; what it accepts is valid JSON read as Unicode
// text with no two members of one object equal under case folding and no
// manifest member spelt in another case at its place (review9Read); on
// valid JSON it agrees with ParseArtifact's own check: a manifest
// ParseArtifact accepts, it accepts.
func FuzzReview9CheckArtifactJSON(f *testing.F) {
	const d = `"sha256:0000000000000000000000000000000000000000000000000000000000000000"`
	for _, s := range []string{
		`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.ztci.policy.bundle.v1","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":` + d + `,"size":2},"layers":[{"mediaType":"application/vnd.ztci.policy.layer.v1.tar+gzip","digest":` + d + `,"size":10,"annotations":{"org.opencontainers.image.title":"policy.tar.gz"}}],"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":` + d + `,"size":1},"annotations":{"a":"b"}}`,
		`{"schemaVersion":2,"layers":[],"Layers":[{"digest":` + d + `}]}`,
		`{"schemaVersion":2,"subject":{"digest":` + d + `},"subject":{"digest":"sha256:1"}}`,
		`{"schemaVersion":2,"config":{"mediaType":"a","MediaType":"b"}}`,
		`{"schemaVersion":2,"annotations":{"k":"1","K":"2"}}`,
		`{"schemaVersion":2,"annotations":{"k":"\udc00"}}`,
		`{"schemaVersion":2,"layers":[{"platform":{"os":"linux","OS":"windows"}}]}`,
		"{\"schemaVersion\":2,\"artifactType\":\"a\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := CheckArtifactJSON(b)
		var syntax *json.SyntaxError
		if err != nil && !errors.As(err, &syntax) && !errors.Is(err, strictjson.ErrNotUnicode) && !errors.Is(err, strictjson.ErrAmbiguous) {
			t.Fatalf("untyped refusal %T: %v", err, err)
		}
		valid := json.Valid(b)
		if err == nil {
			if !valid {
				t.Fatalf("accepted %q, which is not JSON", b)
			}
			r := review9Read(b, reflect.TypeFor[ArtifactManifest]())
			if r.notUnicode || r.repeated != "" || r.folded != "" || r.caseVariant != "" {
				t.Fatalf("accepted an ambiguous manifest (%+v): %q", r, b)
			}
		}
		if !valid {
			return
		}
		_, perr := ParseArtifact(b)
		if perr == nil && err != nil {
			t.Fatalf("ParseArtifact accepts %q, CheckArtifactJSON refuses it: %v", b, err)
		}
		if perr != nil && !errors.Is(perr, ErrMalformed) {
			t.Fatalf("ParseArtifact error outside ErrMalformed: %v", perr)
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
