package vault

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/secrets"
)

// TestReview5OwnedBounded: what the backend remembers of the ids it handed
// out must end with the leases. The id the broker reserved is not the one
// a dynamic or wrapped lease is revoked by, so the broker never revokes it:
// remembered until then, it was kept for the life of the process, one
// entry per lease ever issued.
func TestReview5OwnedBounded(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		var resp map[string]any
		switch r.URL.Path {
		case "/v1/auth/jwt/login":
			resp = map[string]any{"auth": map[string]any{"client_token": "job-token"}}
		case "/v1/database/creds/ci", "/v1/secret/data/ci":
			i := n.Add(1)
			if r.Header.Get("X-Vault-Wrap-TTL") != "" {
				resp = map[string]any{"wrap_info": map[string]any{"token": fmt.Sprintf("wrapping-token-%d-abcdef", i), "accessor": fmt.Sprintf("acc%d", i), "ttl": 60}}
				break
			}
			resp = map[string]any{"lease_id": fmt.Sprintf("database/creds/ci/l%d", i), "lease_duration": 60, "renewable": true,
				"data": map[string]any{"password": fmt.Sprintf("dynamic-password-%d-abcdef", i)}}
		case "/v1/sys/leases/revoke", "/v1/auth/token/revoke-accessor":
			w.WriteHeader(http.StatusNoContent)
			return
		default:
			w.WriteHeader(http.StatusNotFound)
			return
		}
		_ = json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(srv.Close)
	c, err := api.NewClient(&api.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	be, err := New(c, JWTAuth{Role: "ci"}, map[string]Source{
		"db":      Dynamic("database/creds/ci", "password"),
		"wrapped": KV("secret", "ci", "password").Wrapped(time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := secrets.New(secrets.AllowNames("db", "wrapped"), be)
	if err != nil {
		t.Fatal(err)
	}
	who := identity.Identity{Issuer: "https://ci.example.com", Subject: "repo:octo/app"}
	for i := range 10 {
		j, err := b.Begin(t.Context(), secrets.JobSpec{ID: fmt.Sprintf("job-%d", i), Identity: who, Token: secrets.NewValue("job-jwt")})
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"db", "wrapped"} {
			if _, err := j.Lease(t.Context(), name); err != nil {
				t.Fatal(err)
			}
		}
		if err := j.End(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	if len(be.owned) != 0 {
		t.Fatalf("the backend still remembers %d ids after every lease was revoked", len(be.owned))
	}
}

// TestReview5WrapWithoutAccessor: a wrapped response without an accessor
// cannot be revoked (an empty accessor is refused with 400, which the
// backend reads as "already gone"); it is refused rather than granted as a
// lease whose revocation would report success and leave the token live.
func TestReview5WrapWithoutAccessor(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v1/auth/jwt/login":
			_ = json.NewEncoder(w).Encode(map[string]any{"auth": map[string]any{"client_token": "job-token"}})
		case "/v1/secret/data/ci":
			_ = json.NewEncoder(w).Encode(map[string]any{"wrap_info": map[string]any{"token": "wrapping-token-abcdef", "ttl": 60}})
		default:
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	t.Cleanup(srv.Close)
	c, err := api.NewClient(&api.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	be, err := New(c, JWTAuth{Role: "ci"}, map[string]Source{"s": KV("secret", "ci", "token").Wrapped(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	g, err := be.Issue(t.Context(), secrets.Request{Name: "s", LeaseID: "ztci_r", Token: secrets.NewValue("job-jwt")})
	if err == nil {
		t.Fatalf("a wrapped response without an accessor was granted as lease %q", g.LeaseID)
	}
}
