package oidc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ztci/ztci/internal/strictjson"
)

// decodeClaims decodes a token payload into the map the claim checks,
// bound-claims rules and normalizers read. The result is what
// json.Unmarshal into a map[string]any yields for every payload that
// strictjson.Check accepts; payloads with a repeated member or member names
// that differ only in case (at any depth), or a registered claim name in
// another case, are refused with [ErrAmbiguousJSON], so that no peer that
// keeps the first of repeated members, or folds case, reads another claim
// set than the one verified here. A payload in the plain shape every job
// token has (a flat object with lowercase member names of printable-ASCII
// strings without escapes, small non-negative integers, booleans, nulls,
// and flat arrays of those, no member repeated) is decoded in one
// allocation-light pass, and anything else is checked and handed to
// encoding/json. FuzzDecodeClaims checks the two agree.
func decodeClaims(payload []byte) (map[string]any, error) {
	if c, ok := decodePlainClaims(payload); ok {
		return c, nil
	}
	if err := strict(payload, registeredClaims[:]...); err != nil {
		return nil, err
	}
	var c map[string]any
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, err
	}
	return c, nil
}

// registeredClaims are the claim names of RFC 7519 §4.1, the azp of OIDC
// Core §2 and the amr of RFC 8176 that the verifier reads: a payload holding one of them spelt in
// another case is refused, whatever else it holds.
var registeredClaims = [...]string{"iss", "sub", "aud", "azp", "exp", "nbf", "iat", "jti", "amr"}

// registeredHeader are the JOSE header parameter names of RFC 7515 §4.1,
// RFC 7797 (b64) and RFC 7516 §4.1 (zip, enc); a header holding one of them
// spelt in another case is refused, whether or not the verifier reads it.
var registeredHeader = [...]string{"alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit", "b64", "zip", "enc"}

// strict runs strictjson.Check, wrapping its refusals in [ErrAmbiguousJSON].
func strict(b []byte, registered ...string) error {
	err := strictjson.Check(b, registered...)
	if errors.Is(err, strictjson.ErrAmbiguous) {
		return fmt.Errorf("%w: %w", ErrAmbiguousJSON, err)
	}
	return err
}

// plainName reports whether a member name may take the fast paths: no
// ASCII capital (so that names differing only in case are byte-equal there),
// which every job token's claim and header names satisfy.
func plainName(k string) bool {
	for i := 0; i < len(k); i++ {
		if k[i] >= 'A' && k[i] <= 'Z' {
			return false
		}
	}
	return true
}

// maxPlainDigits keeps fast-path numbers below 2^53, where float64 holds
// every integer exactly, so converting the digits equals strconv.ParseFloat.
const maxPlainDigits = 15

// decodePlainClaims is the fast path of decodeClaims. It reports false for
// any payload outside the plain shape, whether or not it is valid JSON.
func decodePlainClaims(payload []byte) (map[string]any, bool) {
	c := make(map[string]any, min(bytes.Count(payload, []byte{':'}), 64))
	ok := decodePlainObject(payload, func(k string, v any) bool {
		if _, dup := c[k]; dup || !plainName(k) {
			return false // refused or decoded by the checked path
		}
		c[k] = v
		return true
	})
	if !ok {
		return nil, false
	}
	return c, true
}

// decodeHeader decodes a JOSE header as json.Unmarshal into a header
// does, after strictjson.Check (JOSE member names are case-sensitive, RFC
// 7515 §4, while encoding/json fills Alg from "ALG"): a header with a
// repeated member, two member names that differ only in case, or a
// registered parameter name in another case is refused with
// [ErrAmbiguousJSON]. A plain header (see decodeClaims) whose alg, kid and
// typ are strings, that names no member the verifier refuses and repeats
// none is decoded in one pass; anything else takes the checked path.
// FuzzDecodeHeader checks the two agree.
func decodeHeader(b []byte, h *header) error {
	var fast header
	var seen [8]string // plain headers have a few members: no map
	n := 0
	ok := decodePlainObject(b, func(k string, v any) bool {
		if n == len(seen) || !plainName(k) {
			return false
		}
		for _, p := range seen[:n] {
			if p == k {
				return false // repeated: refused by the checked path
			}
		}
		seen[n] = k
		n++
		var dst *string
		switch k {
		case "alg":
			dst = &fast.Alg
		case "kid":
			dst = &fast.Kid
		case "typ":
			dst = &fast.Typ
		case "jwk", "jku", "x5u", "x5c", "crit", "b64", "cty", "zip", "enc":
			return false // refused after the checked path decodes it
		default:
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
	if err := strict(b, registeredHeader[:]...); err != nil {
		return err
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
