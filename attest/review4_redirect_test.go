package attest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/identity"
)

// review4Other is another origin that serves h and counts what reaches it.
func review4Other(t *testing.T, h http.Handler) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// review4Redirector answers everything with a code redirect to target.
func review4Redirector(t *testing.T, code int, target string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target+r.URL.Path, code)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func review4Key(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// A timestamp request and a Rekor upload are POSTs to the URL configured:
// a redirect (to another origin, or a 307/308 that re-sends the body) is
// never followed, and never counted as the answer.
func TestReview4SignerWritesDoNotFollowRedirects(t *testing.T) {
	t.Parallel()
	a, err := tsa.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opt  func(base string) attest.Option
		h    http.Handler
	}{
		{"timestamp authority", func(b string) attest.Option { return attest.WithTimestampAuthority(b + "/api/v1/timestamp") }, a.Handler()},
		{"rekor v1", func(b string) attest.Option { return attest.WithRekor(b, 1) }, http.NotFoundHandler()},
		{"rekor v2", func(b string) attest.Option { return attest.WithRekor(b, 2) }, http.NotFoundHandler()},
	} {
		for _, code := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect, http.StatusFound} {
			t.Run(tc.name+" "+http.StatusText(code), func(t *testing.T) {
				t.Parallel()
				other, hits := review4Other(t, tc.h)
				first := review4Redirector(t, code, other.URL)
				s, err := attest.NewKeySigner(review4Key(t), tc.opt(first.URL))
				if err != nil {
					t.Fatal(err)
				}
				b, err := s.SignPayload(t.Context(), "application/vnd.in-toto+json", []byte("{}"))
				if !errors.Is(err, attest.ErrSign) || b != nil {
					t.Errorf("redirected write: %v, want ErrSign and no bundle", err)
				}
				if n := hits.Load(); n != 0 {
					t.Errorf("the redirect was followed: another origin got %d requests", n)
				}
			})
		}
	}
}

// Fulcio's error answer is quoted by sigstore-go's client ("Fulcio returned
// 401: <body>"); a body that echoes the request carries the OIDC token, and
// must not reach the signer's error or logs.
func TestReview4FulcioErrorBodyWithheld(t *testing.T) {
	t.Parallel()
	const token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJjaSJ9.REVIEW4-FULCIO-CANARY"
	fulcio := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "invalid identity token: "+r.Header.Get("Authorization"), http.StatusUnauthorized)
	}))
	t.Cleanup(fulcio.Close)
	tokens := identity.TokenSourceFunc(func(context.Context) (string, error) { return token, nil })
	s, err := attest.NewFulcioSigner(fulcio.URL, tokens, attest.WithoutTimestampsUnsafe())
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.SignPayload(t.Context(), "application/vnd.in-toto+json", []byte("{}"))
	if !errors.Is(err, attest.ErrSign) {
		t.Fatalf("err = %v, want ErrSign", err)
	}
	if strings.Contains(err.Error(), "CANARY") {
		t.Fatalf("the error quotes Fulcio's answer, token included: %v", err)
	}
	if !strings.Contains(err.Error(), "401") {
		t.Errorf("the error lost the status: %v", err)
	}
}
