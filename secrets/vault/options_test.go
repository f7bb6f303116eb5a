package vault_test

import (
	"errors"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/ztci/ztci/secrets/vault"
)

// TestNewConfigErrors: every unusable argument or option fails New with
// ErrConfig, so a vendor's wiring mistake is one error class to test for.
func TestNewConfigErrors(t *testing.T) {
	client, err := api.NewClient(&api.Config{Address: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	auth := vault.JWTAuth{Role: "ci"}
	sources := map[string]vault.Source{"deploy": vault.KV("secret", "ci/deploy", "token")}
	for name, newBackend := range map[string]func() (*vault.Backend, error){
		"nil client":   func() (*vault.Backend, error) { return vault.New(nil, auth, sources) },
		"no role":      func() (*vault.Backend, error) { return vault.New(client, vault.JWTAuth{}, sources) },
		"no sources":   func() (*vault.Backend, error) { return vault.New(client, auth, nil) },
		"empty source": func() (*vault.Backend, error) { return vault.New(client, auth, map[string]vault.Source{"x": {}}) },
		"nil option":   func() (*vault.Backend, error) { return vault.New(client, auth, sources, nil) },
		"nil logger":   func() (*vault.Backend, error) { return vault.New(client, auth, sources, vault.WithLogger(nil)) },
	} {
		if b, err := newBackend(); !errors.Is(err, vault.ErrConfig) || b != nil {
			t.Errorf("%s: New = %v, %v; want ErrConfig", name, b, err)
		}
	}
	if _, err := vault.New(client, auth, sources); err != nil {
		t.Fatalf("valid configuration: %v", err)
	}
}
