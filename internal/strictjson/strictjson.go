package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ztci/ztci/internal/clip"
)

// ErrAmbiguous is wrapped by every refusal of [Check] that is neither a
// syntax error nor [ErrNotUnicode]: a repeated member or a registered name
// in another case.
var ErrAmbiguous = errors.New("ambiguous JSON member name")

// MemberError names the member that was refused, the name it collides
// with (an earlier member of the same object, or the registered or schema
// spelling) and where the object holding it is. Its message names only the
// members and the place: every caller wraps it in its own package's
// sentinel, which says what was ambiguous.
type MemberError struct {
	// Path is the JSON pointer (RFC 6901) of the object holding the
	// member, "" for the top level.
	Path string
	// Name is the member as written (escapes decoded); Other is the name
	// it collides with. They are equal for an exact repeat.
	Name  string
	Other string
}

// Error quotes at most maxQuote bytes of each name and of the path: they
// are the input's, as long as it made them, and a message must not carry
// megabytes of a document into logs.
func (e *MemberError) Error() string {
	at := ""
	if e.Path != "" {
		at = fmt.Sprintf(" at %q", clip.String(e.Path, maxQuote))
	}
	name := clip.String(e.Name, maxQuote)
	if e.Name == e.Other {
		return fmt.Sprintf("%q repeated%s", name, at)
	}
	return fmt.Sprintf("%q collides with %q%s (member names are case-sensitive)", name, clip.String(e.Other, maxQuote), at)
}

// maxQuote is the most bytes of a name or a path a MemberError's message
// quotes.
const maxQuote = 64

func (e *MemberError) Unwrap() error { return ErrAmbiguous }

// Repeated reports whether the member repeats an earlier one exactly, as
// opposed to differing from it, or from a registered or schema name, in
// case only.
func (e *MemberError) Repeated() bool { return e.Name == e.Other }

// frame is one open object or array of the document being walked.
type frame struct {
	object  bool
	wantKey bool
	schema  *Schema // what is known of this value; nil: free-form
	key     []byte  // object: the member whose value is being read
	index   int     // array: the element being read
	// names[start:] of the walk are this object's member names so far
	// while it has at most smallObject of them; spans[spanStart:] are
	// where all of them are in the document. A large object's names are
	// compared when it closes (or the walk stops), by sorting its spans.
	start, spanStart int
	large            bool
}

// smallObject is the member count up to which names are compared pairwise
// as they are read; a larger object's names are compared by sorting their
// spans, 8 bytes a member, when it closes. A map of the names, copied and
// folded, cost 6 to 15 times a flood of members.
const smallObject = 32

// span is where a member name, quotes included, is in the document.
type span struct{ start, end uint32 }

// errTooLong reports a document whose offsets do not fit a span; no
// caller reads one (its reads are bounded far below).
var errTooLong = fmt.Errorf("%w: longer than 4 GiB", errInvalid)

// Check reports whether b is one well-formed JSON value in which no object
// has two member names equal under case folding and no member name is a
// case variant of one of registered (which are checked at every depth).
// Escapes are decoded before comparing, so "\u0061lg" is "alg". A syntax
// error is returned as encoding/json reports it; text that is not Unicode
// is an error wrapping [ErrNotUnicode]; a refusal of a name is a
// [*MemberError] wrapping [ErrAmbiguous].
func Check(b []byte, registered ...string) error {
	if err := valid(b); err != nil {
		return err
	}
	return walk(b, registered, nil, false, nil)
}

// CheckUnvalidated is [Check] without the validity pass: on valid JSON it
// returns what Check returns; on anything else its verdict means nothing
// (it may return nil), though it never panics. Use it only when b is parsed
// strictly afterwards and refused if it does not parse, as a bundle or a
// request is: a document a strict parser accepts is valid JSON, so the
// verdict holds for it.
func CheckUnvalidated(b []byte, registered ...string) error {
	return walk(b, registered, nil, false, nil)
}

// CheckRepeats reports whether b is one well-formed JSON value in which no
// object, at any depth, repeats a member name exactly (escapes decoded, so
// "\u0061" repeats "a"). Names that differ only in case are accepted: it is
// for documents whose every reader matches names exactly, as in-toto
// statements read into maps are. A refusal is a [*MemberError] whose
// Repeated is true.
func CheckRepeats(b []byte) error {
	if err := valid(b); err != nil {
		return err
	}
	return walk(b, nil, nil, true, nil)
}

func valid(b []byte) error {
	if json.Valid(b) {
		return nil
	}
	var v json.RawMessage
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	return errInvalid
}

