package vault_test

import (
	"crypto/tls"
	"errors"
	"net/http"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/vault"
)

// TestReview37SkipVerifyRefused: a client that does not verify Vault's
// certificate (api.TLSConfig.Insecure, or VAULT_SKIP_VERIFY=true in the
// environment api.DefaultConfig reads — common on developer machines and
// copied into deployments) sends the broker's token and the job's JWT
// over https to whoever is on the path. New and Unwrap refuse it, as they
// refuse plain http, except to a loopback IP or when the caller verifies
// the peer itself (VerifyPeerCertificate or VerifyConnection).
func TestReview37SkipVerifyRefused(t *testing.T) {
	t.Parallel()
	sources := map[string]vault.Source{"s": vault.KV("secret", "ci", "token")}
	for _, tc := range []struct {
		name, addr string
		tweak      func(*tls.Config)
		ok         bool
	}{
		{"remote", "https://vault.example.com:8200", nil, false},
		{"remote, no port", "https://vault.example.com", nil, false},
		{"loopback", "https://127.0.0.1:8200", nil, true},
		{"remote, peer verified by the caller", "https://vault.example.com:8200", func(c *tls.Config) {
			c.VerifyConnection = func(tls.ConnectionState) error { return errors.New("pinned elsewhere") }
		}, true},
		{"remote, verified", "https://vault.example.com:8200", func(c *tls.Config) { c.InsecureSkipVerify = false }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := api.DefaultConfig()
			cfg.Address = tc.addr
			if err := cfg.ConfigureTLS(&api.TLSConfig{Insecure: true}); err != nil {
				t.Fatal(err)
			}
			if tc.tweak != nil {
				tc.tweak(cfg.HttpClient.Transport.(*http.Transport).TLSClientConfig)
			}
			c, err := api.NewClient(cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = vault.New(c, vault.JWTAuth{Role: "ci"}, sources)
			if tc.ok {
				if err != nil {
					t.Fatalf("New = %v", err)
				}
				return
			}
			if !errors.Is(err, vault.ErrConfig) {
				t.Fatalf("New with TLS verification off = %v, want ErrConfig", err)
			}
			// Refused before anything is sent (the address does not resolve
			// here; an attempt would fail otherwise).
			if _, uerr := vault.Unwrap(t.Context(), c, secrets.NewValue("hvs.wrapping"), "token"); !errors.Is(uerr, vault.ErrUnwrap) || !errors.Is(uerr, vault.ErrConfig) {
				t.Fatalf("Unwrap with TLS verification off = %v, want ErrUnwrap and ErrConfig", uerr)
			}
		})
	}
}
