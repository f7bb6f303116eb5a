package ca

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/internal/mediatype"
	"github.com/ztci/ztci/internal/strictjson/strictjsontest"
)

// FuzzReview9SigningCertRequest posts arbitrary bodies, declared with
// arbitrary content types, to the CA's Fulcio signingCert endpoint, whose
// request decoding is read against its schema since today. Properties:
//   - nothing panics; the status is 200, 400, 401 or 415;
//   - a body reaches the authenticator only if its declared type is absent
//     or reads, to a plain reader, as application/json with at most
//     charset=utf-8, and the body is valid JSON that encoding/json's
//     tokenizer reads as Unicode text with no two members of one object
//     equal under case folding and no request member spelt in another case
//     (strictjsontest.Read): so every JSON reader finds the same request;
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
	c, err := New(WithSubjectDomain("https://iss", "https://ci"))
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
		if ct != "" && !mediatype.PlainJSON(ct) {
			t.Fatalf("body declared as %q was read as JSON", ct)
		}
		if !json.Valid(body) {
			t.Fatalf("body %q is not JSON but was read", body)
		}
		r := strictjsontest.Read(body, reflect.TypeFor[signingCertRequest]())
		if r.Ambiguous() {
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
