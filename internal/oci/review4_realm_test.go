package oci

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

const review4Canary = "REVIEW4-CANARY-9c1e"

type review4Keychain struct{ cfg authn.AuthConfig }

func (k review4Keychain) Resolve(authn.Resource) (authn.Authenticator, error) {
	return authn.FromConfig(k.cfg), nil
}

// review4Registry answers /v2/ with a Bearer challenge whose realm is
// realm(srv): the WWW-Authenticate header is the registry's to write.
func review4Registry(t *testing.T, realm func(self string) string) (name.Repository, *atomic.Int32) {
	t.Helper()
	var credentialed atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			if strings.Contains(r.Header.Get("Authorization"), "Basic") {
				credentialed.Add(1)
			}
			// A token service that answers without a token, echoing what
			// it was given (as an error page might).
			fmt.Fprintf(w, `{"refresh_token":%q,"note":%q}`, review4Canary, r.Header.Get("Authorization"))
			return
		}
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm=%q,service="reg"`, realm(srv.URL)))
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	repo, err := name.NewRepository(u.Host + "/app")
	if err != nil {
		t.Fatal(err)
	}
	return repo, &credentialed
}

// A registry's WWW-Authenticate realm is server-controlled: a registry
// (or anyone answering for it) that names a realm on another origin must
// not receive the keychain's Basic credentials there.
func TestReview4BasicCredentialsStayAtTheRegistry(t *testing.T) {
	t.Parallel()
	var thief atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" || r.Method == http.MethodPost {
			thief.Add(1)
		}
		fmt.Fprint(w, `{"token":"stolen"}`)
	}))
	t.Cleanup(other.Close)
	ou, _ := url.Parse(other.URL)
	// "localhost" is not an IP literal, so go-containerregistry's own realm
	// check (private and loopback IP literals) lets it through.
	realm := "http://localhost:" + ou.Port() + "/token"
	for _, kc := range []authn.AuthConfig{
		{Username: "ci", Password: review4Canary},
		{IdentityToken: review4Canary}, // the OAuth form POST carries it
	} {
		repo, _ := review4Registry(t, func(string) string { return realm })
		cfg := DefaultConfig()
		cfg.Keychain = review4Keychain{kc}
		_, err := NewClient(cfg, false).HTTP(t.Context(), repo, false)
		if !errors.Is(err, ErrRegistry) {
			t.Errorf("realm on another origin: err = %v, want ErrRegistry", err)
		}
	}
	if n := thief.Load(); n != 0 {
		t.Fatalf("the credentials reached a realm on another origin %d times", n)
	}
}

// A realm on the registry's own origin still gets them (the common case).
func TestReview4SameOriginRealmAllowed(t *testing.T) {
	t.Parallel()
	repo, credentialed := review4Registry(t, func(self string) string { return self + "/token" })
	cfg := DefaultConfig()
	cfg.Keychain = review4Keychain{authn.AuthConfig{Username: "ci", Password: "pw"}}
	_, _ = NewClient(cfg, false).HTTP(t.Context(), repo, false)
	if credentialed.Load() == 0 {
		t.Fatal("the registry's own token endpoint got no credentials")
	}
}

// go-containerregistry quotes a token response without a token in its
// error ("no token in bearer response:\n<body>"); the body is the token
// service's, may echo the credentials or carry a refresh token, and must
// not reach our error or logs.
func TestReview4TokenBodyNotInErrors(t *testing.T) {
	t.Parallel()
	repo, _ := review4Registry(t, func(self string) string { return self + "/token" })
	var logs bytes.Buffer
	cfg := DefaultConfig()
	cfg.Keychain = review4Keychain{authn.AuthConfig{Username: "ci", Password: review4Canary + "-pw"}}
	cfg.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	_, err := NewClient(cfg, false).HTTP(t.Context(), repo, false)
	if !errors.Is(err, ErrRegistry) {
		t.Fatalf("err = %v, want ErrRegistry", err)
	}
	for what, s := range map[string]string{"error": err.Error(), "logs": logs.String()} {
		if strings.Contains(s, review4Canary) || strings.Contains(s, "Basic ") {
			t.Errorf("%s quotes the token response: %s", what, s)
		}
	}
}

// The token service a registry names on another origin is trusted with
// the registry's credentials only where that pairing is fixed in code (or
// configured), never because the registry said so.
func TestReview4TokenRealmAllowed(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		registry, realm string
		extra           []string
		ok              bool
	}{
		{"index.docker.io", "https://auth.docker.io/token?service=registry.docker.io", nil, true},
		{"index.docker.io", "http://auth.docker.io/token", nil, false},
		{"index.docker.io", "https://auth.docker.io:8443/token", nil, false},
		{"registry.gitlab.com", "https://gitlab.com/jwt/auth", nil, true},
		{"reg.example.com", "https://auth.docker.io/token", nil, false},
		{"reg.example.com", "https://reg.example.com/token", nil, true},
		{"reg.example.com", "https://reg.example.com:443/token", nil, true},
		{"reg.example.com", "https://reg.example.com:444/token", nil, false},
		{"reg.example.com", "https://auth.example.com/token", []string{"https://auth.example.com"}, true},
		{"reg.example.com", "https://auth.example.com/token", []string{"https://auth.example.com:8443"}, false},
	} {
		reg, err := name.NewRegistry(tt.registry)
		if err != nil {
			t.Fatal(err)
		}
		r, err := http.NewRequest(http.MethodGet, tt.realm, nil)
		if err != nil {
			t.Fatal(err)
		}
		g := guard{registry: reg, realms: tt.extra}
		if got := g.mayCarryCredentials(r); got != tt.ok {
			t.Errorf("%s -> %s (extra %v): %v, want %v", tt.registry, tt.realm, tt.extra, got, tt.ok)
		}
	}
}

func TestReview4AddTokenRealm(t *testing.T) {
	t.Parallel()
	for _, o := range []string{"http://auth.example.com", "https://u:p@auth.example.com", "https://auth.example.com/token",
		"https://auth.example.com?x", "auth.example.com", ""} {
		var c Config
		if err := c.AddTokenRealm(o); !errors.Is(err, ErrConfig) || strings.Contains(err.Error(), "u:p") {
			t.Errorf("AddTokenRealm(%q) = %v, want ErrConfig without the value", o, err)
		}
	}
	var c Config
	if err := c.AddTokenRealm("https://auth.example.com:8443"); err != nil || len(c.TokenRealms) != 1 {
		t.Fatalf("AddTokenRealm: %v %v", err, c.TokenRealms)
	}
}
