package secrets_test

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/ztci/ztci/secrets"
)

// TestReview15TokenSpellsNoForm: a token is written in place of a secret
// and not searched, so it must not spell any form of a value the writer
// masks. Until a fifteenth outside review only the raw value was looked
// for in tokens: a secret named after another secret's value came through
// its token as soon as that value was registered with the trailing
// newline of the file it was read from, in quotes, as a line of a
// multi-line value, or when the name was the value's hex or base64.
func TestReview15TokenSpellsNoForm(t *testing.T) {
	t.Parallel()
	const other = "other-value-123"
	for _, c := range []struct{ value, name, leak string }{
		{"prod_db_password\n", "prod_db_password", "prod_db_password"},
		{"  prod_db_password  ", "prod_db_password", "prod_db_password"},
		{`'prod_db_password'`, "prod_db_password", "prod_db_password"},
		{"-----BEGIN X-----\nprod_db_password\nsecond-line-xyz\n-----END X-----\n", "prod_db_password", "prod_db_password"},
		{"Zq9vX2-s3cr3t", hex.EncodeToString([]byte("Zq9vX2-s3cr3t")), hex.EncodeToString([]byte("Zq9vX2-s3cr3t"))},
		{"Zq9vX2-s3cr3t", base64.RawURLEncoding.EncodeToString([]byte("Zq9vX2-s3cr3t")), base64.RawURLEncoding.EncodeToString([]byte("Zq9vX2-s3cr3t"))},
	} {
		for _, order := range []bool{false, true} {
			r, err := secrets.NewTokenRedactor(tokenKey, "job")
			if err != nil {
				t.Fatal(err)
			}
			// Either order: a value added later is looked for in the
			// tokens chosen before.
			if order {
				r.AddSecret(c.name, other)
			}
			if err := r.AddSecret("x", c.value); err != nil {
				t.Fatal(err)
			}
			if !order {
				r.AddSecret(c.name, other)
			}
			out := redactAll(t, r, []byte("log "+other+" end\n"))
			if strings.Contains(out, c.leak) || !strings.HasPrefix(out, "log [secret:") {
				t.Fatalf("value %q, secret named %q: %q", c.value, c.name, out)
			}
			if strings.Count(out, ":") != 1 { // "[secret:TAG]", without the name
				t.Fatalf("value %q, secret named %q: token with its name: %q", c.value, c.name, out)
			}
		}
	}
}
