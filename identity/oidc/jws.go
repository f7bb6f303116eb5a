package oidc

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ztci/ztci/internal/clip"
)

// header is the JOSE header fields the verifier reads. The members that
// carry or point to keys (jwk, jku, x5u, x5c), crit and b64 are captured only
// to be refused, and a typ other than JWT/JOSE marks another kind of token. The x5t thumbprints are ignored: they are hints, not keys,
// and GitHub Actions tokens carry one.
//
// cty, zip and enc are refused too: each says the payload is not the claim
// set as signed. cty (RFC 7519 §5.2) names a nested JWT or other content
// that a peer unwraps before it reads claims; zip compresses a JWE
// plaintext, and a library that honours it in a JWS inflates the payload
// into other claims; enc is what makes a JOSE object a JWE (RFC 7516 §9).
// The verifier reads the payload as the claim set, so a header that says
// otherwise means one token to it and another to such a peer.
type header struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`

	JWK  json.RawMessage `json:"jwk"`
	JKU  json.RawMessage `json:"jku"`
	X5U  json.RawMessage `json:"x5u"`
	X5C  json.RawMessage `json:"x5c"`
	Crit json.RawMessage `json:"crit"`
	B64  json.RawMessage `json:"b64"`
	Cty  json.RawMessage `json:"cty"`
	Zip  json.RawMessage `json:"zip"`
	Enc  json.RawMessage `json:"enc"`
}

// forbidden names the first header member the verifier refuses, or "".
func (h *header) forbidden() string {
	switch {
	case h.JWK != nil:
		return "jwk"
	case h.JKU != nil:
		return "jku"
	case h.X5U != nil:
		return "x5u"
	case h.X5C != nil:
		return "x5c"
	case h.Crit != nil:
		return "crit"
	case h.B64 != nil:
		return "b64"
	case h.Cty != nil:
		return "cty"
	case h.Zip != nil:
		return "zip"
	case h.Enc != nil:
		return "enc"
	}
	switch strings.ToLower(h.Typ) {
	case "", "jwt", "application/jwt", "jose":
		return ""
	}
	return "typ " + clip.String(h.Typ, maxQuoted) // another kind of token (e.g. "at+jwt") is not a job token
}

// jws is a compact JWS whose structure, header and encoding were checked
// (not yet its signature).
type jws struct {
	header       header
	signingInput string // "<header>.<payload>" as received
	payload      []byte
	signature    []byte
}

var strictB64 = base64.RawURLEncoding.Strict()

// b64urlAlphabet marks the bytes of the base64url alphabet (RFC 4648 §5).
var b64urlAlphabet = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") {
		t[c] = true
	}
	return t
}()

// decodeSegment decodes one base64url segment strictly: only the URL-safe
// alphabet, no padding, no whitespace, zero unused bits.
func decodeSegment(name, s string) ([]byte, error) {
	// The base64 decoder skips '\r' and '\n' even in strict mode, so the
	// alphabet is checked here first.
	for i := 0; i < len(s); i++ {
		if !b64urlAlphabet[s[i]] {
			return nil, fmt.Errorf("%w: %s: byte %d is not base64url", ErrMalformed, name, i)
		}
	}
	b, err := strictB64.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, name, err)
	}
	return b, nil
}

// parseCompact splits and decodes a compact JWS and parses its header. It
// refuses anything but exactly three strictly encoded, non-empty segments
// with a JSON-object header naming an allowed algorithm and no untrusted
// key-carrying members.
func parseCompact(raw string, maxSize int, allowed []Algorithm) (*jws, Algorithm, error) {
	if len(raw) > maxSize {
		return nil, "", fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(raw), maxSize)
	}
	h, rest, ok1 := strings.Cut(raw, ".")
	p, s, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.IndexByte(s, '.') >= 0 {
		return nil, "", fmt.Errorf("%w: want 3 dot-separated segments", ErrMalformed)
	}
	if h == "" {
		return nil, "", fmt.Errorf("%w: empty header", ErrMalformed)
	}
	hb, err := decodeSegment("header", h)
	if err != nil {
		return nil, "", err
	}
	var t jws
	if len(hb) == 0 || hb[0] != '{' {
		return nil, "", fmt.Errorf("%w: header is not a JSON object", ErrMalformed)
	}
	if err := decodeHeader(hb, &t.header); err != nil {
		return nil, "", fmt.Errorf("%w: header: %w", ErrMalformed, err)
	}
	alg := Algorithm(t.header.Alg)
	if !alg.valid() || !contains(allowed, alg) {
		return nil, "", &AlgorithmError{Got: t.header.Alg, Allowed: names(allowed)}
	}
	if f := t.header.forbidden(); f != "" {
		return nil, "", fmt.Errorf("%w: %q", ErrForbiddenHeader, f)
	}
	if s == "" {
		return nil, "", fmt.Errorf("%w: empty signature", ErrMalformed)
	}
	if t.payload, err = decodeSegment("payload", p); err != nil {
		return nil, "", err
	}
	if t.signature, err = decodeSegment("signature", s); err != nil {
		return nil, "", err
	}
	t.signingInput = raw[:len(h)+1+len(p)]
	return &t, alg, nil
}

func contains(algs []Algorithm, a Algorithm) bool {
	for _, x := range algs {
		if x == a {
			return true
		}
	}
	return false
}

func names(algs []Algorithm) []string {
	out := make([]string, len(algs))
	for i, a := range algs {
		out[i] = string(a)
	}
	return out
}
