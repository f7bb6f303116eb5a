package strictjson

import (
	"errors"
	"fmt"
	"reflect"
)

// ErrTooManyElements is wrapped by the refusal of [Schema.CheckBounded]: a
// document holding more array elements and map members than its size
// allows.
var ErrTooManyElements = errors.New("strictjson: more elements than the document's size allows")

// The element budget of [Schema.CheckBounded]: decoding may allocate, for
// the elements of arrays and the members of maps it fills, at most
// budgetPerByte bytes per byte of the document, plus budgetFloor. A real
// SBOM spends 100 bytes or more of JSON on a component that decodes to
// about 100 bytes, and 50 or more on a property, reference or annotation
// that decodes to 16 to 60; `{},` spends 3.
const (
	budgetPerByte = 2
	budgetFloor   = 64 << 10
)

// freeWeight is the weight of an element of a free-form array (an
// interface, a json.RawMessage, a member the type does not name): the
// size of an interface or a string header.
const freeWeight = 16

// mapHeader is what a map value allocates before it holds anything (the
// runtime's map header, rounded up).
const mapHeader = 48

// weight is what encoding/json allocates for one element of the slice,
// array or map type t decoded from the smallest JSON value: the element
// (and a map's key) itself, and what a pointer or a map element points to.
// Slices grow by reallocation, so the total is a few times the weights'
// sum; the budget bounds it relative to the document all the same.
func weight(t reflect.Type) int {
	e := t.Elem()
	w := int(e.Size())
	if t.Kind() == reflect.Map {
		w += int(t.Key().Size())
	}
	switch e.Kind() {
	case reflect.Pointer:
		w += int(e.Elem().Size())
	case reflect.Map:
		w += mapHeader
	}
	return max(w, 1)
}

// budget is what a bounded walk may still spend; nil: unbounded.
type budget struct {
	left, limit int64
}

func newBudget(b []byte) *budget {
	limit := int64(budgetPerByte)*int64(len(b)) + budgetFloor
	return &budget{left: limit, limit: limit}
}

// charge spends the weight of one element of f (an array) or one member
// of f (a map).
func (g *budget) charge(f *frame) error {
	if g == nil {
		return nil
	}
	w := int64(freeWeight)
	if f.schema != nil && f.schema.weight > 0 {
		w = int64(f.schema.weight)
	}
	if g.left -= w; g.left < 0 {
		return fmt.Errorf("%w: its arrays and maps would take more than %d bytes decoded (%d per byte of the document, plus %d)", ErrTooManyElements, g.limit, budgetPerByte, budgetFloor)
	}
	return nil
}

// CheckBounded is [Schema.Check], and also refuses a document whose
// decoding into the schema's type would allocate more for its elements
// than the document's size allows ([ErrTooManyElements]): every element
// of an array and every member of a map weighs what one decoded element of
// its Go type takes (a free-form array's elements 16 bytes each), and the
// weights may sum to at most twice the document's length plus 64 KiB.
// Without it a signed document of `[{},{},…]` costs encoding/json 50 to
// 190 times its size. Use it before decoding an untrusted document of
// many elements, as an SBOM or a vulnerability predicate is.
func (s *Schema) CheckBounded(b []byte) error {
	if err := valid(b); err != nil {
		return err
	}
	return walk(b, nil, s, false, newBudget(b))
}

// memberWeight is the least that decoding one member of an object into a
// map of raw members allocates: its slot, its name and value copied, the
// map's growth.
const memberWeight = 64

// TooManyMembers reports whether the object raw (valid JSON) has more
// top-level members than the budget of [Schema.CheckBounded] allows for
// its size, were it decoded into a map of raw members; it counts them
// without decoding. CheckBounded weighs arrays and maps, not the members
// of an object whose shape it knows, which a caller may still decode into
// a map: 8 MiB of `"https://a/N":0,` cost about ten times its size.
func TooManyMembers(raw []byte) bool {
	n, depth, inString := 0, 0, false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case inString && c == '\\':
			i++
		case inString:
			inString = c != '"'
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		case c == ':' && depth == 1:
			n++
		}
	}
	return int64(n)*memberWeight > budgetPerByte*int64(len(raw))+budgetFloor
}
