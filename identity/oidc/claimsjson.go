package oidc

import (
	"bytes"
	"encoding/json"
	"strings"
)

// decodeClaims decodes a token payload into the map the claim checks,
// bound-claims rules and normalizers read. The result is always what
// json.Unmarshal into a map[string]any yields: a payload in the plain shape
// every job token has (a flat object of printable-ASCII strings without
// escapes, small non-negative integers, booleans, nulls, and flat arrays of
// those) is decoded in one allocation-light pass, and anything else, from a
// string escape to a syntax error, is handed to encoding/json unchanged.
// FuzzDecodeClaims checks the two agree. Keys match exactly, as with
// encoding/json maps, and a repeated key keeps its last value, as there.
func decodeClaims(payload []byte) (map[string]any, error) {
	if c, ok := decodePlainClaims(payload); ok {
		return c, nil
	}
	var c map[string]any
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, err
	}
	return c, nil
}

// maxPlainDigits keeps fast-path numbers below 2^53, where float64 holds
// every integer exactly, so converting the digits equals strconv.ParseFloat.
const maxPlainDigits = 15

// decodePlainClaims is the fast path of decodeClaims. It reports false for
// any payload outside the plain shape, whether or not it is valid JSON.
func decodePlainClaims(payload []byte) (map[string]any, bool) {
	c := make(map[string]any, min(bytes.Count(payload, []byte{':'}), 64))
	ok := decodePlainObject(payload, func(k string, v any) bool {
		c[k] = v
		return true
	})
	if !ok {
		return nil, false
	}
	return c, true
}

// decodeHeader decodes a JOSE header as json.Unmarshal into a header does:
// a plain header (see decodeClaims) whose alg, kid and typ are strings and
// that has no other member spelt like a header field in any case is decoded
// in one pass; anything else, including every header naming a member the
// verifier refuses, is handed to encoding/json. FuzzDecodeHeader checks the
// two agree.
func decodeHeader(b []byte, h *header) error {
	var fast header
	ok := decodePlainObject(b, func(k string, v any) bool {
		var dst *string
		switch k {
		case "alg":
			dst = &fast.Alg
		case "kid":
			dst = &fast.Kid
		case "typ":
			dst = &fast.Typ
		default:
			// encoding/json would match these case-insensitively.
			for _, f := range [...]string{"alg", "kid", "typ", "jwk", "jku", "x5u", "x5c", "crit", "b64"} {
				if strings.EqualFold(k, f) {
					return false
				}
			}
			return true // a member the header type does not have: ignored
		}
		s, isString := v.(string)
		*dst = s
		return isString
	})
	if ok {
		*h = fast
		return nil
	}
	return json.Unmarshal(b, h)
}

// decodePlainObject reads b as a flat object of plain members (see
// decodeClaims) and calls member for each in order. It reports false when b
// is anything else or member returns false.
func decodePlainObject(b []byte, member func(k string, v any) bool) bool {
	// One copy of the input backs every key and string value.
	d := plainDecoder{s: string(b)}
	d.ws()
	if !d.eat('{') {
		return false
	}
	d.ws()
	if d.eat('}') {
		return d.end()
	}
	for {
		d.ws()
		k, ok := d.str()
		if !ok {
			return false
		}
		d.ws()
		if !d.eat(':') {
			return false
		}
		d.ws()
		var v any
		if d.peek() == '[' {
			v, ok = d.array()
		} else {
			v, ok = d.scalar()
		}
		if !ok || !member(k, v) {
			return false
		}
		d.ws()
		if d.eat('}') {
			return d.end()
		}
		if !d.eat(',') {
			return false
		}
	}
}

type plainDecoder struct {
	s string
	i int
}

func (d *plainDecoder) peek() byte {
	if d.i < len(d.s) {
		return d.s[d.i]
	}
	return 0
}

func (d *plainDecoder) eat(b byte) bool {
	if d.peek() == b {
		d.i++
		return true
	}
	return false
}

// ws skips JSON whitespace.
func (d *plainDecoder) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// end reports whether only whitespace is left.
func (d *plainDecoder) end() bool {
	d.ws()
	return d.i == len(d.s)
}

// str reads a string of printable ASCII other than '"' and '\', the strings
// whose JSON text is their value.
func (d *plainDecoder) str() (string, bool) {
	if !d.eat('"') {
		return "", false
	}
	start := d.i
	for d.i < len(d.s) {
		switch b := d.s[d.i]; {
		case b == '"':
			d.i++
			return d.s[start : d.i-1], true
		case b < 0x20 || b > 0x7e || b == '\\':
			return "", false
		}
		d.i++
	}
	return "", false
}

// scalar reads a plain string, a non-negative integer of at most
// maxPlainDigits digits without leading zeros (as float64, like
// encoding/json), true, false or null.
func (d *plainDecoder) scalar() (any, bool) {
	switch b := d.peek(); {
	case b == '"':
		return d.str()
	case b >= '0' && b <= '9':
		start := d.i
		var n int64
		for d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
			n = n*10 + int64(d.s[d.i]-'0')
			d.i++
			if d.i-start > maxPlainDigits {
				return nil, false
			}
		}
		if d.s[start] == '0' && d.i-start > 1 {
			return nil, false // leading zero: invalid JSON
		}
		switch d.peek() {
		case '.', 'e', 'E':
			return nil, false
		}
		return float64(n), true
	}
	for _, lit := range [...]struct {
		text string
		v    any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if len(d.s)-d.i >= len(lit.text) && d.s[d.i:d.i+len(lit.text)] == lit.text {
			d.i += len(lit.text)
			return lit.v, true
		}
	}
	return nil, false
}

// array reads a flat array of scalars as []any (never nil, like
// encoding/json).
func (d *plainDecoder) array() (any, bool) {
	d.i++ // '['
	out := make([]any, 0, 1)
	d.ws()
	if d.eat(']') {
		return out, true
	}
	for {
		d.ws()
		v, ok := d.scalar()
		if !ok {
			return nil, false
		}
		out = append(out, v)
		d.ws()
		if d.eat(']') {
			return out, true
		}
		if !d.eat(',') {
			return nil, false
		}
	}
}
