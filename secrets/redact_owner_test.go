package secrets_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ztci/ztci/secrets"
)

// TestTokenNamesTheSecretThatAppeared: two multi-line secrets that share
// their first line (two PEM keys of one kind) each show as their own
// token. The shared line is a pattern of both, found where the whole of
// either starts; the token must name the secret the whole match is, not
// whichever pattern sorted first, or an operator rotates the wrong key.
func TestTokenNamesTheSecretThatAppeared(t *testing.T) {
	const header = "-----BEGIN PRIVATE KEY-----\n"
	a := header + "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7aaaaaaaa\n-----END PRIVATE KEY-----"
	b := header + "MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDbbbbbbbbb\n-----END PRIVATE KEY-----"
	for round := range 30 {
		r, err := secrets.NewTokenRedactor([]byte("0123456789abcdef0123456789abcdef"), "job-1")
		if err != nil {
			t.Fatal(err)
		}
		if err := r.AddSecrets(secrets.NamedSecret{Name: "key-a", Value: secrets.NewValue(a)}, secrets.NamedSecret{Name: "key-b", Value: secrets.NewValue(b)}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ value, name string }{{a, "key-a"}, {b, "key-b"}} {
			var out bytes.Buffer
			w := r.NewWriter(&out)
			if _, err := w.Write([]byte("log: " + tc.value + "\n")); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			want := "log: " + r.Token(tc.name) + "\n"
			if got := out.String(); got != want || strings.Contains(got, "MII") {
				t.Fatalf("round %d: %s written as %q; want %q", round, tc.name, got, want)
			}
		}
	}
}
