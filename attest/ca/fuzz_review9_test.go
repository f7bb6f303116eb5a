package ca

import (
	"bytes"
	"context"
	"encoding"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ztci/ztci/identity"
)

// review9PlainJSONType reads a Content-Type as a plain reader in front of
// the CA does (see the gate's FuzzReview9CheckJSONContent): media type,
// then ";"-separated name=value, SP/HTAB trimmed, quotes removed, nothing
// decoded. It reports whether that reader sees application/json with no
// parameter but charset=utf-8.
func review9PlainJSONType(ct string) bool {
	const ows = " \t"
	parts := strings.Split(ct, ";")
	if !strings.EqualFold(strings.Trim(parts[0], ows), "application/json") {
		return false
	}
	for _, p := range parts[1:] {
		if p = strings.Trim(p, ows); p == "" {
			continue
		}
		k, v, ok := strings.Cut(p, "=")
		if v = strings.Trim(v, ows); len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		if !ok || !strings.EqualFold(strings.Trim(k, ows), "charset") || !strings.EqualFold(v, "utf-8") {
			return false
		}
	}
	return true
}

// FuzzReview9SigningCertRequest posts arbitrary bodies, declared with
// arbitrary content types, to the CA's Fulcio signingCert endpoint, whose
// request decoding is read against its schema since today. Properties:
//   - nothing panics; the status is 200, 400, 401 or 415;
//   - a body reaches the authenticator only if its declared type is absent
//     or reads, to a plain reader, as application/json with at most
//     charset=utf-8, and the body is valid JSON that encoding/json's
//     tokenizer reads as Unicode text with no two members of one object
//     equal under case folding and no request member spelt in another case
//     (review9Read): so every JSON reader finds the same request;
//   - the token the authenticator gets is the request's
//     credentials.oidcIdentityToken, else the Authorization header's;
//   - no answer quotes the token, even when the authenticator's error does.
func FuzzReview9SigningCertRequest(f *testing.F) {
	for _, s := range [][2]string{
		{`{"credentials":{"oidcIdentityToken":"tok-ok-0123456789"},"publicKeyRequest":{"publicKey":{"algorithm":"ECDSA","content":"-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n"},"proofOfPossession":"AAAA"}}`, "application/json"},
		{`{"certificateSigningRequest":"AAAA"}`, ""},
		{`{"credentials":{"oidcIdentityToken":"tok-bad-0123456789","OIDCIdentityToken":"tok-ok-0123456789"}}`, "application/json; charset=utf-8"},
		{`{"credentials":{"oidcIdentityToken":"tok-bad-0123456789"},"credentials":{"oidcIdentityToken":"tok-ok-0123456789"}}`, "application/json"},
		{`{"Credentials":{"oidcIdentityToken":"tok-ok-0123456789"}}`, "application/json"},
		{`{"credentials":{"oidcIdentityToken":"tok-ok-\ud800"}}`, "application/json"},
		{"{\"credentials\":{\"oidcIdentityToken\":\"tok-ok-\xff\"}}", "application/json"},
		{`{"credentials":{"oidcIdentityToken":"tok-bad-0123456789"}}`, "application/json; charset=utf-16"},
		{`{"credentials":{"oidcIdentityToken":"tok-ok-0123456789"}}`, "application/json; charset=utf-16; charset*=utf-8''utf-8"},
		{`{"credentials":{"oidcIdentityToken":"tok-ok-0123456789"}}`, "text/plain"},
		{`{`, "application/json"},
	} {
		f.Add([]byte(s[0]), s[1])
	}
	c, err := New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, ct string) {
		var got []string
		h := c.Handler(AuthenticatorFunc(func(_ context.Context, token string) (identity.Identity, error) {
			got = append(got, token)
			if strings.HasPrefix(token, "tok-ok") {
				return identity.Identity{Issuer: "https://iss", Subject: "https://ci/wf"}, nil
			}
			return identity.Identity{}, errors.New("token " + token + " refused")
		}))
		req := httptest.NewRequest(http.MethodPost, "/api/v2/signingCert", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer tok-hdr-0123456789")
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusUnsupportedMediaType:
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body.Bytes())
		}
		if len(got) == 0 {
			return
		}
		if ct != "" && !review9PlainJSONType(ct) {
			t.Fatalf("body declared as %q was read as JSON", ct)
		}
		if !json.Valid(body) {
			t.Fatalf("body %q is not JSON but was read", body)
		}
		r := review9Read(body, reflect.TypeFor[signingCertRequest]())
		if r.notUnicode || r.repeated != "" || r.folded != "" || r.caseVariant != "" {
			t.Fatalf("ambiguous body %q was read (%+v)", body, r)
		}
		want := "tok-hdr-0123456789"
		var m struct {
			Credentials struct {
				Token string `json:"oidcIdentityToken"`
			} `json:"credentials"`
		}
		if json.Unmarshal(body, &m) == nil && m.Credentials.Token != "" {
			want = m.Credentials.Token
		}
		if len(got) != 1 || got[0] != want {
			t.Fatalf("authenticator got %q, want [%q]", got, want)
		}
		if tok := got[0]; rec.Code != http.StatusOK && len(tok) >= 12 && strings.HasPrefix(tok, "tok-") && strings.Contains(rec.Body.String(), tok) {
			t.Fatalf("answer quotes the token: %s", rec.Body.Bytes())
		}
	})
}

