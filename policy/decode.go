package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"unicode"
)

// MaxInputBytes bounds the JSON document [DecodeInput] reads.
const MaxInputBytes = 8 << 20

// DecodeInput reads one JSON [Input] document from r, for callers that
// receive decision requests over the wire. It is strict: the document must
// be a single JSON object of at most [MaxInputBytes], with no unknown
// fields, no duplicate keys and nothing after it. Member names are
// case-sensitive: a schema member spelled in another case ("ACTION",
// "Protected") is rejected, although encoding/json would accept it, and an
// object of a free-form section (manifests, terraform_plan, raw,
// predicate, external_parameters) may not hold two names that differ only
// in case ("hostNetwork" and "HostNetwork"), which case-insensitive readers
// downstream would merge. Those two errors are [*KeyError]s matching
// [ErrDuplicateKey] or [ErrKeyCase]. Every error wraps [ErrInvalidInput].
func DecodeInput(r io.Reader) (Input, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxInputBytes+1))
	if err != nil {
		return Input{}, fmt.Errorf("%w: read: %w", ErrInvalidInput, err)
	}
	if len(raw) > MaxInputBytes {
		return Input{}, fmt.Errorf("%w: larger than %d bytes", ErrInvalidInput, MaxInputBytes)
	}
	if err := checkJSON(raw); err != nil {
		return Input{}, fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	d.DisallowUnknownFields()
	var in Input
	if err := d.Decode(&in); err != nil {
		return Input{}, fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	return in, nil
}

// KeyError reports an object member name that two JSON readers could
// read differently: a duplicate, or a case variant of a name.
type KeyError struct {
	// Path is the JSON pointer of the object holding the member, "" for
	// the top level.
	Path string
	// Key is the member name as written (at most 64 bytes of it).
	Key string
	// Conflict is the name Key collides with: the earlier member of the
	// same object, or the schema's spelling of the name.
	Conflict string
	err      error
}

func (e *KeyError) Error() string {
	if errors.Is(e.err, ErrDuplicateKey) {
		return fmt.Sprintf("%s at %q: %q repeats %q", e.err, e.Path, e.Key, e.Conflict)
	}
	return fmt.Sprintf("%s at %q: %q is %q in another case; member names are case-sensitive", e.err, e.Path, e.Key, e.Conflict)
}

// Unwrap returns [ErrDuplicateKey] or [ErrKeyCase].
func (e *KeyError) Unwrap() error { return e.err }

// shape is what checkJSON knows of a part of the Input schema: the
// member names of a struct (by exact and by folded spelling), the shape
// of a list's or map's elements, or nothing (free-form JSON).
type shape struct {
	fields map[string]*shape // struct: exact JSON name -> member shape
	folded map[string]string // struct: fold(name) -> name
	elem   *shape            // slice, array or map element
}

// free is the shape of JSON the schema does not describe.
var free = &shape{}

// inputShape is the Input schema, derived once from its JSON tags so that
// it cannot drift from the struct.
var inputShape = sync.OnceValue(func() *shape { return shapeOf(reflect.TypeFor[Input]()) })

func shapeOf(t reflect.Type) *shape {
	switch t.Kind() {
	case reflect.Pointer:
		return shapeOf(t.Elem())
	case reflect.Slice, reflect.Array:
		return &shape{elem: shapeOf(t.Elem())}
	case reflect.Map:
		if e := shapeOf(t.Elem()); e != free {
			return &shape{elem: e}
		}
		return free
	case reflect.Struct:
		s := &shape{fields: map[string]*shape{}, folded: map[string]string{}}
		for f := range t.Fields() {
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			s.fields[name] = shapeOf(f.Type)
			s.folded[fold(name)] = name
		}
		return s
	}
	return free
}

// fold maps a member name to one spelling per case-insensitive class, the
// classes encoding/json matches field names by (Unicode simple folding:
// "ſ" folds with "s", "K" (Kelvin) with "k").
func fold(s string) string {
	return strings.Map(func(r rune) rune { return unicode.ToUpper(unicode.ToLower(r)) }, s)
}

// checkJSON walks raw once: a single top-level object, no duplicate keys
// in any object (encoding/json would silently keep the last one, so two
// readers of the same document could disagree), no case variants (see
// DecodeInput), nothing trailing.
func checkJSON(raw []byte) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	tok, err := d.Token()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		return fmt.Errorf("input is not a JSON object (starts with %v)", tok)
	}
	c := checker{d: d}
	if err := c.object(1, inputShape()); err != nil {
		return err
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the input object")
	}
	return nil
}

const maxDepth = 128

// checker holds the decoder and the path of member names to the value
// being checked (for errors only).
type checker struct {
	d    *json.Decoder
	path []string
}

func (c *checker) keyError(key, conflict string, err error) *KeyError {
	var p strings.Builder
	for _, s := range c.path {
		p.WriteByte('/')
		p.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(s))
	}
	return &KeyError{Path: p.String(), Key: clip(key), Conflict: clip(conflict), err: err}
}

// clip bounds a name quoted in an error.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// object consumes an object's members after its '{'.
func (c *checker) object(depth int, sh *shape) error {
	if depth > maxDepth {
		return fmt.Errorf("nested deeper than %d", maxDepth)
	}
	seen := map[string]bool{}
	var folded map[string]string // free-form objects: fold(name) -> name
	for c.d.More() {
		tok, err := c.d.Token()
		if err != nil {
			return err
		}
		k, _ := tok.(string)
		if seen[k] {
			return c.keyError(k, k, ErrDuplicateKey)
		}
		seen[k] = true
		next := free
		switch {
		case sh.fields != nil:
			if f, ok := sh.fields[k]; ok {
				next = f
			} else if want, ok := sh.folded[fold(k)]; ok {
				return c.keyError(k, want, ErrKeyCase)
			}
			// Unknown names are left to DisallowUnknownFields.
		case sh.elem != nil:
			next = sh.elem
		default:
			if folded == nil {
				folded = map[string]string{}
			}
			fk := fold(k)
			if prev, ok := folded[fk]; ok {
				return c.keyError(k, prev, ErrKeyCase)
			}
			folded[fk] = k
		}
		c.path = append(c.path, k)
		err = c.value(depth, next)
		c.path = c.path[:len(c.path)-1]
		if err != nil {
			return err
		}
	}
	_, err := c.d.Token() // '}'
	return err
}

func (c *checker) value(depth int, sh *shape) error {
	tok, err := c.d.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		return c.object(depth+1, sh)
	case json.Delim('['):
		if depth+1 > maxDepth {
			return fmt.Errorf("nested deeper than %d", maxDepth)
		}
		el := free
		if sh.elem != nil {
			el = sh.elem
		}
		for i := 0; c.d.More(); i++ {
			c.path = append(c.path, fmt.Sprint(i))
			err := c.value(depth+1, el)
			c.path = c.path[:len(c.path)-1]
			if err != nil {
				return err
			}
		}
		_, err := c.d.Token() // ']'
		return err
	}
	return nil
}
