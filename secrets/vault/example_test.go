package vault_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/vault"
)

// The job's side of a wrapped lease: the broker handed the job a wrapping
// token (the lease's value) and never saw the secret, so its masker never
// learnt it. The job unwraps with its own log redactor, which then masks
// the secret in its log like every other lease's value.
func ExampleUnwrap() {
	// Stands in for Vault here (see the note at the top of vault_test.go):
	// it answers the lookup and one unwrap of one wrapping token, created
	// by a read of the KV v2 secret secret/ci/signing.
	const wrapping = "hvs.wrapping-token-of-the-lease"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<10))
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/v1/sys/wrapping/lookup" && strings.Contains(string(body), wrapping):
			_, _ = io.WriteString(w, `{"data":{"creation_path":"secret/data/ci/signing","creation_ttl":60}}`)
		case r.URL.Path == "/v1/sys/wrapping/unwrap" && r.Header.Get("X-Vault-Token") == wrapping:
			_, _ = io.WriteString(w, `{"data":{"data":{"key":"s3cr3t-signing-key"},"metadata":{"version":1}}}`)
		default:
			http.Error(w, `{"errors":["wrapping token is not valid or does not exist"]}`, http.StatusBadRequest)
		}
	}))
	defer srv.Close()
	cfg := api.DefaultConfig()
	cfg.Address = srv.URL // the job's Vault address: https, or a loopback IP
	client, err := api.NewClient(cfg)
	if err != nil {
		panic(err)
	}

	redactor := secrets.NewRedactor() // the job's log redactor
	// The source the broker was configured with for this lease's name:
	// a wrapping token created by anything else is refused.
	source := vault.KV("secret", "ci/signing", "key").Wrapped(time.Minute)
	key, err := vault.Unwrap(context.Background(), client, secrets.NewValue(wrapping), "key",
		vault.WithUnwrapSource(source), vault.WithUnwrapMasker(redactor))
	if err != nil {
		panic(err)
	}
	log := redactor.NewWriter(os.Stdout)
	fmt.Fprintf(log, "signing with %s\n", key.Reveal())
	if err := log.Close(); err != nil {
		panic(err)
	}
	// Output: signing with ***
}
