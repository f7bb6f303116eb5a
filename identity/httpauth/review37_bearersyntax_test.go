package httpauth_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/httpauth"
)

// TestReview37BearerSyntax: whatever followed "Bearer " in the
// Authorization field reached the token verifier: a second space, a
// trailing space or tab (HTTP/2 does not trim field values), a
// comma-joined second credential. A verifier that trims or splits (a
// vendor's opaque-token lookup) then accepted a field that a proxy or
// gateway in front parsed differently. Now only "Bearer" (any case), one
// space and a b64token (RFC 6750 §2.1) reach the verifier; anything else
// is refused before it.
func TestReview37BearerSyntax(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, field string
		ok          bool
	}{
		{name: "canonical", field: "Bearer good", ok: true},
		{name: "lower-case scheme", field: "bearer good", ok: true},
		{name: "upper-case scheme", field: "BEARER good", ok: true},
		{name: "every b64token character", field: "Bearer aZ09-._~+/==", ok: true},
		{name: "two spaces", field: "Bearer  good"},
		{name: "trailing space", field: "Bearer good "},
		{name: "trailing tab", field: "Bearer good\t"},
		{name: "tab separator", field: "Bearer\tgood"},
		{name: "comma-joined", field: "Bearer good, Bearer other"},
		{name: "comma-joined, no space", field: "Bearer good,Bearer other"},
		{name: "space inside", field: "Bearer go od"},
		{name: "padding inside", field: "Bearer go=od"},
		{name: "only padding", field: "Bearer =="},
		{name: "quoted", field: `Bearer "good"`},
		{name: "auth-param", field: "Bearer token=good"},
		{name: "not ASCII", field: "Bearer gооd"},
		{name: "other scheme", field: "Basic good"},
		{name: "scheme only", field: "Bearer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			// A lenient verifier, as a vendor's might be.
			v := identity.TokenVerifierFunc(func(_ context.Context, raw string) (identity.Identity, error) {
				calls.Add(1)
				for _, tok := range strings.Split(raw, ",") {
					tok = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(tok), "Bearer "))
					if tok == "good" || tok == "aZ09-._~+/==" {
						return identity.Identity{Issuer: "https://issuer.test", Subject: tok}, nil
					}
				}
				return identity.Identity{}, errors.New("bad token")
			})
			a, err := httpauth.New(httpauth.WithBearer(v))
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "https://deployer.test/", nil) // over TLS
			r.Header["Authorization"] = []string{tc.field}
			id, err := a.Authenticate(r)
			if tc.ok {
				if err != nil || id.IsZero() {
					t.Fatalf("Authenticate(%q): %v, %v; want authenticated", tc.field, id, err)
				}
				return
			}
			if !errors.Is(err, httpauth.ErrUnauthenticated) || !id.IsZero() {
				t.Errorf("Authenticate(%q): %v, %v; want ErrUnauthenticated", tc.field, id, err)
			}
			if n := calls.Load(); n != 0 {
				t.Errorf("Authenticate(%q): the verifier saw the field", tc.field)
			}
		})
	}
}

// TestReview37AuthorizationKeyCase: the middleware read and removed the
// canonical "Authorization" key only, so a request built in-process with
// another case of it (a bridge from gRPC metadata, a serverless adapter)
// was authenticated by one field while the handler still received the
// other token, and two fields passed as one. Now every case of the key
// counts, two fields are refused, and the handler sees none.
func TestReview37AuthorizationKeyCase(t *testing.T) {
	t.Parallel()
	v := identity.TokenVerifierFunc(func(_ context.Context, raw string) (identity.Identity, error) {
		if raw == "good" || raw == "other" {
			return identity.Identity{Issuer: "https://issuer.test", Subject: raw}, nil
		}
		return identity.Identity{}, errors.New("bad token")
	})
	a, err := httpauth.New(httpauth.WithBearer(v))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		header http.Header
		status int
	}{
		{name: "lower-case key", header: http.Header{"authorization": {"Bearer good"}}, status: http.StatusNoContent},
		{name: "two keys", header: http.Header{"Authorization": {"Bearer good"}, "authorization": {"Bearer other"}}, status: http.StatusUnauthorized},
		{name: "two keys, one bad", header: http.Header{"Authorization": {"Bearer good"}, "AUTHORIZATION": {"Bearer bad"}}, status: http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k := range r.Header {
					if strings.EqualFold(k, "Authorization") {
						t.Errorf("the handler received %s", k)
					}
				}
				w.WriteHeader(http.StatusNoContent)
			}))
			r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "https://deployer.test/", nil)
			r.Header = tc.header
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Errorf("status %d, want %d", w.Code, tc.status)
			}
		})
	}
}

// TestReview37TokenOnlyInAuthorization pins that a token anywhere but the
// Authorization field (a query parameter, a form field, a cookie, another
// header) authenticates no one and never reaches the verifier.
func TestReview37TokenOnlyInAuthorization(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	v := identity.TokenVerifierFunc(func(context.Context, string) (identity.Identity, error) {
		calls.Add(1)
		return identity.Identity{Issuer: "https://issuer.test", Subject: "job"}, nil
	})
	a, err := httpauth.New(httpauth.WithBearer(v))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		set  func(*http.Request)
	}{
		{name: "query", set: func(r *http.Request) { r.URL.RawQuery = "access_token=good" }},
		{name: "form", set: func(r *http.Request) {
			r.Method = http.MethodPost
			r.Body = io.NopCloser(strings.NewReader("access_token=good"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}},
		{name: "cookie", set: func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "access_token", Value: "good"}) }},
		{name: "Proxy-Authorization", set: func(r *http.Request) { r.Header.Set("Proxy-Authorization", "Bearer good") }},
		{name: "X-Forwarded-Authorization", set: func(r *http.Request) { r.Header.Set("X-Forwarded-Authorization", "Bearer good") }},
		{name: "trailer", set: func(r *http.Request) { r.Trailer = http.Header{"Authorization": {"Bearer good"}} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "https://deployer.test/", nil)
			tc.set(r)
			if id, err := a.Authenticate(r); !errors.Is(err, httpauth.ErrUnauthenticated) || !id.IsZero() {
				t.Errorf("Authenticate: %v, %v; want ErrUnauthenticated", id, err)
			}
		})
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("the verifier saw %d tokens", n)
	}
}
