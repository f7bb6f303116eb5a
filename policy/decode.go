package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sync"

	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/strictjson"
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
// downstream would merge. Those two errors are each a [*KeyError], matching
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

// inputSchema is the Input schema, derived once from its JSON tags so that
// it cannot drift from the struct: where a schema object sits, a member
// spelled like one of its fields in another case is refused; everywhere, a
// repeated member or two names that differ only in case are refused.
var inputSchema = sync.OnceValue(func() *strictjson.Schema { return strictjson.SchemaOf(reflect.TypeFor[Input]()) })

// checkJSON checks raw once: valid JSON, a single top-level object, and no
// member name two readers could read differently (see DecodeInput). The
// walk is iterative, so deep nesting costs no stack.
func checkJSON(raw []byte) error {
	if t := bytes.TrimLeft(raw, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return errors.New("input is not a JSON object")
	}
	if err := checkDepth(raw); err != nil {
		return err
	}
	err := inputSchema().Check(raw)
	var me *strictjson.MemberError
	if !errors.As(err, &me) {
		return err
	}
	ke := &KeyError{Path: me.Path, Key: clip.String(me.Name, 64), Conflict: clip.String(me.Other, 64), err: ErrKeyCase}
	if me.Repeated() {
		ke.err = ErrDuplicateKey
	}
	return ke
}

// maxDepth bounds the nesting of an input: the evaluator converts input
// recursively, so a deeply nested document must be refused before it.
const maxDepth = 128

// checkDepth refuses JSON nested deeper than maxDepth, in one pass over the
// bytes (strings skipped), before anything recursive sees it.
func checkDepth(raw []byte) error {
	depth, inString, escaped := 0, false, false
	for _, c := range raw {
		switch {
		case escaped:
			escaped = false
		case inString:
			escaped = c == '\\'
			inString = c != '"'
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			if depth++; depth > maxDepth {
				return fmt.Errorf("input nested deeper than %d", maxDepth)
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}
