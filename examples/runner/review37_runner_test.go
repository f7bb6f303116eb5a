package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Vault's client reads its configuration from the environment as well as
// from --vault: VAULT_AGENT_ADDR replaces the address the runner checked
// (the broker's token and the job's OIDC token then go to another host),
// and VAULT_SKIP_VERIFY turns certificate verification off, so whoever is
// on the path answers as Vault. A shell or CI image that exports either
// for a development Vault must not weaken the runner silently.
func TestReview37VaultEnvironmentCannotWeakenTransport(t *testing.T) {
	for _, tc := range []struct {
		name     string
		env      map[string]string
		wantFail bool
	}{
		{name: "skip verify", env: map[string]string{"VAULT_SKIP_VERIFY": "true"}, wantFail: true},
		{name: "skip verify 1", env: map[string]string{"VAULT_SKIP_VERIFY": "1"}, wantFail: true},
		{name: "agent address elsewhere", env: map[string]string{"VAULT_AGENT_ADDR": "https://vault-agent.attacker.example:8200"}, wantFail: true},
		{name: "agent address plain http loopback", env: map[string]string{"VAULT_AGENT_ADDR": "http://127.0.0.1:8100"}, wantFail: true},
		{name: "skip verify false", env: map[string]string{"VAULT_SKIP_VERIFY": "false"}},
		{name: "clean environment", env: map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// t.Setenv: not parallel.
			for _, k := range []string{"VAULT_SKIP_VERIFY", "VAULT_AGENT_ADDR", "VAULT_ADDR"} {
				t.Setenv(k, "")
				os.Unsetenv(k)
			}
			t.Setenv("VAULT_TOKEN", "broker-token")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			e := &env{cfg: Config{Logger: discard(), Services: Services{Vault: "https://vault.example:8200", VaultKV: "secret/ci/deploy#token"}}}
			_, err := e.vaultBackend(e.cfg.Services.Vault)
			if !tc.wantFail {
				if err != nil {
					t.Fatalf("vaultBackend: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("vaultBackend with %v = %v, want ErrConfig", tc.env, err)
			}
		})
	}
}

// A service URL with user information carries a credential: the runner
// prints every service URL in its progress and in the --json summary, so
// it would print the credential too. It is refused; credentials come from
// the environment or the keychain.
func TestReview37ServiceURLCredentialsRefused(t *testing.T) {
	t.Setenv("VAULT_TOKEN", "broker-token")
	for _, tc := range []struct {
		name string
		s    Services
	}{
		{name: "vault https with password", s: Services{Vault: "https://u:hunter2-pass@vault.example:8200"}},
		{name: "vault https with user", s: Services{Vault: "https://hunter2-pass@vault.example:8200"}},
		{name: "fulcio https with password", s: Services{Fulcio: "https://u:hunter2-pass@fulcio.example", TrustedRoot: "tr.json"}},
		{name: "rekor loopback with password", s: Services{Rekor: "http://u:hunter2-pass@127.0.0.1:3000", TrustedRoot: "tr.json"}},
		{name: "tsa https with password", s: Services{TSA: "https://u:hunter2-pass@tsa.example/api/v1/timestamp", TrustedRoot: "tr.json"}},
		{name: "registry with password", s: Services{Registry: "u:hunter2-pass@registry.example/acme/app"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.s.Validate()
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("Validate = %v, want ErrConfig", err)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error reveals the credential: %v", err)
			}
		})
	}
}

// --dir must be this user's own: a directory another user created first
// (a shared /tmp/ztci made 0755 by them) passes a permission-bits check,
// yet its owner may write it, swap the audit log or plant a symbolic link
// where a compliance report is written. A --dir that is itself a symbolic
// link is refused too: whoever owns the link (in /tmp, anyone) points it
// elsewhere between the check and the writes.
func TestReview37RunnerDirNotOwnedRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("ownership is not checked on Windows")
	}
	t.Parallel()
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, base string) string
	}{
		{name: "owned by another user", setup: func(t *testing.T, base string) string {
			if os.Geteuid() != 0 {
				t.Skip("chown to another user needs root")
			}
			dir := filepath.Join(base, "state")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(dir, 65534, 65534); err != nil {
				t.Fatal(err)
			}
			return dir
		}},
		{name: "symbolic link", setup: func(t *testing.T, base string) string {
			dir := filepath.Join(base, "real")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			link := filepath.Join(base, "link")
			if err := os.Symlink(dir, link); err != nil {
				t.Fatal(err)
			}
			return link
		}},
		{name: "symbolic link with a trailing slash", setup: func(t *testing.T, base string) string {
			dir := filepath.Join(base, "real")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			link := filepath.Join(base, "link")
			if err := os.Symlink(dir, link); err != nil {
				t.Fatal(err)
			}
			return link + "/"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := tc.setup(t, t.TempDir())
			err := run(t.Context(), []string{"--json", "--dir", dir, "--issuer-addr", "127.0.0.1:0"}, io.Discard, io.Discard)
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("run --dir = %v, want ErrConfig", err)
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 0 {
				t.Errorf("wrote %d entries into the refused directory", len(entries))
			}
		})
	}
}
