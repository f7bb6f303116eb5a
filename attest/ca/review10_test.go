package ca_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/identity"
)

// fakeRSA is an RSA public key of bits bits that no one holds the private
// key of: enough to be certified, and to cost a verifier its size.
func fakeRSA(t *testing.T, bits int) *rsa.PublicKey {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), uint(bits)))
	if err != nil {
		t.Fatal(err)
	}
	n.SetBit(n, bits-1, 1)
	n.SetBit(n, 0, 1)
	return &rsa.PublicKey{N: n, E: 65537}
}

// csrFor is a CSR (DER) for pub signed with garbage of its size, as a
// client sending a CSR for a key it made up sends it: x509 would check
// the signature it makes.
func csrFor(t *testing.T, pub *rsa.PublicKey) []byte {
	t.Helper()
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, pub.Size())
	sig[1] = 1
	der, err := asn1.Marshal(struct {
		TBS struct {
			Version    int
			Subject    asn1.RawValue
			PublicKey  asn1.RawValue
			Attributes []asn1.RawValue `asn1:"tag:0"`
		}
		Algorithm pkix.AlgorithmIdentifier
		Signature asn1.BitString
	}{
		TBS: struct {
			Version    int
			Subject    asn1.RawValue
			PublicKey  asn1.RawValue
			Attributes []asn1.RawValue `asn1:"tag:0"`
		}{Subject: asn1.RawValue{FullBytes: []byte{0x30, 0}}, PublicKey: asn1.RawValue{FullBytes: spki}, Attributes: []asn1.RawValue{}},
		Algorithm: pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}, Parameters: asn1.NullRawValue},
		Signature: asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x509.ParseCertificateRequest(der); err != nil {
		t.Fatalf("hand-made CSR: %v", err)
	}
	return der
}

// TestReview10RSASizes: the CA certified any RSA modulus of 2048 bits or
// more. No Sigstore verifier reads a key of another size than 2048, 3072
// or 4096 bits (sigstore-go refuses it), and the handler verified the
// proof of possession, or the CSR's signature, with whatever it was sent:
// a cost that grows with the square of the modulus, some 190,000 bits in
// a 64 KiB request (10 s of CPU measured for 380,000), for any holder of
// a token. Such keys are now refused, by Issue and by the handler before
// any signature is checked with them.
func TestReview10RSASizes(t *testing.T) {
	t.Parallel()
	c, err := ca.New(ca.WithSubjectDomain("https://iss", "https://ci"))
	if err != nil {
		t.Fatal(err)
	}
	id := identity.Identity{Issuer: "https://iss", Subject: "https://ci/wf"}
	for _, bits := range []int{2056, 3000, 4104, 8192, 16384} {
		_, err := c.Issue(t.Context(), fakeRSA(t, bits), id)
		if !errors.Is(err, ca.ErrUnsupportedKey) || !errors.Is(err, ca.ErrInvalidRequest) {
			t.Errorf("RSA-%d: Issue: %v, want ErrUnsupportedKey", bits, err)
		}
	}
	if _, err := c.Issue(t.Context(), fakeRSA(t, 3072), id); err != nil {
		t.Errorf("RSA-3072: %v", err)
	}

	const token = "good-token"
	srv := httptest.NewServer(c.Handler(ca.AuthenticatorFunc(func(_ context.Context, tok string) (identity.Identity, error) {
		if tok != token {
			return identity.Identity{}, errors.New("bad token")
		}
		return id, nil
	})))
	t.Cleanup(srv.Close)
	post := func(t *testing.T, req map[string]any) (int, string) {
		t.Helper()
		b, _ := json.Marshal(req)
		r, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/api/v2/signingCert", strings.NewReader(string(b)))
		r.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	huge := fakeRSA(t, 16384)
	der, err := x509.MarshalPKIXPublicKey(huge)
	if err != nil {
		t.Fatal(err)
	}
	proof := make([]byte, huge.Size())
	proof[1] = 1
	status, body := post(t, map[string]any{"publicKeyRequest": map[string]any{
		"publicKey":         map[string]any{"algorithm": "RSA", "content": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))},
		"proofOfPossession": base64.StdEncoding.EncodeToString(proof),
	}})
	if status != http.StatusBadRequest || !strings.Contains(body, "RSA-16384") {
		t.Errorf("proof of possession with RSA-16384: %d %s; want 400 naming the key size", status, body)
	}
	status, body = post(t, map[string]any{"certificateSigningRequest": base64.StdEncoding.EncodeToString(csrFor(t, huge))})
	if status != http.StatusBadRequest || !strings.Contains(body, "RSA-16384") {
		t.Errorf("CSR with RSA-16384: %d %s; want 400 naming the key size", status, body)
	}
}

// TestReview10ControlCharactersInClaims: the CA wrote the issuer and the
// claims into Fulcio's UTF8String extensions as they came, control
// characters included: a ref "refs/heads/main\nsource=…" was certified
// and printed by whatever shows the certificate as a second field. Such a
// value is now refused with ErrIdentity; other Unicode is kept.
func TestReview10ControlCharactersInClaims(t *testing.T) {
	t.Parallel()
	c, err := ca.New(ca.WithSubjectDomain("https://iss", "https://ci"))
	if err != nil {
		t.Fatal(err)
	}
	base := identity.Identity{Issuer: "https://iss", Subject: "https://ci/wf",
		Claims: identity.Claims{Ref: "refs/heads/main", Commit: strings.Repeat("a", 40), Event: "push", Runner: "hosted"}}
	pub := key(t).Public()
	for name, mutate := range map[string]func(*identity.Identity){
		"ref with newline":           func(id *identity.Identity) { id.Claims.Ref = "refs/heads/main\nsource=https://github.com/victim/app" },
		"event with carriage return": func(id *identity.Identity) { id.Claims.Event = "push\rrelease" },
		"runner with NUL":            func(id *identity.Identity) { id.Claims.Runner = "hosted\x00" },
		"commit with C1 NEL":         func(id *identity.Identity) { id.Claims.Commit = "abc\u0085def" },
		"repository id with LS":      func(id *identity.Identity) { id.Claims.RepositoryID = "1\u20282" },
		"owner id with escape":       func(id *identity.Identity) { id.Claims.RepositoryOwnerID = "\x1b[31m1" },
		"issuer with tab":            func(id *identity.Identity) { id.Issuer = "https://iss\tx" },
		"ref not UTF-8":              func(id *identity.Identity) { id.Claims.Ref = "refs/heads/\xff" },
	} {
		id := base
		mutate(&id)
		if chain, err := c.Issue(t.Context(), pub, id); !errors.Is(err, ca.ErrIdentity) {
			t.Errorf("%s: %d certificates, %v; want ErrIdentity", name, len(chain), err)
		}
	}
	id := base
	id.Claims.Ref = "refs/heads/café-ünïcode"
	chain, err := c.Issue(t.Context(), pub, id)
	if err != nil {
		t.Fatal(err)
	}
	if got := ext(t, chain[0], ca.OIDSourceRepositoryRef); got != id.Claims.Ref {
		t.Fatalf("ref extension %q, want %q", got, id.Claims.Ref)
	}
}