// review9Reading is what an independent reader, encoding/json's tokenizer,
// sees of a JSON document: whether its text is Unicode, the first two
// member names of one object equal under strings.EqualFold (exactly equal
// included), and the first member name at a position of t's structs spelt
// like one of the struct's fields in another case.
type review9Reading struct {
	notUnicode  bool
	repeated    string // exactly equal names
	folded      string // equal under case folding, not exactly
	caseVariant string
}

// review9Read reads b, valid JSON, as a value of type t (nil: free-form).
// Maps and types that decode themselves are free-form (checked against
// their own names only), as strictjson.SchemaOf has it.
func review9Read(b []byte, t reflect.Type) review9Reading {
	var r review9Reading
	if !utf8.Valid(b) {
		r.notUnicode = true
		return r
	}
	// encoding/json reads an escaped lone surrogate as U+FFFD: a decoded
	// U+FFFD that the text does not spell is one.
	spelt := bytes.Contains(b, []byte("\uFFFD")) || bytes.Contains(bytes.ToLower(b), []byte("fffd"))
	text := func(s string) {
		if !spelt && strings.ContainsRune(s, utf8.RuneError) {
			r.notUnicode = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var walk func(t reflect.Type) bool
	walk = func(t reflect.Type) bool {
		t = review9Shape(t)
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch v := tok.(type) {
		case string:
			text(v)
		case json.Delim:
			var fields map[string]reflect.Type
			var elem reflect.Type
			if t != nil && t.Kind() == reflect.Struct {
				fields = review9Fields(t, map[string]reflect.Type{})
			}
			if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
				elem = t.Elem()
			}
			var names []string
			for dec.More() {
				if v == '[' {
					if !walk(elem) {
						return false
					}
					continue
				}
				kt, err := dec.Token()
				if err != nil {
					return false
				}
				k := kt.(string)
				text(k)
				for _, n := range names {
					switch {
					case n == k && r.repeated == "":
						r.repeated = k
					case n != k && strings.EqualFold(n, k) && r.folded == "":
						r.folded = n + " " + k
					}
				}
				names = append(names, k)
				ft, ok := fields[k]
				if !ok {
					for n := range fields {
						if strings.EqualFold(n, k) && r.caseVariant == "" {
							r.caseVariant = k
						}
					}
				}
				if !walk(ft) {
					return false
				}
			}
			if _, err := dec.Token(); err != nil {
				return false
			}
		}
		return true
	}
	walk(t)
	return r
}

// review9Shape is t through pointers, or nil for a free-form value.
func review9Shape(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return nil
	}
	um, tu := reflect.TypeFor[json.Unmarshaler](), reflect.TypeFor[encoding.TextUnmarshaler]()
	if t.Implements(um) || reflect.PointerTo(t).Implements(um) || t.Implements(tu) || reflect.PointerTo(t).Implements(tu) {
		return nil
	}
	if t.Kind() == reflect.Map || t.Kind() == reflect.Interface {
		return nil
	}
	return t
}

// review9Fields adds the JSON member names of struct t's fields to m, as
// encoding/json names them.
func review9Fields(t reflect.Type, m map[string]reflect.Type) map[string]reflect.Type {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case tag == "-":
		case f.Anonymous && tag == "" && review9Shape(f.Type) != nil && review9Shape(f.Type).Kind() == reflect.Struct:
			review9Fields(review9Shape(f.Type), m)
		case !f.IsExported():
		case tag != "":
			m[tag] = f.Type
		default:
			m[f.Name] = f.Type
		}
	}
	return m
}
