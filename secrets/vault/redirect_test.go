package vault_test

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ztci/ztci/secrets"
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

// The job's unwrap never follows a redirect either: Vault's client would
// send the wrapping token (as the request's Vault token) to whatever host
// a 301/302/307 names, and return that host's answer as the secret.
func TestUnwrapDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	const wrapping = "wrapping-token-canary-5b1e"
	for _, code := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			t.Parallel()
			var reached atomic.Int32
			other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				reached.Add(1)
				if r.Header.Get("X-Vault-Token") != "" {
					t.Errorf("the wrapping token reached another origin")
				}
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`{"data":{"data":{"token":"planted"}}}`))
			}))
			t.Cleanup(other.Close)
			redirecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.URL+r.URL.Path, code)
			}))
			t.Cleanup(redirecting.Close)
			c := client(t, redirecting.URL)
			v, err := vault.Unwrap(t.Context(), c, secrets.NewValue(wrapping), "token")
			if !errors.Is(err, vault.ErrUnwrap) || !errors.Is(err, vault.ErrRedirect) || !v.IsZero() {
				t.Fatalf("redirected unwrap = %v, %v; want ErrUnwrap and ErrRedirect", v, err)
			}
			if strings.Contains(err.Error(), wrapping) {
				t.Fatal("the error names the wrapping token")
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

// Tokens never go over plain HTTP to another machine: New and Unwrap
// refuse an http address that is not loopback before sending anything.
func TestPlainHTTPAddressRefused(t *testing.T) {
	t.Parallel()
	c := client(t, "http://vault.example.com:8200")
	if _, err := vault.New(c, vault.JWTAuth{Role: "ci"}, map[string]vault.Source{"deploy": vault.KV("secret", "ci/deploy", "token")}); !errors.Is(err, vault.ErrConfig) {
		t.Fatalf("New over plain http: %v, want ErrConfig", err)
	}
	if _, err := vault.Unwrap(t.Context(), c, secrets.NewValue("w"), "token"); !errors.Is(err, vault.ErrUnwrap) {
		t.Fatalf("Unwrap over plain http: %v, want ErrUnwrap", err)
	}
	for _, ok := range []string{"https://vault.example.com:8200", "http://127.0.0.1:8200", "http://[::1]:8200"} {
		if _, err := vault.New(client(t, ok), vault.JWTAuth{Role: "ci"}, map[string]vault.Source{"deploy": vault.KV("secret", "ci/deploy", "token")}); err != nil {
			t.Errorf("New(%s): %v", ok, err)
		}
	}
}

// A client reaching Vault over a unix socket ("unix:///path", which
// Vault's client turns into the URL host "localhost") is accepted: the
// token never leaves the host. The name localhost over TCP is not: it is
// resolved like any name.
func TestUnixSocketAddressAccepted(t *testing.T) {
	t.Parallel()
	sock := filepath.Join(t.TempDir(), "vault.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	var revoked atomic.Int32
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/sys/leases/revoke" && r.Header.Get("X-Vault-Token") == rootToken {
			revoked.Add(1)
		}
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	be, err := vault.New(client(t, "unix://"+sock), vault.JWTAuth{Role: "ci"}, map[string]vault.Source{"db": vault.Dynamic("database/creds/ci", "password")})
	if err != nil {
		t.Fatalf("New over a unix socket: %v", err)
	}
	if err := be.Revoke(t.Context(), "database/creds/ci/abc"); err != nil {
		t.Fatalf("Revoke over a unix socket: %v", err)
	}
	if revoked.Load() != 1 {
		t.Fatalf("the socket's server got %d revocations, want 1", revoked.Load())
	}
	if _, err := vault.New(client(t, "http://localhost:8200"), vault.JWTAuth{Role: "ci"}, map[string]vault.Source{"db": vault.Dynamic("database/creds/ci", "password")}); !errors.Is(err, vault.ErrConfig) {
		t.Fatalf("New over plain http to the name localhost: %v, want ErrConfig", err)
	}
}

// A response longer than MaxResponseSize is an error, not a secret.
func TestResponseBounded(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"data":{"data":{"token":"`))
		chunk := []byte(strings.Repeat("a", 1<<20))
		for range vault.MaxResponseSize>>20 + 1 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		w.Write([]byte(`"}}}`))
	}))
	t.Cleanup(srv.Close)
	_, err := vault.Unwrap(t.Context(), client(t, srv.URL), secrets.NewValue("w"), "token")
	if !errors.Is(err, vault.ErrUnwrap) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("oversized answer: %v", err)
	}
}
