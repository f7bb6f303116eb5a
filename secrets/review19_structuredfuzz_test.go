package secrets

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzStructuredMembers walks arbitrary values as structured secrets: it
// never panics, reads only a strict JSON object, returns at most
// maxStructuredMembers distinct values, each one a secret can be masked
// as, none of them the value itself, and the same ones every time.
func FuzzStructuredMembers(f *testing.F) {
	for _, s := range []string{
		`{"type":"service_account","project_id":"p-1","private_key_id":"abc","private_key":"-----BEGIN PRIVATE KEY-----\nMIIEvAIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n","client_email":"a@p-1.iam.gserviceaccount.com"}`,
		`{"auths":{"r.example.com":{"auth":"dXNlcjpwYXNzd29yZC0xMjM0"},"ghcr.io":{"username":"u","password":"ghcr-password-99"}}}`,
		`{"users":[{"name":"a","user":{"client-key-data":"LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCg==","token":"kube-token-0123"}}]}`,
		`{"privateKeyData":"eyJwcml2YXRlX2tleSI6InNlY3JldC1rZXktbWF0ZXJpYWwifQ=="}`,
		`{"CREDS":"{\"refresh_token\":\"nested-refresh-0006\"}"}`,
		`{"secret":"dup-one-0001","secret":"dup-two-0002","Password":"********"}`,
		`{"token":"after-0004"} {}`,
		`{"token":"bad-utf8-` + "\xff" + `-0005"}`,
		`{"token":"\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000"}`,
		`{"a":` + strings.Repeat(`{"a":`, 30) + `{"token":"deep-token-0007"}` + strings.Repeat("}", 31),
		`{"token":1e999,"apikey":["array-value-0008"],"secret":{"token":"inner-token-0009"}}`,
		`[{"token":"in-array-0010"}]`,
		"  {\"token\":\"indented-0011\"}\n",
		`{"credentials":"https://u:pw-in-url-0012@h.example/"}`,
		`not json at all`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		out := structuredMembers(v)
		t0 := strings.TrimSpace(v)
		if len(out) > 0 && (!utf8.ValidString(v) || !strings.HasPrefix(t0, "{") || !json.Valid([]byte(t0))) {
			t.Fatalf("members of a value that is not one JSON object: %d", len(out))
		}
		if len(out) > maxStructuredMembers {
			t.Fatalf("%d members", len(out))
		}
		seen := map[string]bool{v: true}
		for _, m := range out {
			if seen[m] {
				t.Fatal("a member repeated, or the value itself")
			}
			seen[m] = true
			if !secretLike(m) || len(m) < MinMaskLen {
				t.Fatal("a member a secret cannot be masked as")
			}
		}
		if again := structuredMembers(v); !slices.Equal(out, again) {
			t.Fatal("not deterministic")
		}
	})
}

// TestReview19MemberNames pins the names read as secret material and
// some that are not, in the spellings documents use.
func TestReview19MemberNames(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]memberKind{
		"private_key": memberPlain, "privateKey": memberPlain, "PRIVATE-KEY": memberPlain,
		"client_secret": memberPlain, "clientSecret": memberPlain, "password": memberPlain,
		"SecretAccessKey": memberPlain, "SessionToken": memberPlain, "identitytoken": memberPlain,
		"access-token": memberPlain, "refresh_token": memberPlain, "id-token": memberPlain,
		"api_key": memberPlain, "apiKey": memberPlain, "credentials": memberPlain,
		"client-key-data": memberBase64, "privateKeyData": memberBase64, "auth": memberDocker,
		"private_key_id": memberNone, "client_id": memberNone, "client_email": memberNone,
		"client-certificate-data": memberNone, "certificate-authority-data": memberNone,
		"client-key": memberNone, "tokenFile": memberNone, "token_uri": memberNone,
		"token_type": memberNone, "auth_uri": memberNone, "key": memberNone, "AccessKeyId": memberNone,
		"username": memberNone, "project_id": memberNone,
	} {
		if got := memberKindOf(name); got != want {
			t.Errorf("%s: %d, want %d", name, got, want)
		}
	}
}

// TestReview19SecretLike pins what a secret member's value must look like
// to be registered.
func TestReview19SecretLike(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]bool{
		"short":                              false,
		"  seven  ":                          false,
		"********":                           false,
		"xxxxxxxxxxxx":                       false,
		"ops@example.com":                    false,
		"ci-bot@p-1.iam.gserviceaccount.com": false,
		"https://vault.example.com/v1":       false,
		"https://u:pw@h.example/":            true,
		"p@ssw0rd.x":                         true,
		"hunter2@!example.com":               true,
		"user:password-1":                    true,
		"dckr_pat_0123456789":                true,
	} {
		if got := secretLike(v); got != want {
			t.Errorf("%q: %t, want %t", v, got, want)
		}
	}
}

// BenchmarkReview19StructuredMembers is what reading a value as a
// structured secret adds to registering it: a check of the first byte for
// an ordinary secret, a walk for a GCP key file.
func BenchmarkReview19StructuredMembers(b *testing.B) {
	for _, c := range []struct{ name, value string }{
		{"ordinary", "db-password-0123"},
		{"docker-config", `{"auths":{"r.example.com":{"auth":"dXNlcjpwYXNzd29yZC0xMjM0"}},"credsStore":"desktop"}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				structuredMembers(c.value)
			}
		})
	}
}
