package main

import (
	"errors"
	"strings"
	"testing"
)

// A service that receives the job's OIDC token (Fulcio) or the job's and
// the broker's tokens (Vault) over plain http to another host hands them to
// whoever sits on the path; Rekor and the TSA are refused alike.
func TestReview23PlainHTTPServiceRefused(t *testing.T) {
	t.Setenv("VAULT_TOKEN", "broker-token")
	for _, tc := range []struct {
		name string
		s    Services
		ok   bool
	}{
		{name: "fulcio http", s: Services{Fulcio: "http://fulcio.example", TrustedRoot: "tr.json"}},
		{name: "rekor http", s: Services{Rekor: "http://rekor.example", TrustedRoot: "tr.json"}},
		{name: "tsa http", s: Services{TSA: "http://tsa.example/api/v1/timestamp", TrustedRoot: "tr.json"}},
		{name: "vault http", s: Services{Vault: "http://vault.example:8200"}},
		{name: "vault http with password", s: Services{Vault: "http://u:hunter2-pass@vault.example"}},
		{name: "vault no scheme", s: Services{Vault: "vault.example:8200"}},
		{name: "fulcio http localhost name", s: Services{Fulcio: "http://localhost:5555", TrustedRoot: "tr.json"}},
		{name: "fulcio https", s: Services{Fulcio: "https://fulcio.example", TrustedRoot: "tr.json"}, ok: true},
		{name: "vault https", s: Services{Vault: "https://vault.example:8200"}, ok: true},
		{name: "fulcio http loopback", s: Services{Fulcio: "http://127.0.0.1:5555", TrustedRoot: "tr.json"}, ok: true},
		{name: "vault http loopback v6", s: Services{Vault: "http://[::1]:8200"}, ok: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.s.Validate()
			if tc.ok {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("Validate = %v, want ErrConfig", err)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error reveals the URL's password: %v", err)
			}
		})
	}
}

// With a real Fulcio the gate must require an SCT (the verifier's default):
// only the embedded CA, which logs to no CT log, goes without. Before, the
// runner's gate accepted a Fulcio certificate that no CT log had seen.
func TestReview23FulcioCertificatesNeedSCT(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Services
		want thresholds
	}{
		{name: "embedded", s: Services{}, want: thresholds{tlog: 0, sct: 0, signedTimestamps: 1}},
		{name: "fulcio", s: Services{Fulcio: "https://fulcio.example"}, want: thresholds{tlog: 0, sct: 1, signedTimestamps: 1}},
		{name: "fulcio and rekor", s: Services{Fulcio: "https://fulcio.example", Rekor: "https://rekor.example"}, want: thresholds{tlog: 1, sct: 1}},
		{name: "rekor", s: Services{Rekor: "https://rekor.example"}, want: thresholds{tlog: 1, sct: 0}},
	} {
		if got := tc.s.thresholds(); got != tc.want {
			t.Errorf("%s: thresholds = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
