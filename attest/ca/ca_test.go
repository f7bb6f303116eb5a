package ca_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/identity"
)

func key(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestIssueBindsIdentity(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	c, err := ca.New(ca.WithClock(func() time.Time { return now }), ca.WithSubjectDomain("https://iss", "https://ci"))
	if err != nil {
		t.Fatal(err)
	}
	td := spiffeid.RequireTrustDomainFromString("example.org")
	tests := []struct {
		name       string
		id         identity.Identity
		wantURI    string
		wantEmail  string
		wantIssuer string
		want       error
	}{
		{name: "spiffe without issuer uses trust domain", id: identity.Identity{SPIFFEID: spiffeid.RequireFromPath(td, "/ci")},
			wantURI: "spiffe://example.org/ci", wantIssuer: "spiffe://example.org"},
		{name: "uri subject", id: identity.Identity{Issuer: "https://iss", Subject: "https://ci/wf@refs/heads/main", Claims: identity.Claims{Commit: "abc"}},
			wantURI: "https://ci/wf@refs/heads/main", wantIssuer: "https://iss"},
		{name: "email subject", id: identity.Identity{Issuer: "https://iss", Subject: "dev@example.com"}, wantEmail: "dev@example.com", wantIssuer: "https://iss"},
		{name: "opaque URI subject: no host, so in no domain", id: identity.Identity{Issuer: "https://iss", Subject: "repo:octo/x"}, want: ca.ErrSubjectDomain},
		{name: "plain word subject", id: identity.Identity{Issuer: "https://iss", Subject: "12345"}, want: ca.ErrIdentity},
		{name: "no issuer", id: identity.Identity{Subject: "https://ci/wf"}, want: ca.ErrIdentity},
		{name: "nobody", id: identity.Identity{}, want: ca.ErrIdentity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			chain, err := c.Issue(t.Context(), key(t).Public(), tt.id)
			if tt.want != nil {
				if !errors.Is(err, tt.want) || !errors.Is(err, ca.ErrInvalidRequest) {
					t.Fatalf("got %v, want %v", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			leaf := chain[0]
			if tt.wantURI != "" && (len(leaf.URIs) != 1 || leaf.URIs[0].String() != tt.wantURI) {
				t.Errorf("URIs = %v, want %s", leaf.URIs, tt.wantURI)
			}
			if tt.wantEmail != "" && (len(leaf.EmailAddresses) != 1 || leaf.EmailAddresses[0] != tt.wantEmail) {
				t.Errorf("emails = %v", leaf.EmailAddresses)
			}
			if got := ext(t, leaf, ca.OIDIssuerV2); got != tt.wantIssuer {
				t.Errorf("issuer extension = %q, want %q", got, tt.wantIssuer)
			}
			if leaf.NotAfter.Sub(leaf.NotBefore) != ca.DefaultCertValidity {
				t.Errorf("validity %v", leaf.NotAfter.Sub(leaf.NotBefore))
			}
			if len(leaf.ExtKeyUsage) != 1 || leaf.ExtKeyUsage[0] != x509.ExtKeyUsageCodeSigning || leaf.IsCA {
				t.Error("leaf must be a code-signing end-entity certificate")
			}
			pool := x509.NewCertPool()
			pool.AddCert(c.Certificate())
			if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}}); err != nil {
				t.Fatalf("leaf does not chain to the root: %v", err)
			}
		})
	}
}

func ext(t *testing.T, c *x509.Certificate, oid asn1.ObjectIdentifier) string {
	t.Helper()
	for _, e := range c.Extensions {
		if e.Id.Equal(oid) {
			var s string
			if _, err := asn1.UnmarshalWithParams(e.Value, &s, "utf8"); err != nil {
				t.Fatal(err)
			}
			return s
		}
	}
	return ""
}

func TestLeafNeverOutlivesRoot(t *testing.T) {
	t.Parallel()
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start
	c, err := ca.New(ca.WithClock(func() time.Time { return now }), ca.WithRootValidity(time.Hour), ca.WithSubjectDomain("https://i", "https://s"))
	if err != nil {
		t.Fatal(err)
	}
	now = start.Add(55 * time.Minute)
	chain, err := c.Issue(t.Context(), key(t).Public(), identity.Identity{Issuer: "https://i", Subject: "https://s"})
	if err != nil {
		t.Fatal(err)
	}
	if !chain[0].NotAfter.Equal(c.Certificate().NotAfter) {
		t.Fatalf("leaf NotAfter %v, root NotAfter %v", chain[0].NotAfter, c.Certificate().NotAfter)
	}
	now = start.Add(2 * time.Hour)
	_, err = c.Issue(t.Context(), key(t).Public(), identity.Identity{Issuer: "https://i", Subject: "https://s"})
	var ve *ca.ValidityError
	if !errors.As(err, &ve) || !errors.Is(err, ca.ErrExpired) || !ve.Now.Equal(now) {
		t.Fatalf("got %v, want *ValidityError matching ErrExpired", err)
	}
}

