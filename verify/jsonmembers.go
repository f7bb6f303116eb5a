package verify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file is a copy of identity/internal/strictjson, which verify cannot
// import (Go's internal rule); both should move to one package under the
// top-level internal/.
//
// encoding/json matches member names to struct fields case-insensitively
// and keeps the last of repeated members, while protojson, the in-toto and
// SLSA specifications and other verifiers name members case-sensitively
// and some keep the first. checkMembers refuses every document a reader
// could take differently: two member names of one object equal under
// Unicode case folding (exact repeats included), at any depth, or a
// registered name spelt in another case.

// memberError names the member that was refused and the name it collides
// with (an earlier member of the same object, or the registered spelling).
type memberError struct {
	Name  string
	Other string
}

func (e *memberError) Error() string {
	if e.Name == e.Other {
		return fmt.Sprintf("%q repeated", e.Name)
	}
	return fmt.Sprintf("%q collides with %q (member names are case-sensitive)", e.Name, e.Other)
}

func (e *memberError) Unwrap() error { return ErrAmbiguousJSON }

// frame is one open object or array of the document being walked.
type frame struct {
	object  bool
	wantKey bool
	names   []string          // member names so far (small objects)
	folded  map[string]string // folded name -> name, once names is long
}

// smallObject is the member count up to which names are compared pairwise
// with strings.EqualFold (no allocation); larger objects use a map.
const smallObject = 32

// checkMembers reports whether, in b, no object has two member names equal
// under case folding and no member name is a case variant of one of
// registered (which are checked at every depth). Escapes are decoded before
// comparing, so "\u0061lg" is "alg". A refusal wraps [ErrAmbiguousJSON].
// It does not validate b (json.Valid would double the cost on a bundle):
// every caller parses b strictly afterwards, and on anything but valid JSON
// the verdict means nothing, though checkMembers never panics.
func checkMembers(b []byte, registered ...string) error {
	var stack []frame
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '{':
			stack = append(stack, frame{object: true, wantKey: true})
		case '[':
			stack = append(stack, frame{})
		case '}', ']':
			if len(stack) == 0 {
				return errInvalid
			}
			stack = stack[:len(stack)-1]
		case ',':
			if top := len(stack) - 1; top >= 0 && stack[top].object {
				stack[top].wantKey = true
			}
		case '"':
			end, ok := stringEnd(b, i)
			if !ok {
				return errInvalid
			}
			if top := len(stack) - 1; top >= 0 && stack[top].wantKey {
				stack[top].wantKey = false
				raw := b[i+1 : end]
				name := string(raw)
				if !plain(raw) {
					if err := json.Unmarshal(b[i:end+1], &name); err != nil {
						return err
					}
				}
				if err := stack[top].add(name, registered); err != nil {
					return err
				}
			}
			i = end
		}
	}
	return nil
}

// errInvalid reports input that the walk could not follow; only possible
// for a document that is not JSON.
var errInvalid = errors.New("invalid JSON")

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

func (f *frame) add(name string, registered []string) error {
	for _, r := range registered {
		if name != r && strings.EqualFold(name, r) {
			return &memberError{Name: name, Other: r}
		}
	}
	if f.folded == nil {
		for _, prev := range f.names {
			if strings.EqualFold(name, prev) {
				return &memberError{Name: name, Other: prev}
			}
		}
		if len(f.names) < smallObject {
			f.names = append(f.names, name)
			return nil
		}
		f.folded = make(map[string]string, 2*smallObject)
		for _, prev := range f.names {
			f.folded[fold(prev)] = prev
		}
	}
	k := fold(name)
	if prev, dup := f.folded[k]; dup {
		return &memberError{Name: name, Other: prev}
	}
	f.folded[k] = name
	return nil
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
