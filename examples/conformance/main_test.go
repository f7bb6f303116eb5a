package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The conformance cases live in verify's testdata (copied from
// sigstore-conformance; see verify/testdata/README.md).
const casesDir = "../../verify/testdata/conformance"

const (
	defaultIdentity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
	defaultIssuer   = "https://token.actions.githubusercontent.com"
)

// TestProtocolVerifyBundle drives the command exactly as the upstream
// pytest suite does: 70 cases × {path, sha256 digest}, exit code only.
func TestProtocolVerifyBundle(t *testing.T) {
	t.Parallel()
	entries, err := os.ReadDir(casesDir)
	if err != nil {
		t.Fatal(err)
	}
	a, err := os.ReadFile(filepath.Join(casesDir, "a.txt"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(casesDir, e.Name())
		for _, mode := range []string{"path", "digest"} {
			n++
			t.Run(e.Name()+"/"+mode, func(t *testing.T) {
				t.Parallel()
				args := []string{"verify-bundle", "--bundle", filepath.Join(dir, "bundle.sigstore.json")}
				if _, err := os.Stat(filepath.Join(dir, "key.pub")); err == nil {
					args = append(args, "--key", filepath.Join(dir, "key.pub"))
				} else {
					id, iss := defaultIdentity, defaultIssuer
					if b, err := os.ReadFile(filepath.Join(dir, "identity")); err == nil {
						id = strings.TrimSpace(string(b))
					}
					if b, err := os.ReadFile(filepath.Join(dir, "issuer")); err == nil {
						iss = strings.TrimSpace(string(b))
					}
					args = append(args, "--certificate-identity", id, "--certificate-oidc-issuer", iss)
				}
				if _, err := os.Stat(filepath.Join(dir, "trusted_root.json")); err == nil {
					args = append(args, "--trusted-root", filepath.Join(dir, "trusted_root.json"))
				}
				artPath := filepath.Join(dir, "artifact")
				art, err := os.ReadFile(artPath)
				if err != nil {
					artPath, art = filepath.Join(casesDir, "a.txt"), a
				}
				if mode == "digest" {
					sum := sha256.Sum256(art)
					args = append(args, "sha256:"+hex.EncodeToString(sum[:]))
				} else {
					args = append(args, artPath)
				}
				var out, errOut bytes.Buffer
				code := run(t.Context(), args, &out, &errOut)
				wantFail := strings.HasSuffix(e.Name(), "_fail")
				if wantFail && code == 0 {
					t.Fatalf("want non-zero exit, got 0: %s", out.String())
				}
				if !wantFail && code != 0 {
					t.Fatalf("want exit 0, got %d: %s", code, errOut.String())
				}
			})
		}
	}
	if n != 140 {
		t.Errorf("%d runs, want 140", n)
	}
}

func fakeToken(iss, email string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(`{"iss":"`+iss+`","email":"`+email+`"}`)) + "." + enc([]byte("sig"))
}

// TestProtocolSignThenVerify signs with the embedded CA and TSA, then
// verifies the bundle with the trusted root sign-bundle wrote.
func TestProtocolSignThenVerify(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("ZTCI_CONFORMANCE_DIR", filepath.Join(dir, "state"))
	tests := []struct {
		name   string
		inToto bool
	}{
		{name: "blob"},
		{name: "in-toto", inToto: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(dir, tt.name+".txt")
			content := []byte("artifact " + tt.name)
			if err := os.WriteFile(file, content, 0o600); err != nil {
				t.Fatal(err)
			}
			artifact := file
			if tt.inToto {
				sum := sha256.Sum256(content)
				stmt := `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"x","digest":{"sha256":"` + hex.EncodeToString(sum[:]) + `"}}],"predicateType":"https://example.com/p","predicate":{}}`
				file = filepath.Join(dir, "statement.json")
				if err := os.WriteFile(file, []byte(stmt), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			bundlePath := filepath.Join(dir, tt.name+".sigstore.json")
			args := []string{"sign-bundle"}
			if tt.inToto {
				args = append(args, "--in-toto")
			}
			args = append(args, "--identity-token", fakeToken("https://issuer.example", "dev@example.com"), "--bundle", bundlePath, file)
			var out, errOut bytes.Buffer
			if code := run(t.Context(), args, &out, &errOut); code != 0 {
				t.Fatalf("sign-bundle exit %d: %s", code, errOut.String())
			}
			trusted := filepath.Join(dir, "state", "trusted_root.json")
			verifyArgs := func(id string) []string {
				return []string{"verify-bundle", "--bundle", bundlePath, "--certificate-identity", id,
					"--certificate-oidc-issuer", "https://issuer.example", "--trusted-root", trusted, artifact}
			}
			if code := run(t.Context(), verifyArgs("dev@example.com"), &out, &errOut); code != 0 {
				t.Fatalf("verify-bundle exit %d: %s", code, errOut.String())
			}
			if code := run(t.Context(), verifyArgs("other@example.com"), &out, &errOut); code == 0 {
				t.Fatal("verify-bundle accepted another identity")
			}
			// No FILE_OR_DIGEST: a usage error.
			if code := run(t.Context(), verifyArgs("dev@example.com")[:7], &out, &errOut); code != 2 {
				t.Fatalf("missing positional: want usage exit 2, got %d", code)
			}
		})
	}
}
