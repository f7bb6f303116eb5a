package vault_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/vault"
)

// tokenTreeVault keeps which login token created which lease and, as
// Vault does, revokes a token's leases with the token. With denyBroker
// set, the broker's token is refused (expired, revoked, or without
// sys/leases/revoke in its policy).
type tokenTreeVault struct {
	mu         sync.Mutex
	denyBroker bool
	n          int
	leases     map[string]string // lease id -> login token that created it
	tokens     map[string]bool   // live login tokens
	revokeSelf int
}

func (v *tokenTreeVault) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body struct {
		LeaseID string `json:"lease_id"`
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	_ = json.Unmarshal(raw, &body)
	tok := r.Header.Get("X-Vault-Token")
	v.mu.Lock()
	defer v.mu.Unlock()
	switch r.URL.Path {
	case "/v1/auth/jwt/login":
		v.n++
		t := fmt.Sprintf("hvs.login-%d", v.n)
		v.tokens[t] = true
		reply(w, map[string]any{"auth": map[string]any{"client_token": t}})
	case "/v1/database/creds/ci":
		if !v.tokens[tok] {
			vaultErr(w, http.StatusForbidden, "permission denied")
			return
		}
		v.n++
		id := fmt.Sprintf("database/creds/ci/l%d", v.n)
		v.leases[id] = tok
		reply(w, map[string]any{"lease_id": id, "lease_duration": 60, "renewable": true,
			"data": map[string]any{"password": "dynamic-password-abcdef123"}})
	case "/v1/sys/leases/revoke":
		if tok != rootToken || v.denyBroker {
			vaultErr(w, http.StatusForbidden, "permission denied")
			return
		}
		delete(v.leases, body.LeaseID)
		w.WriteHeader(http.StatusNoContent)
	case "/v1/auth/token/revoke-self":
		if !v.tokens[tok] {
			vaultErr(w, http.StatusForbidden, "permission denied")
			return
		}
		v.revokeSelf++
		delete(v.tokens, tok)
		for id, t := range v.leases {
			if t == tok {
				delete(v.leases, id)
			}
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		vaultErr(w, http.StatusNotFound, "")
	}
}

// TestReview37RevokeFallsBackToLoginToken: when the broker's own token
// cannot revoke a job's dynamic lease — it expired, was revoked, or its
// policy lacks sys/leases/revoke — the lease outlived the job until its
// TTL, though the job's login token, which the backend still held, could
// end it: Vault revokes a token's leases with the token. Revoke now
// revokes the login token then, and still reports the failure so that
// the broker retries and the operator sees it.
func TestReview37RevokeFallsBackToLoginToken(t *testing.T) {
	t.Parallel()
	fake := &tokenTreeVault{leases: map[string]string{}, tokens: map[string]bool{}}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	be, err := vault.New(client(t, srv.URL), vault.JWTAuth{Role: "ci"},
		map[string]vault.Source{"db": vault.Dynamic("database/creds/ci", "password")})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	g, err := be.Issue(ctx, secrets.Request{Name: "db", LeaseID: "ztci_r", Token: secrets.NewValue("job-jwt")})
	if err != nil {
		t.Fatal(err)
	}
	fake.mu.Lock()
	fake.denyBroker = true
	fake.mu.Unlock()
	if err := be.Revoke(ctx, g.LeaseID); !errors.Is(err, secrets.ErrDenied) {
		t.Fatalf("Revoke with the broker's token refused = %v, want the refusal reported", err)
	}
	fake.mu.Lock()
	live, selfs := len(fake.leases), fake.revokeSelf
	fake.denyBroker = false
	fake.mu.Unlock()
	if live != 0 {
		t.Fatal("the job's lease is still live at Vault after Revoke; its login token could have revoked it")
	}
	if selfs != 1 {
		t.Fatalf("login token revoked %d times, want 1", selfs)
	}
	// The broker retries: the lease is gone, and the login token is not
	// revoked a second time.
	if err := be.Revoke(ctx, g.LeaseID); err != nil {
		t.Fatalf("retried Revoke: %v", err)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if fake.revokeSelf != 1 {
		t.Fatalf("login token revoked %d times after the retry, want 1", fake.revokeSelf)
	}
}