// walk finds the member names of every object in b and checks them against
// each other, against registered and against the schema of the object's
// position (root is the document's): equal under case folding is a
// collision, or, when exact, only equal. It never panics, whatever b holds.
//
// A name without escapes is a sub-slice of b, and the open objects' names
// share one stack (an object's names are done with when it closes, before
// its parent reads another), so a walk allocates only for escaped names,
// objects of more than smallObject members and a refusal. A non-nil g is
// charged for every array element and every member of a map.
func walk(b []byte, registered []string, root *Schema, exact bool, g *budget) error {
	if !utf8.Valid(b) {
		return fmt.Errorf("%w: invalid UTF-8", ErrNotUnicode)
	}
	if uint64(len(b)) > math.MaxUint32 {
		return errTooLong
	}
	var (
		frames    [16]frame
		stack     = frames[:0]
		nameSlots [64][]byte
		names     = nameSlots[:0]
		spanSlots [64]span
		spans     = spanSlots[:0]
	)
	stack, spans, err := walkFrom(b, registered, root, exact, g, stack, names, spans)
	if err != nil {
		// A large open object's repeat, found only now, came before
		// whatever stopped the walk: it is the refusal, as it was when
		// every object's names were compared as they were read.
		if first := firstCollision(b, stack, spans, exact); first != nil {
			return first
		}
	}
	return err
}

// walkFrom is walk's loop; it returns the stack and spans as they were
// when it stopped.
func walkFrom(b []byte, registered []string, root *Schema, exact bool, g *budget, stack []frame, names [][]byte, spans []span) ([]frame, []span, error) {
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '{', '[':
			// encoding/json refuses a document nested deeper than
			// maxDepth, so no verdict on one it reads changes. Without
			// the bound a document of nothing but '[' costs a 64-byte
			// frame per input byte, copied as the stack grows:
			// CheckUnvalidated, which a registry's manifest and a gate
			// request reach before any parse, allocated 1.5 GiB for a
			// 4 MiB manifest.
			if len(stack) == maxDepth {
				return stack, spans, errTooDeep
			}
			sch := root
			if top := len(stack) - 1; top >= 0 {
				sch = stack[top].child().s
			}
			stack = append(stack, frame{object: b[i] == '{', wantKey: b[i] == '{', schema: sch, start: len(names), spanStart: len(spans)})
			if b[i] == '[' {
				if err := g.element(b, i, &stack[len(stack)-1]); err != nil {
					return stack, spans, err
				}
			}
		case '}', ']':
			if len(stack) == 0 {
				return stack, spans, errInvalid
			}
			f := &stack[len(stack)-1]
			if f.large && collision(b, spans[f.spanStart:], exact) != nil {
				return stack, spans, errCollision // firstCollision finds it
			}
			names, spans = names[:f.start], spans[:f.spanStart]
			stack = stack[:len(stack)-1]
		case ',':
			if top := len(stack) - 1; top >= 0 {
				if stack[top].object {
					stack[top].wantKey = true
				} else {
					stack[top].index++
					if err := g.element(b, i, &stack[top]); err != nil {
						return stack, spans, err
					}
				}
			}
		case ':':
			// A member's value: what it allocates besides its place.
			if top := len(stack) - 1; top >= 0 && g != nil {
				if j := skipSpace(b, i+1); j < len(b) {
					if err := g.value(stack[top].child(), b[j], memberAllowance); err != nil {
						return stack, spans, err
					}
				}
			}
		case '"':
			end, ok := stringEnd(b, i)
			if !ok {
				return stack, spans, errInvalid
			}
			if loneSurrogate(b[i+1 : end]) {
				return stack, spans, fmt.Errorf("%w: a string escapes a lone surrogate (at byte %d)", ErrNotUnicode, i)
			}
			if top := len(stack) - 1; top >= 0 && stack[top].wantKey {
				stack[top].wantKey = false
				name := b[i+1 : end]
				if !plain(name) {
					var s string
					if err := json.Unmarshal(b[i:end+1], &s); err != nil {
						return stack, spans, err
					}
					name = []byte(s)
				}
				f := &stack[top]
				if f.schema != nil && (f.schema.weight > 0 || f.schema.any) {
					if err := g.charge(f); err != nil { // a map's place
						return stack, spans, err
					}
				}
				other, bad := f.add(name, names[f.start:], registered, exact)
				if bad {
					return stack, spans, &MemberError{Path: pointer(stack[:top]), Name: string(name), Other: other}
				}
				if !f.large {
					names = append(names, name)
				}
				spans = append(spans, span{uint32(i), uint32(end + 1)})
				f.key = name
			}
			i = end
		}
	}
	return stack, spans, nil
}

// element charges g for the element of the array f that starts after
// b[i] (its '[' or a ','), unless the array closes there: its place, and
// what its value allocates besides.
func (g *budget) element(b []byte, i int, f *frame) error {
	if g == nil {
		return nil
	}
	j := skipSpace(b, i+1)
	if j >= len(b) || b[j] == ']' {
		return nil
	}
	if err := g.charge(f); err != nil {
		return err
	}
	return g.value(f.child(), b[j], 0)
}

