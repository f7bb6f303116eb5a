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
// size of an interface or a string header. A member of an object decoded
// into an interface weighs twice as much (its name and its value).
const freeWeight = 16

// mapHeader is what a map value allocates before it holds anything (the
// runtime's map header, rounded up).
const mapHeader = 48

// sliceHeader is what a slice decoded into an interface allocates before
// its elements: the header the interface points at.
const sliceHeader = 24

// weight is what one element of the slice, array or map type t takes in
// its container: the element (and a map's key) itself. What a non-null
// element allocates besides is allocOf(t.Elem()), charged where it is
// read. Slices grow by reallocation, so the total is a few times the
// weights' sum; the budget bounds it relative to the document all the same.
func weight(t reflect.Type) int {
	w := int(t.Elem().Size())
	if t.Kind() == reflect.Map {
		w += int(t.Key().Size())
	}
	return max(w, 1)
}

// allocOf is what encoding/json allocates for a non-null value decoded
// into a place of type t, besides the place: what a pointer points to (a
// pointer's pointer's too), a map's header.
func allocOf(t reflect.Type) int {
	w := 0
	for range maxIndirect {
		switch t.Kind() {
		case reflect.Pointer:
			t = t.Elem()
			w += int(t.Size())
			continue
		case reflect.Map:
			w += mapHeader
		}
		break
	}
	return w
}

// budget is what a bounded walk may still spend; nil: unbounded.
type budget struct {
	left, limit int64
}

func newBudget(b []byte) *budget {
	limit := int64(budgetPerByte)*int64(len(b)) + budgetFloor
	return &budget{left: limit, limit: limit}
}

// charge spends the weight of one element of f (an array) or one place
// of f (a map, or an object decoded into an interface).
func (g *budget) charge(f *frame) error {
	if g == nil {
		return nil
	}
	w := int64(freeWeight)
	switch {
	case f.schema == nil:
	case f.schema.any:
		if f.object {
			w = 2 * freeWeight
		}
	case f.schema.weight > 0:
		w = int64(f.schema.weight)
	}
	return g.spend(w)
}

// memberAllowance is what a member's value may allocate besides its place
// without being charged: a member spends at least `"k":v,` of the document
// (its name unique in its object), so a pointer to a string or a time, or
// an empty map, costs a few times that, as a real document's members do.
// An array's elements, two bytes each at least, have no allowance.
const memberAllowance = 48

// value spends what decoding the value starting with c into m allocates
// besides its place, less allowance: nothing for null, a pointer's target,
// a map's header, the embedded struct pointers of a struct, and what an
// interface boxes.
func (g *budget) value(m place, c byte, allowance int64) error {
	if g == nil || c == 'n' {
		return nil
	}
	w := int64(m.alloc)
	if s := m.s; s != nil {
		if c == '{' {
			w += int64(s.open)
		}
		if s.any {
			switch c {
			case '{':
				w += mapHeader
			case '[':
				w += sliceHeader
			case '"':
				w += freeWeight
			case 't', 'f':
			default:
				w += 8 // a float64
			}
		}
	}
	if w -= allowance; w <= 0 {
		return nil
	}
	return g.spend(w)
}

func (g *budget) spend(w int64) error {
	if g.left -= w; g.left < 0 {
		return fmt.Errorf("%w: its arrays and maps would take more than %d bytes decoded (%d per byte of the document, plus %d)", ErrTooManyElements, g.limit, budgetPerByte, budgetFloor)
	}
	return nil
}

// CheckBounded is [Schema.Check], and also refuses a document whose
// decoding into the schema's type would allocate more for its elements
// than the document's size allows ([ErrTooManyElements]): every element
// of an array and every member of a map weighs what one decoded element of
// its Go type takes (a free-form array's elements 16 bytes each, an
// interface's object's members 32), every non-null value what decoding it
// allocates besides (a pointer's target, a map's header, what an
// interface boxes; a member's value 48 bytes less), and the weights may
// sum to at most twice the document's length plus 64 KiB.
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
