package strictjson

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"unicode"
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
	fields map[string]place  // struct: exact JSON name -> place
	folded map[string]string // struct: fold(name) -> name
	elem   place             // slice, array or map element; an interface's values
	// weight is what decoding one element (slice, array) or member (map)
	// takes in its container, in bytes; 0 at a struct position. See
	// [Schema.CheckBounded].
	weight int
	// any: an empty interface, into which encoding/json decodes every
	// value below as a map, a slice, a string, a float64 or a bool.
	any bool
	// open is what decoding an object at this (struct) position allocates
	// for its embedded struct pointers.
	open int
}

// place is the schema of a position (nil: free-form) and what a non-null
// value decoded there allocates besides its place in its container: a
// pointer's target, a map's header.
type place struct {
	s     *Schema
	alloc int
}

// SchemaOf derives the Schema of values of type t from the member names
// encoding/json gives its fields (json tags, else the field name; fields of
// untagged embedded structs are promoted, a shallower or tagged field
// hiding a deeper or untagged one of the same name as encoding/json has
// it; "-" is skipped), through pointers, slices, arrays and maps. Types
// that decode themselves (json.Unmarshaler, encoding.TextUnmarshaler,
// json.RawMessage) and interfaces are free-form.
func SchemaOf(t reflect.Type) *Schema {
	return schemaOf(t, map[reflect.Type]*Schema{})
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// maxIndirect is the most pointers schemaOf and allocOf follow (a type
// may be a pointer to itself).
const maxIndirect = 16

// schemaOf builds the schema of t; seen breaks cycles of recursive types.
func schemaOf(t reflect.Type, seen map[reflect.Type]*Schema) *Schema {
	for range maxIndirect {
		if s, ok := seen[t]; ok {
			return s
		}
		pt := reflect.PointerTo(t)
		if t.Implements(jsonUnmarshaler) || pt.Implements(jsonUnmarshaler) || t.Implements(textUnmarshaler) || pt.Implements(textUnmarshaler) {
			return nil
		}
		switch t.Kind() {
		case reflect.Pointer:
			t = t.Elem()
			continue
		case reflect.Interface:
			if t.NumMethod() > 0 {
				return nil // encoding/json decodes nothing into it
			}
			s := &Schema{any: true}
			s.elem = place{s: s}
			seen[t] = s
			return s
		case reflect.Slice, reflect.Array, reflect.Map:
			// Kept even when its elements are free-form: the bounded check
			// weighs them by this type's element.
			s := &Schema{weight: weight(t)}
			seen[t] = s
			s.elem = place{schemaOf(t.Elem(), seen), allocOf(t.Elem())}
			return s
		case reflect.Struct:
			s := &Schema{fields: map[string]place{}, folded: map[string]string{}}
			seen[t] = s
			addFields(s, t, seen)
			return s
		}
		return nil
	}
	return nil
}

// field is a candidate member of a struct: a field of it or of a struct
// embedded in it, depth levels down.
type field struct {
	name   string
	depth  int
	tagged bool
	typ    reflect.Type
}

// addFields adds to s the members encoding/json decodes into struct t: its
// fields and those its untagged embedded structs promote, level by level,
// each name to the field that dominates it (the shallowest; of those, the
// only tagged one). A name that no field dominates is no member: encoding/json
// ignores it.
func addFields(s *Schema, t reflect.Type, seen map[reflect.Type]*Schema) {
	var found []field
	visited := map[reflect.Type]bool{}
	next := []reflect.Type{t}
	for depth := 0; len(next) > 0; depth++ {
		level := next
		next = nil
		count := map[reflect.Type]int{}
		for _, lt := range level {
			count[lt]++
		}
		for _, lt := range level {
			if visited[lt] {
				continue
			}
			visited[lt] = true
			for f := range lt.Fields() {
				ft := f.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				switch {
				case f.Anonymous && !f.IsExported() && ft.Kind() != reflect.Struct:
					continue
				case !f.Anonymous && !f.IsExported():
					continue
				}
				tag := f.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, _, _ := strings.Cut(tag, ",")
				if !validTag(name) {
					name = ""
				}
				if name == "" && f.Anonymous && ft.Kind() == reflect.Struct {
					if f.Type.Kind() == reflect.Pointer {
						s.open += int(ft.Size())
					}
					next = append(next, ft)
					continue
				}
				c := field{name: name, depth: depth, tagged: name != "", typ: f.Type}
				if name == "" {
					c.name = f.Name
				}
				found = append(found, c)
				if count[lt] > 1 {
					found = append(found, c) // reached twice: hidden
				}
			}
		}
	}
	byName := map[string][]field{}
	var order []string
	for _, c := range found {
		if _, ok := byName[c.name]; !ok {
			order = append(order, c.name)
		}
		byName[c.name] = append(byName[c.name], c)
	}
	for _, name := range order {
		c, ok := dominant(byName[name])
		if !ok {
			continue
		}
		s.fields[name] = place{schemaOf(c.typ, seen), allocOf(c.typ)}
		s.folded[fold(name)] = name
	}
}

// dominant is encoding/json's dominantField: of the candidates for one
// name, the shallowest, or of several as shallow the only tagged one.
func dominant(cs []field) (field, bool) {
	least := cs[0].depth
	for _, c := range cs {
		least = min(least, c.depth)
	}
	var at []field
	for _, c := range cs {
		if c.depth == least {
			at = append(at, c)
		}
	}
	if len(at) == 1 {
		return at[0], true
	}
	var tagged []field
	for _, c := range at {
		if c.tagged {
			tagged = append(tagged, c)
		}
	}
	if len(tagged) == 1 {
		return tagged[0], true
	}
	return field{}, false
}

// validTag is encoding/json's isValidTag: a tag naming a member otherwise
// is ignored, and the field keeps its Go name.
func validTag(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
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
