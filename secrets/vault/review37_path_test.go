package vault_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/vault"
)

// TestReview37PathTraversalRefused: Vault's client joins a request path
// with path.Join, which resolves "." and ".." segments and drops empty
// ones, so a source path with such a segment — a vendor building sources
// from a job's claims ("ci/" + repository) — reads another path than the
// one configured (KV("secret", "ci/../../sys/policy/root", ...) reads
// sys/policy/root), or logs in through another auth mount. New refuses
// them, and percent-encoded dots, slashes and backslashes that a proxy
// decoding twice would turn into the same.
func TestReview37PathTraversalRefused(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.Path)
		mu.Unlock()
		switch r.URL.Path {
		case "/v1/auth/jwt/login":
			reply(w, map[string]any{"auth": map[string]any{"client_token": "hvs.job-login-token"}})
		default:
			reply(w, map[string]any{"data": map[string]any{"data": map[string]any{"token": "root-policy-or-other-secret"}, "token": "x"}})
		}
	}))
	t.Cleanup(srv.Close)
	c := client(t, srv.URL)
	for _, tc := range []struct {
		name string
		src  vault.Source
		auth vault.JWTAuth
	}{
		{"kv path dot dot", vault.KV("secret", "ci/../../sys/policy/root", "token"), vault.JWTAuth{Role: "ci"}},
		{"kv path dot", vault.KV("secret", "ci/./deploy", "token"), vault.JWTAuth{Role: "ci"}},
		{"kv path empty segment", vault.KV("secret", "ci//deploy", "token"), vault.JWTAuth{Role: "ci"}},
		{"kv mount dot dot", vault.KV("secret/..", "sys/policy", "token"), vault.JWTAuth{Role: "ci"}},
		{"kv path only dots", vault.KV("secret", "..", "token"), vault.JWTAuth{Role: "ci"}},
		{"dynamic dot dot", vault.Dynamic("database/creds/../../sys/leases/lookup", "password"), vault.JWTAuth{Role: "ci"}},
		{"encoded dot dot", vault.KV("secret", "ci/%2e%2E/admin", "token"), vault.JWTAuth{Role: "ci"}},
		{"encoded slash", vault.KV("secret", "ci%2F..%2fadmin", "token"), vault.JWTAuth{Role: "ci"}},
		{"backslash", vault.KV("secret", `ci\..\admin`, "token"), vault.JWTAuth{Role: "ci"}},
		{"encoded backslash", vault.KV("secret", "ci%5C..", "token"), vault.JWTAuth{Role: "ci"}},
		{"control character", vault.KV("secret", "ci/\x00deploy", "token"), vault.JWTAuth{Role: "ci"}},
		{"auth mount dot dot", vault.KV("secret", "ci/deploy", "token"), vault.JWTAuth{Role: "ci", Mount: "jwt/../token"}},
		{"auth mount empty segment", vault.KV("secret", "ci/deploy", "token"), vault.JWTAuth{Role: "ci", Mount: "jwt//x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			be, err := vault.New(c, tc.auth, map[string]vault.Source{"s": tc.src})
			if errors.Is(err, vault.ErrConfig) {
				return
			}
			if err != nil {
				t.Fatalf("New: %v, want ErrConfig", err)
			}
			g, err := be.Issue(t.Context(), secrets.Request{Name: "s", LeaseID: "ztci_r", Token: secrets.NewValue("job-jwt")})
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("New accepted the source; Issue = %v, %v (paths requested so far: %q)", g.Value.Len(), err, seen)
		})
	}
	if _, err := vault.New(c, vault.JWTAuth{Role: "ci", Mount: "/jwt/"}, map[string]vault.Source{"s": vault.KV("secret", "ci", "t")}); err != nil {
		t.Errorf("New refused auth mount /jwt/: %v", err)
	}
	for _, ok := range []vault.Source{
		vault.KV("secret", "ci/deploy", "token"),
		vault.KV("/secret/", "/ci/deploy/", "token"),
		vault.KV("kv-v2", "team.a/app..name/x", "token"),
		vault.Dynamic("database/creds/ci", "password"),
	} {
		if _, err := vault.New(c, vault.JWTAuth{Role: "ci", Mount: "jwt/ci"}, map[string]vault.Source{"s": ok}); err != nil {
			t.Errorf("New refused a plain source: %v", err)
		}
	}
}
