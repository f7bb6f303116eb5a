package httpauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/httpauth"
)

// review22Verifier accepts the token "good" and counts its calls.
func review22Verifier(calls *int) identity.TokenVerifier {
	return identity.TokenVerifierFunc(func(_ context.Context, raw string) (identity.Identity, error) {
		*calls++
		if raw == "good" {
			return identity.Identity{Issuer: "https://issuer.test", Subject: "job"}, nil
		}
		return identity.Identity{}, errors.New("bad token")
	})
}

// TestReview22BearerOverPlainHTTP: a bearer token on a request that
// reached the server without TLS was verified and accepted, so a client
// configured for http:// sent its token in clear, for anyone on the path
// to copy, and kept working unnoticed. Now it is refused (ErrPlaintext,
// 401) before the verifier sees it, unless WithTLSTerminatingProxy says a
// trusted proxy in front terminated TLS.
func TestReview22BearerOverPlainHTTP(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []httpauth.Option
		want int
	}{
		{"default", nil, http.StatusUnauthorized},
		{"WithTLSTerminatingProxy", []httpauth.Option{httpauth.WithTLSTerminatingProxy()}, http.StatusNoContent},
	} {
		var calls int
		a, err := httpauth.New(append([]httpauth.Option{httpauth.WithBearer(review22Verifier(&calls))}, tc.opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })))
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer good")
		resp, err := srv.Client().Do(req)
		srv.Close()
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s: plain HTTP bearer request: status %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
		if tc.want == http.StatusUnauthorized && calls != 0 {
			t.Errorf("%s: verifier called %d times for a token that came in clear", tc.name, calls)
		}
	}

	var calls int
	a, err := httpauth.New(httpauth.WithBearer(review22Verifier(&calls)))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "http://deployer.test/", nil)
	r.Header.Set("Authorization", "Bearer good")
	if id, err := a.Authenticate(r); !errors.Is(err, httpauth.ErrPlaintext) || !errors.Is(err, httpauth.ErrUnauthenticated) {
		t.Errorf("Authenticate over plain HTTP = %v, %v; want ErrPlaintext and ErrUnauthenticated", id, err)
	}
	r = httptest.NewRequest(http.MethodGet, "https://deployer.test/", nil)
	r.Header.Set("Authorization", "Bearer good")
	if id, err := a.Authenticate(r); err != nil || id.Subject != "job" {
		t.Errorf("Authenticate over TLS = %v, %v", id, err)
	}
}

// TestReview22AuthorizationNotPassedOn: the handler behind the middleware
// received the request with its Authorization header, so one that logged
// headers, or proxied the request on, passed the caller's bearer token
// along. Now the handler sees the caller in the context and no
// Authorization field, and the caller's own request is left as it was.
func TestReview22AuthorizationNotPassedOn(t *testing.T) {
	t.Parallel()
	var calls int
	a, err := httpauth.New(httpauth.WithBearer(review22Verifier(&calls)))
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	var who identity.Identity
	h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.Header.Values("Authorization")
		who, _ = identity.FromContext(r.Context())
		w.WriteHeader(http.StatusNoContent)
	}))
	r := httptest.NewRequest(http.MethodGet, "https://deployer.test/", nil)
	r.Header.Set("Authorization", "Bearer good")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusNoContent || who.Subject != "job" {
		t.Fatalf("status %d, caller %v; want 204 and the token's caller", w.Code, who)
	}
	if len(seen) != 0 {
		t.Errorf("handler saw Authorization %q; want none", seen)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer good" {
		t.Errorf("caller's request modified: Authorization %q", got)
	}
}
