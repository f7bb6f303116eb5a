package secrets

import (
	"bytes"
	"unicode/utf8"
)

// The redactor matches escaped forms of a value by decoding the stream, not
// by listing every escaped spelling: encoders disagree on which characters
// they leave raw (encodeURIComponent leaves !'()* raw, Python's quote leaves
// /, PHP's urlencode escapes ~), on hex case, and on which characters JSON
// escapes (Python escapes every non-ASCII character, Go escapes <>&, any
// encoder may write any character as \uXXXX). Listing them is exponential in
// the number of such characters; decoding is linear.
//
// Only the parts of the stream near an escape are decoded: an encoded
// occurrence that differs from the raw value contains at least one escape
// introducer ('%' followed by two hex digits, or '\'), and is at most
// maxExpand times longer than the value, so it lies within that distance of
// the introducer. Nearby introducers share one region, so every byte is
// decoded at most once per decoder.

// maxExpand bounds how many stream bytes an escaped form may spend on one
// byte of a value: six covers \u00XX for every byte (JSON's longest spelling
// of an ASCII character), and with it %XX, \xHH, octal \NNN, surrogate pairs
// and \U0001XXXX for the characters real encoders write that way.
const maxExpand = 6

// decoded is a decoded region: b[i] came from the source bytes
// [from[i], to[i]) of the region.
type decoded struct {
	b        []byte
	from, to []int32
}

func (d *decoded) reset() {
	d.b, d.from, d.to = d.b[:0], d.from[:0], d.to[:0]
}

func (d *decoded) add(c byte, from, to int) {
	d.b = append(d.b, c)
	d.from = append(d.from, int32(from))
	d.to = append(d.to, int32(to))
}

func (d *decoded) addRune(r rune, from, to int) {
	var tmp [utf8.UTFMax]byte
	for _, c := range utf8.AppendRune(tmp[:0], r) {
		d.add(c, from, to)
	}
}

// regions calls fn for each region of b within w bytes of an escape
// introducer of the given kind, merging regions that overlap.
func regions(b []byte, intro byte, w int, fn func(start, end int)) {
	start, end := -1, -1
	for i := 0; i < len(b); {
		k := bytes.IndexByte(b[i:], intro)
		if k < 0 {
			break
		}
		t := i + k
		i = t + 1
		if intro == '%' && (t+2 >= len(b) || !isHex(b[t+1]) || !isHex(b[t+2])) {
			continue
		}
		lo, hi := max(t-w, 0), min(t+w+1, len(b))
		if start >= 0 && lo <= end {
			end = hi
			continue
		}
		if start >= 0 {
			fn(start, end)
		}
		start, end = lo, hi
	}
	if start >= 0 {
		fn(start, end)
	}
}

// decodePercent decodes %XX escapes (either hex case) in src into d; with
// plusSpace it also decodes '+' as a space (HTML form encoding).
func decodePercent(d *decoded, src []byte, plusSpace bool) {
	d.reset()
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '%' && i+2 < len(src) && isHex(src[i+1]) && isHex(src[i+2]):
			d.add(unhex(src[i+1])<<4|unhex(src[i+2]), i, i+3)
			i += 3
		case c == '+' && plusSpace:
			d.add(' ', i, i+1)
			i++
		default:
			d.add(c, i, i+1)
			i++
		}
	}
}

// decodeBackslash decodes the backslash escapes of JSON, Go, Python,
// JavaScript, Java, Ruby, PHP and the shell (inside "…" and $'…', and
// printf %q) in src into d: \uXXXX (either hex case, surrogate pairs
// joined), \u{X…}, \UXXXXXXXX, \xH[H], octal \N[N[N]], the single-letter
// control escapes, and a backslash before any other byte standing for that
// byte (\" \\ \/ \' \$ \` \! and so on). A malformed escape leaves the
// backslash as it is.
func decodeBackslash(d *decoded, src []byte) {
	d.reset()
	for i := 0; i < len(src); {
		if src[i] != '\\' || i+1 >= len(src) {
			d.add(src[i], i, i+1)
			i++
			continue
		}
		n := escape(d, src, i)
		if n == 0 {
			d.add('\\', i, i+1)
			i++
			continue
		}
		i += n
	}
}

// escape decodes the escape at src[i] (a backslash followed by at least one
// byte) into d and returns its length, or 0 if it is malformed.
func escape(d *decoded, src []byte, i int) int {
	c := src[i+1]
	switch c {
	case 'u':
		if i+2 < len(src) && src[i+2] == '{' {
			r, n := hexRun(src[i+3:], 1, 6)
			if n == 0 || i+3+n >= len(src) || src[i+3+n] != '}' {
				return 0
			}
			d.addRune(rune(r), i, i+4+n)
			return 4 + n
		}
		r, n := hexRun(src[i+2:], 4, 4)
		if n == 0 {
			return 0
		}
		if r >= 0xD800 && r < 0xDC00 && i+11 < len(src) && src[i+6] == '\\' && src[i+7] == 'u' {
			if lo, m := hexRun(src[i+8:], 4, 4); m == 4 && lo >= 0xDC00 && lo < 0xE000 {
				d.addRune(rune(0x10000+(r-0xD800)<<10+(lo-0xDC00)), i, i+12)
				return 12
			}
		}
		d.addRune(rune(r), i, i+6)
		return 6
	case 'U':
		r, n := hexRun(src[i+2:], 8, 8)
		if n == 0 || r > utf8.MaxRune {
			return 0
		}
		d.addRune(rune(r), i, i+10)
		return 10
	case 'x':
		v, n := hexRun(src[i+2:], 1, 2)
		if n == 0 {
			return 0
		}
		d.add(byte(v), i, i+2+n)
		return 2 + n
	case '0', '1', '2', '3', '4', '5', '6', '7':
		v, n := 0, 0
		for n < 3 && i+1+n < len(src) && src[i+1+n] >= '0' && src[i+1+n] <= '7' && v*8+int(src[i+1+n]-'0') <= 0xFF {
			v = v*8 + int(src[i+1+n]-'0')
			n++
		}
		d.add(byte(v), i, i+1+n)
		return 1 + n
	}
	d.add(control(c), i, i+2)
	return 2
}

// control returns the byte a single-letter escape \c stands for: a control
// character for the letters JSON, C and the shell define, c itself otherwise.
func control(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 't':
		return '\t'
	case 'r':
		return '\r'
	case 'b':
		return '\b'
	case 'f':
		return '\f'
	case 'v':
		return '\v'
	case 'a':
		return '\a'
	case 'e', 'E':
		return 0x1b
	}
	return c
}

// hexRun reads between lo and hi hex digits (as many as there are, up to
// hi) at the start of b; n is 0 if there are fewer than lo.
func hexRun(b []byte, lo, hi int) (v uint32, n int) {
	for n < hi && n < len(b) && isHex(b[n]) {
		v = v<<4 | uint32(unhex(b[n]))
		n++
	}
	if n < lo {
		return 0, 0
	}
	return v, n
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
