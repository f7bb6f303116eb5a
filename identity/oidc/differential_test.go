package oidc

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestAmbiguousMemberNamesRefused signs tokens whose header or claims a
// case-insensitive decoder (encoding/json) reads differently from a
// case-sensitive JOSE one, or whose repeated members peers resolve
// differently, and checks each is refused with ErrAmbiguousJSON inside
// ErrMalformed even though the signature is good.
func TestAmbiguousMemberNamesRefused(t *testing.T) {
	t.Parallel()
	ec, _, _ := testKeys(t)
	claims := string(mustJSON(t, goodClaims()))
	withMember := func(extra string) string { return "{" + extra + "," + claims[1:] }
	tests := []struct {
		name           string
		header, claims string
	}{
		{"header ALG KID in capitals", `{"ALG":"ES256","KID":"ec1"}`, claims},
		{"header Kid", `{"alg":"ES256","Kid":"ec1"}`, claims},
		{"header alg repeated", `{"alg":"none","alg":"ES256","kid":"ec1"}`, claims},
		{"header kid escaped repeat", `{"alg":"ES256","kid":"ec1","\u006bid":"rsa1"}`, claims},
		{"header kelvin-sign kid", "{\"alg\":\"ES256\",\"\u212aid\":\"ec1\"}", claims},
		{"header TYP", `{"alg":"ES256","kid":"ec1","TYP":"at+jwt"}`, claims},
		{"claims iss repeated", `{"alg":"ES256","kid":"ec1"}`, withMember(`"iss":"https://evil.test"`)},
		{"claims ISS beside iss", `{"alg":"ES256","kid":"ec1"}`, withMember(`"ISS":"https://evil.test"`)},
		{"claims Sub beside sub", `{"alg":"ES256","kid":"ec1"}`, withMember(`"Sub":"repo:evil/evil:ref:refs/heads/main"`)},
		{"claims repository repeated", `{"alg":"ES256","kid":"ec1"}`, withMember(`"repository":"evil/evil"`)},
		{"claims Repository beside repository", `{"alg":"ES256","kid":"ec1"}`, withMember(`"Repository":"evil/evil"`)},
		{"claims nested repeat", `{"alg":"ES256","kid":"ec1"}`, withMember(`"x":{"a":1,"A":2}`)},
	}
	v, err := NewVerifier("https://issuer.test", "vault", WithKeySet(testKeySet(t)), WithClock(func() time.Time { return testNow }))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok := signES256(t, ec, []byte(tt.header), []byte(tt.claims))
			_, err := v.Verify(t.Context(), tok)
			if !errors.Is(err, ErrAmbiguousJSON) || !errors.Is(err, ErrMalformed) {
				t.Fatalf("Verify = %v, want ErrAmbiguousJSON and ErrMalformed", err)
			}
		})
	}
	// The same claims and header without the ambiguity verify.
	if _, err := v.Verify(t.Context(), signES256(t, ec, []byte(`{"alg":"ES256","kid":"ec1"}`), []byte(claims))); err != nil {
		t.Fatalf("control token: %v", err)
	}
}

func TestAmbiguousKeySetRefused(t *testing.T) {
	t.Parallel()
	ec, _, _ := testKeys(t)
	x := b64(ec.X.FillBytes(make([]byte, 32)))
	y := b64(ec.Y.FillBytes(make([]byte, 32)))
	key := func(extra string) string {
		return `{"kty":"EC","crv":"P-256","x":"` + x + `","y":"` + y + `"` + extra + `}`
	}
	tests := []struct{ name, jwks string }{
		{"KID", `{"keys":[` + key(`,"KID":"ec1"`) + `]}`},
		{"kid and Kid", `{"keys":[` + key(`,"kid":"ec1","Kid":"other"`) + `]}`},
		{"kid repeated", `{"keys":[` + key(`,"kid":"ec1","kid":"other"`) + `]}`},
		{"KEY_OPS", `{"keys":[` + key(`,"kid":"ec1","KEY_OPS":["sign"]`) + `]}`},
		{"Keys", `{"Keys":[` + key(`,"kid":"ec1"`) + `]}`},
		{"keys repeated", `{"keys":[],"keys":[` + key(`,"kid":"ec1"`) + `]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseKeySet([]byte(tt.jwks))
			if !errors.Is(err, ErrAmbiguousJSON) || !errors.Is(err, ErrKeySet) {
				t.Fatalf("ParseKeySet = %v, want ErrAmbiguousJSON and ErrKeySet", err)
			}
		})
	}
	if _, err := ParseKeySet([]byte(`{"keys":[` + key(`,"kid":"ec1"`) + `]}`)); err != nil {
		t.Fatalf("control JWKS: %v", err)
	}
}

func TestAmbiguousDiscoveryRefused(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{
		`{"issuer":"%s","jwks_uri":"%s/jwks","JWKS_URI":"https://evil.test/jwks"}`,
		`{"issuer":"%s","jwks_uri":"%s/jwks","jwks_uri":"https://evil.test/jwks"}`,
		`{"Issuer":"%s","jwks_uri":"%s/jwks"}`,
	} {
		t.Run(doc, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(nil)
			defer srv.Close()
			srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte(strings.ReplaceAll(doc, "%s", srv.URL)))
			})
			v, err := NewVerifier(srv.URL, "aud")
			if err != nil {
				t.Fatal(err)
			}
			ec, _, _ := testKeys(t)
			tok := signES256(t, ec, []byte(`{"alg":"ES256","kid":"ec1"}`), mustJSON(t, goodClaims()))
			if _, err := v.Verify(t.Context(), tok); !errors.Is(err, ErrAmbiguousJSON) || !errors.Is(err, ErrKeySet) {
				t.Fatalf("Verify = %v, want ErrAmbiguousJSON and ErrKeySet", err)
			}
		})
	}
}
