package vault_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/vault"
)

// wrapVault holds wrapping tokens by value, each with the path that created
// it and the answer it wraps, and counts unwraps.
type wrapVault struct {
	mu      sync.Mutex
	wraps   map[string]wrapped
	unwraps []string
}

type wrapped struct {
	creationPath string
	data         map[string]any
}

func (v *wrapVault) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Token string `json:"token"`
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	_ = json.Unmarshal(raw, &body)
	if body.Token == "" {
		body.Token = r.Header.Get("X-Vault-Token")
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	wr, ok := v.wraps[body.Token]
	if !ok {
		vaultErr(w, http.StatusBadRequest, "wrapping token is not valid or does not exist")
		return
	}
	switch r.URL.Path {
	case "/v1/sys/wrapping/lookup":
		reply(w, map[string]any{"data": map[string]any{"creation_path": wr.creationPath, "creation_ttl": 60}})
	case "/v1/sys/wrapping/unwrap":
		v.unwraps = append(v.unwraps, body.Token)
		delete(v.wraps, body.Token)
		reply(w, map[string]any{"data": wr.data})
	default:
		vaultErr(w, http.StatusNotFound, "")
	}
}

// TestReview37UnwrapChecksCreationPath: whoever can swap the wrapping token
// on its way to the job (Vault's own guidance names this threat) hands it
// one wrapping a value of their choosing — made with sys/wrapping/wrap, or
// by reading another path — and Unwrap returned that value as the secret:
// a deploy token for the attacker's account, a signing key they know. With
// WithUnwrapSource, Unwrap looks the token up first and refuses one not
// created by the source's read, without using it up.
func TestReview37UnwrapChecksCreationPath(t *testing.T) {
	t.Parallel()
	kv := map[string]any{"data": map[string]any{"token": "genuine-deploy-token-123"}, "metadata": map[string]any{"version": 1}}
	forged := map[string]any{"token": "attacker-chosen-token-123"}
	fake := &wrapVault{wraps: map[string]wrapped{
		"hvs.genuine":      {"secret/data/ci/deploy", kv},
		"hvs.genuine-dyn":  {"database/creds/ci", map[string]any{"password": "dyn-password-123"}},
		"hvs.wrap-wrap":    {"sys/wrapping/wrap", forged},
		"hvs.other-path":   {"secret/data/ci/other", kv},
		"hvs.other-ns":     {"attacker-ns/secret/data/ci/deploy", kv},
		"hvs.no-path":      {"", forged},
		"hvs.kv-as-flat":   {"secret/data/ci/deploy", forged},
		"hvs.prefix-match": {"secret/data/ci/deploy/x", kv},
	}}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	src := vault.KV("secret", "ci/deploy", "token").Wrapped(time.Minute)
	for _, tc := range []struct {
		name, token, field, want string
		src                      vault.Source
		err                      error
	}{
		{"genuine", "hvs.genuine", "token", "genuine-deploy-token-123", src, nil},
		{"genuine dynamic", "hvs.genuine-dyn", "password", "dyn-password-123", vault.Dynamic("database/creds/ci", "password"), nil},
		{"sys/wrapping/wrap", "hvs.wrap-wrap", "token", "", src, vault.ErrWrongSource},
		{"another path", "hvs.other-path", "token", "", src, vault.ErrWrongSource},
		{"another namespace", "hvs.other-ns", "token", "", src, vault.ErrWrongSource},
		{"no creation path", "hvs.no-path", "token", "", src, vault.ErrWrongSource},
		{"path below", "hvs.prefix-match", "token", "", src, vault.ErrWrongSource},
		// The source says KV v2: a flat answer is not read as one.
		{"flat answer for a KV source", "hvs.kv-as-flat", "token", "", src, secrets.ErrBackend},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := vault.Unwrap(t.Context(), client(t, srv.URL), secrets.NewValue(tc.token), tc.field, vault.WithUnwrapSource(tc.src))
			if tc.err == nil {
				if err != nil || v.Reveal() != tc.want {
					t.Fatalf("Unwrap = %v, %v", v, err)
				}
				return
			}
			if !errors.Is(err, tc.err) || !v.IsZero() {
				t.Fatalf("Unwrap = %d bytes, %v; want %v", v.Len(), err, tc.err)
			}
			if errors.Is(tc.err, vault.ErrWrongSource) {
				if !errors.Is(err, vault.ErrUnwrap) {
					t.Fatalf("%v is not an ErrUnwrap", err)
				}
				fake.mu.Lock()
				defer fake.mu.Unlock()
				for _, u := range fake.unwraps {
					if u == tc.token {
						t.Fatal("a token refused by its creation path was unwrapped")
					}
				}
			}
		})
	}
	if _, err := vault.Unwrap(t.Context(), client(t, srv.URL), secrets.NewValue("hvs.genuine"), "token", vault.WithUnwrapSource(vault.Source{})); !errors.Is(err, vault.ErrUnwrap) {
		t.Fatalf("the zero Source: %v, want ErrUnwrap", err)
	}
}
