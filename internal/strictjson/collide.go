package strictjson

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// errCollision stops the walk at a large object's close when its names
// collide; walk replaces it with the [*MemberError] of firstCollision.
var errCollision = fmt.Errorf("%w: member names collide", ErrAmbiguous)

// firstCollision returns the refusal of the earliest colliding member of
// the open large objects of stack, whose names' spans are in spans, or
// nil: the member that the walk, comparing every name with those before
// it as it read them, would have refused first.
func firstCollision(b []byte, stack []frame, spans []span, exact bool) error {
	var (
		first       *MemberError
		firstAt     uint32
		name, other span
	)
	for j := range stack {
		f := &stack[j]
		if !f.large {
			continue
		}
		end := len(spans)
		if j+1 < len(stack) {
			end = stack[j+1].spanStart
		}
		c := collision(b, spans[f.spanStart:end], exact)
		if c == nil || (first != nil && c[1].start >= firstAt) {
			continue
		}
		name, other, firstAt = c[1], c[0], c[1].start
		first = &MemberError{Path: pointer(stack[:j])}
	}
	if first == nil {
		return nil
	}
	first.Name, first.Other = decoded(b, name), decoded(b, other)
	return first
}

// collision sorts the spans of one object's member names by name (case
// folded unless exact), then by place, and returns the earliest member
// that collides with one before it and the first member it collides with:
// the pair the walk would have refused reading them in order. It
// allocates nothing.
func collision(b []byte, s []span, exact bool) *[2]span {
	slices.SortFunc(s, func(x, y span) int {
		if c := compareNames(b, x, y, exact); c != 0 {
			return c
		}
		return cmp.Compare(x.start, y.start)
	})
	var best *[2]span
	for i := 1; i < len(s); i++ {
		if compareNames(b, s[i-1], s[i], exact) != 0 {
			continue
		}
		// s[i-1] is the first of its group only if the one before it
		// differs; the group's second member is its earliest repeat.
		if i >= 2 && compareNames(b, s[i-2], s[i-1], exact) == 0 {
			continue
		}
		if best == nil || s[i].start < best[1].start {
			best = &[2]span{s[i-1], s[i]}
		}
	}
	return best
}

// compareNames orders two member names, escapes decoded, by their runes,
// each folded to the least rune of its Unicode simple-folding orbit unless
// exact: 0 exactly when the names are equal (under strings.EqualFold
// unless exact).
func compareNames(b []byte, x, y span, exact bool) int {
	rx, ry := b[x.start+1:x.end-1], b[y.start+1:y.end-1]
	for i, j := 0, 0; ; {
		if i >= len(rx) || j >= len(ry) {
			return cmp.Compare(len(rx)-i, len(ry)-j)
		}
		a, ni := nextRune(rx, i)
		c, nj := nextRune(ry, j)
		i, j = ni, nj
		if !exact {
			a, c = leastFold(a), leastFold(c)
		}
		if a != c {
			return cmp.Compare(a, c)
		}
	}
}

// leastFold is the least rune of r's simple-folding orbit.
func leastFold(r rune) rune {
	if r < utf8.RuneSelf {
		if r >= 'a' && r <= 'z' {
			return r - ('a' - 'A')
		}
		return r
	}
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		least = min(least, f)
	}
	return least
}

// nextRune decodes the rune of the raw JSON string s (between its quotes,
// valid, without lone surrogates) at i and returns it and the index after
// it.
func nextRune(s []byte, i int) (rune, int) {
	if s[i] != '\\' {
		r, n := utf8.DecodeRune(s[i:])
		return r, i + n
	}
	if i+1 >= len(s) {
		return utf8.RuneError, len(s)
	}
	switch s[i+1] {
	case 'b':
		return '\b', i + 2
	case 'f':
		return '\f', i + 2
	case 'n':
		return '\n', i + 2
	case 'r':
		return '\r', i + 2
	case 't':
		return '\t', i + 2
	case 'u':
		r, ok := hex4(s, i+2)
		if !ok {
			return utf8.RuneError, len(s)
		}
		if r >= 0xD800 && r < 0xDC00 {
			if lo, ok := hex4(s, i+8); ok && i+7 < len(s) && s[i+6] == '\\' && s[i+7] == 'u' {
				return utf16Pair(r, lo), i + 12
			}
		}
		return r, i + 6
	default: // '"', '\\', '/'
		return rune(s[i+1]), i + 2
	}
}

func hex4(s []byte, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(s[i:i+4]), 16, 32)
	return rune(v), err == nil
}

func utf16Pair(hi, lo rune) rune {
	if lo < 0xDC00 || lo > 0xDFFF {
		return utf8.RuneError
	}
	return (hi-0xD800)<<10 | (lo - 0xDC00) + 0x10000
}

// decoded is the member name at sp, escapes decoded.
func decoded(b []byte, sp span) string {
	raw := b[sp.start:sp.end]
	if plain(raw[1 : len(raw)-1]) {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return string(raw[1 : len(raw)-1])
	}
	return s
}