// child returns the schema of the value being read inside f.
func (f *frame) child() place {
	switch {
	case f.schema == nil:
		return place{}
	case f.object && f.schema.fields != nil:
		return f.schema.fields[string(f.key)]
	default:
		return f.schema.elem
	}
}

// pointer returns the JSON pointer of the value the innermost of open
// frames is reading.
func pointer(open []frame) string {
	if len(open) == 0 {
		return ""
	}
	var p strings.Builder
	for _, f := range open {
		p.WriteByte('/')
		if f.object {
			p.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(string(f.key)))
		} else {
			p.WriteString(strconv.Itoa(f.index))
		}
	}
	return p.String()
}

// ErrNotUnicode is returned for a document whose text is not Unicode:
// bytes that are not UTF-8, or a \uD800-\uDFFF escape that is not half of
// a surrogate pair. JSON must be UTF-8 (RFC 8259 §8.1) and its strings
// Unicode (RFC 7493 §2.1), and readers disagree about what else means:
// encoding/json reads each as U+FFFD, others refuse it or keep the bytes,
// so a name or a value would be one string to the verifier and another to
// its peers and logs.
var ErrNotUnicode = errors.New("strictjson: text is not Unicode")

// loneSurrogate reports whether the raw string s (between its quotes)
// escapes half of a surrogate pair without the other half.
func loneSurrogate(s []byte) bool {
	for i := 0; ; {
		k := bytes.IndexByte(s[i:], '\\')
		if k < 0 || i+k+1 >= len(s) {
			return false
		}
		i += k
		switch {
		case s[i+1] != 'u':
			i += 2 // a two-byte escape, \\ included
		case i+6 > len(s):
			return false // not JSON: the syntax check refuses it
		case low(s[i+2 : i+6]):
			return true
		case !high(s[i+2 : i+6]):
			i += 6
		case i+12 > len(s) || s[i+6] != '\\' || s[i+7] != 'u' || !low(s[i+8:i+12]):
			return true
		default:
			i += 12
		}
	}
}

// high and low report whether four hex digits are a high (D800-DBFF) or a
// low (DC00-DFFF) surrogate.
func high(h []byte) bool {
	return (h[0] == 'd' || h[0] == 'D') && strings.IndexByte("89abAB", h[1]) >= 0
}

func low(h []byte) bool {
	return (h[0] == 'd' || h[0] == 'D') && strings.IndexByte("cdefCDEF", h[1]) >= 0
}

// errInvalid reports input that the walk could not follow; only possible
// for a document that is not JSON.
var errInvalid = errors.New("invalid JSON")

// maxDepth is encoding/json's nesting limit (its scanner's
// maxNestingDepth): the walk refuses a deeper document, as every strict
// parse after it would.
const maxDepth = 10000

// errTooDeep reports a document nested deeper than maxDepth.
var errTooDeep = fmt.Errorf("%w: nested deeper than %d", errInvalid, maxDepth)

// stringEnd returns the index of the unescaped quote closing the string
// that opens at b[i].
func stringEnd(b []byte, i int) (int, bool) {
	for j := i + 1; j < len(b); {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return 0, false
		}
		q := j + k
		backslashes := 0
		for p := q - 1; p > i && b[p] == '\\'; p-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return q, true
		}
		j = q + 1
	}
	return 0, false
}

// plain reports whether a string's raw bytes are its value: ASCII without
// escapes.
func plain(raw []byte) bool {
	for _, c := range raw {
		if c == '\\' || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// add checks name against registered, f's schema and prev, f's place
// names so far (while f is not large), and reports the name it collides
// with, if any: one equal to it under case folding, or, when exact, one
// equal to it. Once f holds smallObject names it is large: its names are
// compared when it closes (collision), and the caller records only their
// spans; until then the caller records name after prev too.
func (f *frame) add(name []byte, prev [][]byte, registered []string, exact bool) (string, bool) {
	same := bytes.EqualFold
	if exact {
		same = bytes.Equal
	}
	for _, r := range registered {
		if string(name) != r && strings.EqualFold(string(name), r) {
			return r, true
		}
	}
	if f.object && f.schema != nil && f.schema.fields != nil {
		if _, ok := f.schema.fields[string(name)]; !ok {
			if want, ok := f.schema.folded[fold(string(name))]; ok {
				return want, true
			}
		}
	}
	if !f.large {
		for _, p := range prev {
			if same(name, p) {
				return string(p), true
			}
		}
		f.large = len(prev)+1 >= smallObject
	}
	return "", false
}

// fold maps s to a canonical form in which two names are equal exactly
// when strings.EqualFold says so (and encoding/json would match them): each
// rune becomes the smallest rune of its Unicode simple-folding orbit.
func fold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return asciiUpper(s)
	}
	buf := make([]rune, 0, len(s))
	for _, r := range s {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		buf = append(buf, least)
	}
	return string(buf)
}

func asciiUpper(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'a' && b[j] <= 'z' {
					b[j] -= 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
