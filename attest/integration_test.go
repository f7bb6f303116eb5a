package attest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/internal/itest"
	"github.com/ztci/ztci/internal/x509ca"
)

// oidcIssuer is a minimal OIDC provider for the test: discovery, JWKS, and
// ES256 ID tokens it mints directly.
type oidcIssuer struct {
	url string
	key *ecdsa.PrivateKey
}

func newOIDCIssuer(t *testing.T) *oidcIssuer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	o := &oidcIssuer{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": o.url, "jwks_uri": o.url + "/jwks", "response_types_supported": []string{"id_token"},
			"subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"ES256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	o.url = srv.URL
	return o
}

func (o *oidcIssuer) token(t *testing.T, email string) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: o.key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tok, err := jwt.Signed(sig).Claims(jwt.Claims{
		Issuer: o.url, Subject: email, Audience: jwt.Audience{"sigstore"},
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)), Expiry: jwt.NewNumericDate(now.Add(5 * time.Minute)),
	}).Claims(map[string]any{"email": email, "email_verified": true}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func port(t *testing.T) string { return strconv.Itoa(itest.FreePort(t)) }

func getPEMChain(t *testing.T, url string) []*x509.Certificate {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	certs, err := x509ca.ParseCerts(b)
	if err != nil {
		t.Fatalf("%s: %v\n%s", url, err, b)
	}
	return certs
}

// TestKeylessAgainstRealSigstore signs keylessly through real Fulcio v1.8.8,
// Rekor v2 (rekor-tiles v2.3.0) and timestamp-authority v2.1.3 on loopback,
// with a test OIDC issuer, and verifies the bundle with sigstore-go against
// a trusted root assembled from the services' published keys and chains.
func TestKeylessAgainstRealSigstore(t *testing.T) {
	fulcioBin := itest.Binary(t, "ZTCI_FULCIO")
	rekorBin := itest.Binary(t, "ZTCI_REKOR")
	tsaBin := itest.Binary(t, "ZTCI_TSA")
	dir := t.TempDir()
	oidc := newOIDCIssuer(t)

	// Fulcio with an ephemeral CA, trusting the test issuer.
	cfg := filepath.Join(dir, "fulcio.yaml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, "oidc-issuers:\n  %s:\n    issuer-url: %s\n    client-id: sigstore\n    type: email\n", oidc.url, oidc.url), 0o600); err != nil {
		t.Fatal(err)
	}
	fulcioPort := port(t)
	fulcioURL := "http://127.0.0.1:" + fulcioPort
	fulcio := itest.Start(t, exec.Command(fulcioBin, "serve", "--ca=ephemeralca", "--ct-log-url=", "--config-path="+cfg,
		"--host=127.0.0.1", "--port="+fulcioPort, "--grpc-host=127.0.0.1", "--grpc-port="+port(t),
		"--metrics-port="+port(t), "--legacy-unix-domain-socket="+filepath.Join(dir, "legacy.sock")))

	// Rekor v2 with POSIX storage and an Ed25519 key made here.
	_, logKey, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(logKey)
	keyPath := filepath.Join(dir, "rekor.pem")
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	rekorPort := port(t)
	rekorURL := "http://127.0.0.1:" + rekorPort
	const rekorOrigin = "rekor.local"
	rekor := itest.Start(t, exec.Command(rekorBin, "serve", "--storage-dir="+filepath.Join(dir, "tiles"), "--signer-filepath="+keyPath,
		"--hostname="+rekorOrigin, "--http-address=127.0.0.1", "--http-port="+rekorPort, "--grpc-address=127.0.0.1",
		"--grpc-port="+port(t), "--http-metrics-port="+port(t), "--checkpoint-interval=1s"))

	// The TSA's metrics port is hard-coded to 2112: wait for it to be free.
	waitPortFree(t, "127.0.0.1:2112", 60*time.Second)
	tsaPort := port(t)
	tsaURL := "http://127.0.0.1:" + tsaPort
	tsaProc := itest.Start(t, exec.Command(tsaBin, "serve", "--host=127.0.0.1", "--port="+tsaPort,
		"--timestamp-signer=memory", "--disable-ntp-monitoring"))

	fulcio.WaitHTTP(t, fulcioURL+"/api/v2/configuration", 30*time.Second)
	rekor.WaitHTTP(t, rekorURL+"/healthz", 30*time.Second)
	tsaProc.WaitHTTP(t, tsaURL+"/api/v1/timestamp/certchain", 30*time.Second)

	const email = "ci@example.com"
	tokens := attest.TokenSourceFunc(func(context.Context) (string, error) { return oidc.token(t, email), nil })
	signer, err := attest.NewFulcioSigner(fulcioURL, tokens,
		attest.WithTimestampAuthority(tsaURL+"/api/v1/timestamp"), attest.WithRekor(rekorURL, 2))
	if err != nil {
		t.Fatal(err)
	}
	st := testStatement(t)
	bundleJSON, err := attest.Sign(t.Context(), signer, st)
	if err != nil {
		t.Fatal(err)
	}

	// Trusted root from what the services publish.
	fulcioChain := fulcioTrustBundle(t, fulcioURL)
	tsaChain := getPEMChain(t, tsaURL+"/api/v1/timestamp/certchain")
	trJSON, err := attest.NewTrustedRoot().
		AddCertificateAuthority(fulcioURL, fulcioChain, fulcioChain[len(fulcioChain)-1].NotBefore, time.Time{}).
		AddTimestampAuthority(tsaURL, tsaChain, tsaChain[0].NotBefore, time.Time{}).
		AddTransparencyLog("http://"+rekorOrigin, 2, logKey.Public(), time.Now().Add(-time.Hour)).
		MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := root.NewTrustedRootFromJSON(trJSON)
	if err != nil {
		t.Fatal(err)
	}
	var b bundle.Bundle
	if err := b.UnmarshalJSON(bundleJSON); err != nil {
		t.Fatal(err)
	}
	v, err := verify.NewVerifier(tr, verify.WithSignedTimestamps(1), verify.WithTransparencyLog(1))
	if err != nil {
		t.Fatal(err)
	}
	certID, err := verify.NewShortCertificateIdentity(oidc.url, "", email, "")
	if err != nil {
		t.Fatal(err)
	}
	digest, _ := hex.DecodeString(st.Subject[0].Digest["sha256"])
	res, err := v.Verify(&b, verify.NewPolicy(verify.WithArtifactDigest("sha256", digest), verify.WithCertificateIdentity(certID)))
	if err != nil {
		t.Fatalf("sigstore-go rejects the keyless bundle: %v\n%s", err, bundleJSON)
	}
	if res.Statement.GetPredicateType() != attest.PredicateSLSAProvenanceV1 {
		t.Fatalf("predicate type %q", res.Statement.GetPredicateType())
	}
}

func fulcioTrustBundle(t *testing.T, base string) []*x509.Certificate {
	t.Helper()
	resp, err := http.Get(base + "/api/v2/trustBundle")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tb struct {
		Chains []struct {
			Certificates []string `json:"certificates"`
		} `json:"chains"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&tb); err != nil || len(tb.Chains) == 0 {
		t.Fatalf("trust bundle: %v", err)
	}
	var pemChain []byte
	for _, c := range tb.Chains[0].Certificates {
		pemChain = append(pemChain, c...)
	}
	certs, err := x509ca.ParseCerts(pemChain)
	if err != nil {
		t.Fatal(err)
	}
	return certs
}

func waitPortFree(t *testing.T, addr string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		l, err := net.Listen("tcp", addr)
		if err == nil {
			l.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still in use after %v (another timestamp-server running?)", addr, timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
