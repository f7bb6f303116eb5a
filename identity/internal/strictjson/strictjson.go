package strictjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrAmbiguous is wrapped by every refusal of [Check] that is not a syntax
// error: a repeated member or a registered name in another case.
var ErrAmbiguous = errors.New("ambiguous JSON member name")

// MemberError names the member that was refused and the name it collides
// with (an earlier member of the same object, or the registered spelling).
type MemberError struct {
	Name  string
	Other string
}

func (e *MemberError) Error() string {
	if e.Name == e.Other {
		return fmt.Sprintf("%v: %q repeated", ErrAmbiguous, e.Name)
	}
	return fmt.Sprintf("%v: %q collides with %q (member names are case-sensitive)", ErrAmbiguous, e.Name, e.Other)
}

func (e *MemberError) Unwrap() error { return ErrAmbiguous }

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

// Check reports whether b is one well-formed JSON value in which no object
// has two member names equal under case folding and no member name is a
// case variant of one of registered (which are checked at every depth).
// Escapes are decoded before comparing, so "\u0061lg" is "alg". A syntax
// error is returned as encoding/json reports it; a refusal wraps
// [ErrAmbiguous].
func Check(b []byte, registered ...string) error {
	if !json.Valid(b) {
		var v json.RawMessage
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		return errors.New("invalid JSON")
	}
	// b is valid JSON from here on, so the walk below only needs to find
	// where strings end and which of them are member names.
	var stack []frame
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '{':
			stack = append(stack, frame{object: true, wantKey: true})
		case '[':
			stack = append(stack, frame{})
		case '}', ']':
			stack = stack[:len(stack)-1]
		case ',':
			if top := len(stack) - 1; stack[top].object {
				stack[top].wantKey = true
			}
		case '"':
			end, plain := stringEnd(b, i)
			if top := len(stack) - 1; top >= 0 && stack[top].wantKey {
				stack[top].wantKey = false
				var name string
				if plain {
					name = string(b[i+1 : end])
				} else if err := json.Unmarshal(b[i:end+1], &name); err != nil {
					return err
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

// stringEnd returns the index of the quote closing the string that opens
// at b[i], and whether the string is plain (ASCII, no escapes), so that its
// bytes are its value.
func stringEnd(b []byte, i int) (int, bool) {
	plain := true
	for j := i + 1; ; j++ {
		switch c := b[j]; {
		case c == '"':
			return j, plain
		case c == '\\':
			plain = false
			j++ // skip the escaped byte (the rest of \uXXXX is hex)
		case c >= utf8.RuneSelf:
			plain = false
		}
	}
}

func (f *frame) add(name string, registered []string) error {
	for _, r := range registered {
		if name != r && strings.EqualFold(name, r) {
			return &MemberError{Name: name, Other: r}
		}
	}
	if f.folded == nil {
		for _, prev := range f.names {
			if strings.EqualFold(name, prev) {
				return &MemberError{Name: name, Other: prev}
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
		return &MemberError{Name: name, Other: prev}
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
