package blob_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/internal/itest"
	"github.com/ztci/ztci/verify/blob"
)

// TestMakeCosignVectors makes the real-cosign vectors in testdata (see
// testdata/README.md). It runs only when ZTCI_MAKE_BLOB_VECTORS names the
// directory to write and ZTCI_COSIGN a cosign binary:
// .ci/make-cosign-legacy-vectors.sh does both. It starts a real Rekor v1
// (itest.StartRekorV1), a real Fulcio ($ZTCI_FULCIO, ephemeral CA, no CT
// log) and an OIDC issuer made here, and has cosign sign-blob keylessly
// twice: in its legacy format (--new-bundle-format=false: ".sig", ".cert"
// and the "--bundle" JSON) and as a Sigstore bundle.
func TestMakeCosignVectors(t *testing.T) {
	out, cosign := os.Getenv("ZTCI_MAKE_BLOB_VECTORS"), os.Getenv("ZTCI_COSIGN")
	if out == "" || cosign == "" {
		t.Skip("set ZTCI_MAKE_BLOB_VECTORS=DIR and ZTCI_COSIGN=BIN to make the cosign vectors (.ci/make-cosign-legacy-vectors.sh)")
	}
	fulcio := itest.Binary(t, "ZTCI_FULCIO")
	rekor := itest.StartRekorV1(t)
	iss := startIssuer(t)
	const email = "release@ci.example"

	dir := t.TempDir()
	cfg := filepath.Join(dir, "fulcio.yaml")
	if err := os.WriteFile(cfg, []byte("oidc-issuers:\n  "+iss.url+":\n    issuer-url: "+iss.url+"\n    client-id: sigstore\n    type: email\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	port := itest.FreePort(t)
	fulcioURL := "http://" + itest.Addr(port)
	p := itest.Start(t, exec.Command(fulcio, "serve", "--ca=ephemeralca", "--ct-log-url=", "--config-path="+cfg,
		"--host=127.0.0.1", "--port="+strconv.Itoa(port), "--grpc-host=127.0.0.1", "--grpc-port="+strconv.Itoa(itest.FreePort(t)),
		"--metrics-port="+strconv.Itoa(itest.FreePort(t)), "--legacy-unix-domain-socket="+filepath.Join(dir, "legacy.sock")))
	p.WaitHTTP(t, fulcioURL+"/api/v2/configuration", 60*time.Second)

	token := filepath.Join(dir, "token")
	if err := os.WriteFile(token, []byte(iss.token(t, email)), 0o600); err != nil {
		t.Fatal(err)
	}
	artifact := []byte("ztci detached signature test vector: kubectl v1.99.0 linux/amd64\n")
	for _, v := range []struct {
		dir  string
		args []string
	}{
		{"cosign-v3.1.3-keyless-rekor-v1", []string{"--new-bundle-format=false",
			"--output-signature", "artifact.sig", "--output-certificate", "artifact.cert", "--bundle", "artifact.bundle.json"}},
		{"cosign-v3.1.3-keyless-rekor-v1-sigstore-bundle", []string{"--new-bundle-format=true", "--bundle", "artifact.sigstore.json"}},
	} {
		vd := filepath.Join(out, v.dir)
		if err := os.MkdirAll(vd, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(vd, "artifact"), artifact, 0o644); err != nil {
			t.Fatal(err)
		}
		args := append([]string{"sign-blob", "--yes", "--use-signing-config=false", "--fulcio-url", fulcioURL, "--rekor-url", rekor.URL,
			"--identity-token", token, "--insecure-skip-verify"}, v.args...)
		cmd := exec.CommandContext(t.Context(), cosign, append(args, "artifact")...)
		cmd.Dir = vd
		cmd.Env = append(os.Environ(), "TUF_ROOT="+filepath.Join(dir, "tuf"), "SIGSTORE_NO_CACHE=1")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("cosign %s: %v\n%s", strings.Join(args, " "), err, b)
		}
		writeTrust(t, vd, fulcioURL, rekor)
		if v.dir == "cosign-v3.1.3-keyless-rekor-v1" {
			recordLookup(t, vd, rekor.URL, artifact)
		}
		ident, _ := json.MarshalIndent(map[string]string{"san": email, "issuer": iss.url}, "", "  ")
		if err := os.WriteFile(filepath.Join(vd, "identity.json"), append(ident, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", vd)
	}
}

// recordLookup writes what the live Rekor v1 answers to verify/rekorv1's
// lookup of the artifact, byte for byte: the search
// (rekor-index-retrieve.json) and the entry (rekor-entry.json), for the
// offline example of verify/rekorv1.
func recordLookup(t *testing.T, dir, rekorURL string, artifact []byte) {
	t.Helper()
	get := func(method, url, body string) []byte {
		req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: %s %s %v", method, url, resp.Status, b, err)
		}
		return b
	}
	search := get(http.MethodPost, rekorURL+"/api/v1/index/retrieve", `{"hash":"`+blob.Bytes(artifact).String()+`"}`)
	var uuids []string
	if err := json.Unmarshal(search, &uuids); err != nil || len(uuids) != 1 {
		t.Fatalf("search: %s: %v", search, err)
	}
	entry := get(http.MethodGet, rekorURL+"/api/v1/log/entries/"+uuids[0], "")
	for name, b := range map[string][]byte{"rekor-index-retrieve.json": search, "rekor-entry.json": entry} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// writeTrust writes the trusted root of a vector: Fulcio's ephemeral CA and
// the Rekor v1 log key.
func writeTrust(t *testing.T, dir, fulcioURL string, rekor *itest.RekorV1) {
	t.Helper()
	resp, err := http.Get(fulcioURL + "/api/v1/rootCert")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	var chain []*x509.Certificate
	for blk, rest := pem.Decode(b); blk != nil; blk, rest = pem.Decode(rest) {
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		chain = append(chain, c)
	}
	if len(chain) == 0 {
		t.Fatalf("Fulcio root: %s", b)
	}
	root := chain[len(chain)-1]
	tr, err := json.MarshalIndent(attest.NewTrustedRoot().
		AddCertificateAuthority(fulcioURL, chain, root.NotBefore, root.NotAfter).
		AddTransparencyLog(rekor.URL, 1, rekor.PublicKey, time.Now().Add(-time.Hour)), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "trusted_root.json"), append(tr, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// issuer is a minimal OIDC provider for Fulcio: discovery, JWKS, and ID
// tokens signed with one ES256 key.
type issuer struct {
	url string
	key *ecdsa.PrivateKey
}

func startIssuer(t *testing.T) *issuer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	iss := &issuer{key: k}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			_ = json.NewEncoder(w).Encode(map[string]any{"issuer": iss.url, "jwks_uri": iss.url + "/jwks",
				"id_token_signing_alg_values_supported": []string{"ES256"}, "response_types_supported": []string{"id_token"},
				"subject_types_supported": []string{"public"}, "authorization_endpoint": iss.url + "/auth"})
		case "/jwks":
			_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &k.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	iss.url = srv.URL
	return iss
}

func (iss *issuer) token(t *testing.T, email string) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: iss.key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tok, err := jwt.Signed(s).Claims(jwt.Claims{Issuer: iss.url, Subject: email, Audience: jwt.Audience{"sigstore"},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(10 * time.Minute))}).
		Claims(map[string]any{"email": email, "email_verified": true}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
