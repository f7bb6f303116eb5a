package vault_test

import (
	"errors"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/vault"
)

// TestReview37SRVLookupRefused: with SRV lookup on (api.Config.SRVLookup,
// or VAULT_SRV_LOOKUP=true in the environment api.DefaultConfig reads),
// Vault's client sends each request to whatever host and port a DNS SRV
// record for the address names, and checks TLS against that name: whoever
// answers DNS gets the broker's token and the job's JWT over a valid
// certificate for their own host, past the address check New makes. New
// and Unwrap refuse such a client instead.
func TestReview37SRVLookupRefused(t *testing.T) {
	t.Parallel()
	cfg := api.DefaultConfig()
	cfg.Address = "https://vault.example.com" // no port: SRV is looked up
	cfg.SRVLookup = true
	c, err := api.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := vault.New(c, vault.JWTAuth{Role: "ci"}, map[string]vault.Source{"s": vault.KV("secret", "ci", "token")}); !errors.Is(err, vault.ErrConfig) {
		t.Fatalf("New with SRV lookup = %v, %v; want ErrConfig", b, err)
	}
	if _, err := vault.Unwrap(t.Context(), c, secrets.NewValue("hvs.wrapping"), "token"); !errors.Is(err, vault.ErrUnwrap) || !errors.Is(err, vault.ErrConfig) {
		t.Fatalf("Unwrap with SRV lookup: %v, want ErrUnwrap and ErrConfig", err)
	}
	c.SetSRVLookup(false)
	if _, err := vault.New(c, vault.JWTAuth{Role: "ci"}, map[string]vault.Source{"s": vault.KV("secret", "ci", "token")}); err != nil {
		t.Fatalf("New without SRV lookup: %v", err)
	}
}
