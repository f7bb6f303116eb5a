package strictjson

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
)

// Schema is what [Schema.Check] knows of a document: at each position, the
// exact member names of an object of known shape (a Go struct), or the
// schema of an array's elements or an object-as-map's values. At a struct
// position a member spelt like one of its fields in another case is
// refused, which is how encoding/json would misread "ACTION" as "action";
// members of free-form objects (maps, json.RawMessage, any) are checked
// only against each other, so a document nested inside another (a bundle
// in a request, a manifest in a policy input) is not held to the outer
// schema's names.
//
// A Schema is immutable and safe for concurrent use.
type Schema struct {
	fields map[string]*Schema // struct: exact JSON name -> member schema
	folded map[string]string  // struct: fold(name) -> name
	elem   *Schema            // slice, array or map element; nil: free-form
	// weight is what decoding one element (slice, array) or member (map)
	// allocates, in bytes; 0 at a struct position. See [Schema.CheckBounded].
	weight int
}

// SchemaOf derives the Schema of values of type t from the member names
// encoding/json gives its fields (json tags, else the field name; fields of
// untagged embedded structs are promoted; "-" is skipped), through
// pointers, slices, arrays and maps. Types that decode themselves
// (json.Unmarshaler, encoding.TextUnmarshaler, json.RawMessage) and
// interfaces are free-form.
func SchemaOf(t reflect.Type) *Schema {
	return schemaOf(t, map[reflect.Type]*Schema{})
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// schemaOf builds the schema of t; seen breaks cycles of recursive types.
func schemaOf(t reflect.Type, seen map[reflect.Type]*Schema) *Schema {
	if s, ok := seen[t]; ok {
		return s
	}
	pt := reflect.PointerTo(t)
	if t.Implements(jsonUnmarshaler) || pt.Implements(jsonUnmarshaler) || t.Implements(textUnmarshaler) || pt.Implements(textUnmarshaler) {
		return nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		return schemaOf(t.Elem(), seen)
	case reflect.Slice, reflect.Array, reflect.Map:
		// Kept even when its elements are free-form: the bounded check
		// weighs them by this type's element.
		return &Schema{elem: schemaOf(t.Elem(), seen), weight: weight(t)}
	case reflect.Struct:
		s := &Schema{fields: map[string]*Schema{}, folded: map[string]string{}}
		seen[t] = s
		addFields(s, t, seen)
		return s
	}
	return nil
}

func addFields(s *Schema, t reflect.Type, seen map[reflect.Type]*Schema) {
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" && tag == "-" {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			addFields(s, ft, seen)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		s.fields[name] = schemaOf(f.Type, seen)
		s.folded[fold(name)] = name
	}
}

// Check is the package-level [Check] with this schema: b must be one
// well-formed JSON value, no object may hold two members equal under case
// folding, and no member at a struct position may be one of the struct's
// names in another case.
func (s *Schema) Check(b []byte) error {
	if err := valid(b); err != nil {
		return err
	}
	return walk(b, nil, s, false, nil)
}

// CheckRepeats is the package-level [CheckRepeats] with this schema: b
// must be one well-formed JSON value, no object may repeat a member name
// exactly, and no member at a struct position may be one of the struct's
// names in another case. Names of free-form objects (maps) that differ only
// in case are accepted, as for documents whose readers match names exactly
// there.
func (s *Schema) CheckRepeats(b []byte) error {
	if err := valid(b); err != nil {
		return err
	}
	return walk(b, nil, s, true, nil)
}

// CheckUnvalidated is [Schema.Check] without the validity pass, under the
// conditions of the package-level [CheckUnvalidated].
func (s *Schema) CheckUnvalidated(b []byte) error { return walk(b, nil, s, false, nil) }