func TestPersistReloadRotate(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "ca")
	c1, err := ca.New(ca.WithDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"ca.key", "ca.pem", "ca-retired.json"} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", f, fi.Mode().Perm())
		}
	}
	c2, err := ca.New(ca.WithDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	if !c1.Certificate().Equal(c2.Certificate()) {
		t.Fatal("reloaded CA has a different root")
	}
	old := c2.Certificate()
	if err := c2.Rotate(); err != nil {
		t.Fatal(err)
	}
	c3, err := ca.New(ca.WithDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	roots := c3.Roots()
	if len(roots) != 2 || roots[0].Cert.Equal(old) || !roots[1].Cert.Equal(old) || roots[1].End.IsZero() || !roots[0].End.IsZero() {
		t.Fatalf("after rotation and reload: %+v", roots)
	}
	b, err := os.ReadFile(filepath.Join(dir, "ca.key"))
	if err != nil {
		t.Fatal(err)
	}
	// The retired root's private key is gone: only one key on disk.
	if bytes.Count(b, []byte("PRIVATE KEY-----")) != 2 {
		t.Fatal("expected exactly one private key")
	}

	if err := os.Chmod(filepath.Join(dir, "ca.key"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ca.New(ca.WithDir(dir)); err == nil {
		t.Fatal("loaded a world-readable key")
	}
}

// TestFulcioHandlerErrors covers the HTTP API's refusals; the success path
// runs through sigstore-go's client in attest's tests.
func TestFulcioHandlerErrors(t *testing.T) {
	t.Parallel()
	c, err := ca.New(ca.WithSubjectDomain("https://iss", "https://ci"))
	if err != nil {
		t.Fatal(err)
	}
	const token = "good-token"
	id := identity.Identity{Issuer: "https://iss", Subject: "https://ci/wf"}
	srv := httptest.NewServer(c.Handler(ca.AuthenticatorFunc(func(_ context.Context, tok string) (identity.Identity, error) {
		if tok != token {
			return identity.Identity{}, errors.New("bad token")
		}
		return id, nil
	})))
	t.Cleanup(srv.Close)
	k := key(t)
	der, _ := x509.MarshalPKIXPublicKey(k.Public())
	pemKey := "-----BEGIN PUBLIC KEY-----\n" + base64.StdEncoding.EncodeToString(der) + "\n-----END PUBLIC KEY-----\n"
	sum := sha256.Sum256([]byte(id.Subject))
	goodProof, _ := ecdsa.SignASN1(rand.Reader, k, sum[:])
	otherSum := sha256.Sum256([]byte("someone else"))
	badProof, _ := ecdsa.SignASN1(rand.Reader, k, otherSum[:])
	body := func(proof []byte) string {
		b, _ := json.Marshal(map[string]any{"publicKeyRequest": map[string]any{
			"publicKey": map[string]any{"algorithm": "ECDSA", "content": pemKey}, "proofOfPossession": base64.StdEncoding.EncodeToString(proof)}})
		return string(b)
	}
	tests := []struct {
		name   string
		method string
		auth   string
		body   string
		want   int
	}{
		{name: "ok", method: http.MethodPost, auth: token, body: body(goodProof), want: http.StatusOK},
		{name: "no token", method: http.MethodPost, body: body(goodProof), want: http.StatusUnauthorized},
		{name: "bad token", method: http.MethodPost, auth: "nope", body: body(goodProof), want: http.StatusUnauthorized},
		{name: "wrong proof", method: http.MethodPost, auth: token, body: body(badProof), want: http.StatusBadRequest},
		{name: "not json", method: http.MethodPost, auth: token, body: "{", want: http.StatusBadRequest},
		{name: "too large", method: http.MethodPost, auth: token, body: strings.Repeat(" ", 70<<10), want: http.StatusBadRequest},
		{name: "GET not allowed", method: http.MethodGet, auth: token, want: http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequestWithContext(t.Context(), tt.method, srv.URL+"/api/v2/signingCert", strings.NewReader(tt.body))
			if tt.auth != "" {
				req.Header.Set("Authorization", "Bearer "+tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.want, b)
			}
			if strings.Contains(string(b), "nope") || strings.Contains(string(b), token) {
				t.Fatal("response echoes the token")
			}
		})
	}
}

func FuzzSigningCertRequest(f *testing.F) {
	f.Add([]byte(`{"publicKeyRequest":{"publicKey":{"algorithm":"ECDSA","content":"-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n"},"proofOfPossession":"AAAA"}}`))
	f.Add([]byte(`{"certificateSigningRequest":"AAAA"}`))
	f.Add([]byte(`{"credentials":{"oidcIdentityToken":"x"}}`))
	f.Add([]byte(`{`))
	c, err := ca.New(ca.WithSubjectDomain("https://iss", "https://ci"))
	if err != nil {
		f.Fatal(err)
	}
	h := c.Handler(ca.AuthenticatorFunc(func(context.Context, string) (identity.Identity, error) {
		return identity.Identity{Issuer: "https://iss", Subject: "https://ci/wf"}, nil
	}))
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/api/v2/signingCert", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer t")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK {
			// Only a request with a valid proof of possession or CSR may
			// succeed; random bytes cannot carry one except by a CSR that
			// the fuzzer built, which is fine, but it must parse.
			var out struct {
				SignedCertificateEmbeddedSct struct {
					Chain struct {
						Certificates []string `json:"certificates"`
					} `json:"chain"`
				} `json:"signedCertificateEmbeddedSct"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || len(out.SignedCertificateEmbeddedSct.Chain.Certificates) < 2 {
				t.Fatalf("200 without a chain: %s", rec.Body.Bytes())
			}
			return
		}
		if rec.Code != http.StatusBadRequest && rec.Code != http.StatusUnauthorized {
			t.Fatalf("status %d: %s", rec.Code, rec.Body.Bytes())
		}
	})
}
