package vault_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/ztci/ztci/secrets/vault"
)

// A redirect from Vault (or from anyone on the path) is never followed: the
// broker's token does not reach the other origin and the call fails closed.
// Vault's own client would follow one 301/302/307 to any host with the
// token; the backend turns that off on its copy of the client.
func TestRedirectsAreNotFollowed(t *testing.T) {
	t.Parallel()
	for _, code := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			t.Parallel()
			var reached atomic.Int32
			other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				reached.Add(1)
				if r.Header.Get("X-Vault-Token") != "" {
					t.Errorf("the broker's token reached another origin")
				}
			}))
			t.Cleanup(other.Close)
			redirecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.URL+r.URL.Path, code)
			}))
			t.Cleanup(redirecting.Close)

			c := client(t, redirecting.URL)
			be, err := vault.New(c, vault.JWTAuth{Role: "ci"}, map[string]vault.Source{"deploy": vault.KV("secret", "ci/deploy", "token")})
			if err != nil {
				t.Fatal(err)
			}
			if err := be.Revoke(t.Context(), "database/creds/ci/abc"); !errors.Is(err, vault.ErrRedirect) {
				t.Fatalf("redirected revocation: %v, want ErrRedirect", err)
			}
			if n := reached.Load(); n != 0 {
				t.Fatalf("the redirect target got %d requests", n)
			}
			if c.Token() != rootToken {
				t.Fatal("the caller's client was changed")
			}
		})
	}
}
