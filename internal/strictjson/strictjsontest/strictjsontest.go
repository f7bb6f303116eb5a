// Package strictjsontest is the fuzz targets' independent reader of JSON:
// what encoding/json's tokenizer sees of a document, against which the
// targets check that whatever a strict parser of this module accepts no
// other reader could read otherwise. It shares no code with strictjson.
// It also builds the member floods, and measures the allocations, that
// the tests of the bounded decoders assert on (flood.go).
package strictjsontest

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"unicode/utf8"
)

// Reading is what an independent reader, encoding/json's tokenizer,
// sees of a JSON document: whether its text is Unicode, the first two
// member names of one object equal under strings.EqualFold (exactly equal
// included), and the first member name at a position of t's structs spelt
// like one of the struct's fields in another case.
type Reading struct {
	NotUnicode  bool
	Repeated    string // exactly equal names
	Folded      string // equal under case folding, not exactly
	CaseVariant string
}

// Ambiguous reports whether another reader could read the document
// differently: text that is not Unicode, or any of the name collisions.
func (r Reading) Ambiguous() bool {
	return r.NotUnicode || r.Repeated != "" || r.Folded != "" || r.CaseVariant != ""
}

// Read reads b, valid JSON, as a value of type t (nil: free-form).
// Maps and types that decode themselves are free-form (checked against
// their own names only), as strictjson.SchemaOf has it.
func Read(b []byte, t reflect.Type) Reading {
	var r Reading
	if !utf8.Valid(b) {
		r.NotUnicode = true
		return r
	}
	// encoding/json reads an escaped lone surrogate as U+FFFD: a decoded
	// U+FFFD that the text does not spell is one.
	spelt := bytes.Contains(b, []byte("\uFFFD")) || bytes.Contains(bytes.ToLower(b), []byte("fffd"))
	text := func(s string) {
		if !spelt && strings.ContainsRune(s, utf8.RuneError) {
			r.NotUnicode = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var walk func(t reflect.Type) bool
	walk = func(t reflect.Type) bool {
		t = shape(t)
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch v := tok.(type) {
		case string:
			text(v)
		case json.Delim:
			var known map[string]reflect.Type
			var elem reflect.Type
			if t != nil && t.Kind() == reflect.Struct {
				known = fields(t, map[string]reflect.Type{})
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
					case n == k && r.Repeated == "":
						r.Repeated = k
					case n != k && strings.EqualFold(n, k) && r.Folded == "":
						r.Folded = n + " " + k
					}
				}
				names = append(names, k)
				ft, ok := known[k]
				if !ok {
					for n := range known {
						if strings.EqualFold(n, k) && r.CaseVariant == "" {
							r.CaseVariant = k
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

// shape is t through pointers, or nil for a free-form value.
func shape(t reflect.Type) reflect.Type {
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

// fields adds the JSON member names of struct t's fields to m, as
// encoding/json names them.
func fields(t reflect.Type, m map[string]reflect.Type) map[string]reflect.Type {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case tag == "-":
		case f.Anonymous && tag == "" && shape(f.Type) != nil && shape(f.Type).Kind() == reflect.Struct:
			fields(shape(f.Type), m)
		case !f.IsExported():
		case tag != "":
			m[tag] = f.Type
		default:
			m[f.Name] = f.Type
		}
	}
	return m
}
