package ca_test

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/identity"
)

// TestReview21CSRSignatureHash: a CSR's signature is the request's proof
// of possession, and x509's CertificateRequest.CheckSignature accepts
// SHA-1 for it (which it refuses in certificates): a proof over SHA-1,
// whose collisions are practical, was accepted. Such a CSR is refused
// with ErrProofOfPossession (400); the SHA-2 one is certified.
func TestReview21CSRSignatureHash(t *testing.T) {
	t.Parallel()
	c, err := ca.New(ca.WithSubjectDomain("https://ci.example.com", "https://git.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	id := identity.Identity{Issuer: "https://ci.example.com", Subject: "https://git.example.com/acme/app/.ci/build.yml@refs/heads/main"}
	h := c.Handler(ca.AuthenticatorFunc(func(context.Context, string) (identity.Identity, error) { return id, nil }))
	k := key(t)
	for alg, want := range map[x509.SignatureAlgorithm]int{x509.ECDSAWithSHA1: http.StatusBadRequest, x509.ECDSAWithSHA256: http.StatusOK} {
		der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{}, SignatureAlgorithm: alg}, k)
		if err != nil {
			t.Fatalf("%v: %v", alg, err)
		}
		b, _ := json.Marshal(map[string]any{"certificateSigningRequest": base64.StdEncoding.EncodeToString(der)})
		req := httptest.NewRequest(http.MethodPost, "/api/v2/signingCert", strings.NewReader(string(b)))
		req.Header.Set("Authorization", "Bearer tok")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("CSR signed with %v: %d, want %d", alg, rec.Code, want)
		}
		if want != http.StatusOK && !strings.Contains(rec.Body.String(), "proof of possession") {
			t.Errorf("CSR signed with %v: %.200s, want a proof-of-possession refusal", alg, rec.Body)
		}
	}
}
