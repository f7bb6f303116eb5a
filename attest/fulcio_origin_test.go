package attest_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/identity"
)

// The Fulcio signer's OIDC token goes to the configured Fulcio origin only.
// Go's client keeps Authorization on a redirect to the same host name on
// another port or scheme (and to a subdomain), and sigstore-go's Fulcio
// client follows redirects with Go's default policy: the signer refuses
// every redirect instead, so the token is sent once, to Fulcio.
func TestFulcioTokenStaysAtItsOrigin(t *testing.T) {
	t.Parallel()
	const token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJjaSJ9.FULCIO-CANARY-7d3a"
	tokens := identity.TokenSourceFunc(func(context.Context) (string, error) { return token, nil })
	var leaked atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Add(1)
		}
		http.Error(w, "not here", http.StatusInternalServerError)
	}))
	t.Cleanup(other.Close)
	for _, tc := range []struct {
		name, target string
		code         int
	}{
		{"307 to another port", other.URL, http.StatusTemporaryRedirect},
		{"308 to another port", other.URL, http.StatusPermanentRedirect},
		{"302 to another port", other.URL, http.StatusFound},
		{"307 within the origin", "", http.StatusTemporaryRedirect},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int32
			fulcio := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				http.Redirect(w, r, tc.target+"/elsewhere"+r.URL.Path, tc.code)
			}))
			t.Cleanup(fulcio.Close)
			s, err := attest.NewFulcioSigner(fulcio.URL, tokens, attest.WithoutTimestampsUnsafe())
			if err != nil {
				t.Fatal(err)
			}
			b, err := s.SignPayload(t.Context(), "application/vnd.in-toto+json", []byte("{}"))
			if !errors.Is(err, attest.ErrSign) || b != nil {
				t.Fatalf("redirected Fulcio: %v, want ErrSign", err)
			}
			if strings.Contains(err.Error(), token) {
				t.Fatal("the error names the token")
			}
			if n := hits.Load(); n != 1 {
				t.Fatalf("Fulcio got %d requests, want 1 (no redirect followed)", n)
			}
		})
	}
	if n := leaked.Load(); n != 0 {
		t.Fatalf("the token reached another origin %d times", n)
	}
}

// A Fulcio URL that would carry the token in clear to another machine, or
// that is not a plain base URL, is a configuration error.
func TestFulcioURLValidated(t *testing.T) {
	t.Parallel()
	tokens := identity.TokenSourceFunc(func(context.Context) (string, error) { return "t", nil })
	for _, u := range []string{"http://fulcio.example.com", "fulcio.example.com", "ftp://fulcio.example.com",
		"https://user:pw@fulcio.example.com", "https://fulcio.example.com/?x=1", "https://fulcio.example.com/#f", "https:///x", "http://localhost:5555"} {
		if _, err := attest.NewFulcioSigner(u, tokens, attest.WithoutTimestampsUnsafe()); !errors.Is(err, attest.ErrConfig) {
			t.Errorf("NewFulcioSigner(%q): %v, want ErrConfig", u, err)
		}
	}
	for _, u := range []string{"https://fulcio.sigstore.dev", "https://fulcio.example.com:8443/base", "http://127.0.0.1:5555", "http://[::1]:5555"} {
		if _, err := attest.NewFulcioSigner(u, tokens, attest.WithoutTimestampsUnsafe()); err != nil {
			t.Errorf("NewFulcioSigner(%q): %v", u, err)
		}
	}
}
