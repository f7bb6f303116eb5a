package ca_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/identity"
)

// review22SmallOrder are Ed25519 public keys of small order, each as it
// is encoded, with and without the sign bit, canonical or not.
var review22SmallOrder = []string{
	"0100000000000000000000000000000000000000000000000000000000000000",
	"0000000000000000000000000000000000000000000000000000000000000080",
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
}

// TestReview22LeafKeyAnyoneCanSign: the CA certified RSA keys of any
// exponent (1, 3, even, 2^31-1) or with an even modulus, ECDSA "keys" off
// their curve, and Ed25519 keys of small order. Under the identity point,
// (R = identity, S = 0) is a signature crypto/ed25519 accepts on every
// message: the handler took it as a proof of possession, and the
// certificate named its identity on signatures anyone could make. Each is
// refused with ErrWeakKey, by Issue and by the handler.
func TestReview22LeafKeyAnyoneCanSign(t *testing.T) {
	t.Parallel()
	c, err := ca.New(ca.WithSubjectDomain("https://iss", "https://ci"))
	if err != nil {
		t.Fatal(err)
	}
	id := identity.Identity{Issuer: "https://iss", Subject: "https://ci/wf"}
	keys := map[string]any{}
	for _, e := range []int{1, 3, 4, 17, 65539, 1<<31 - 1} {
		k := fakeRSA(t, 2048)
		k.E = e
		keys["RSA e="+big.NewInt(int64(e)).String()] = k
	}
	even := fakeRSA(t, 2048)
	even.N.SetBit(even.N, 0, 0)
	keys["RSA even modulus"] = even
	// Only the deprecated coordinates can build a key off its curve, as
	// code handing Issue a key may.
	//lint:ignore SA1019 the test needs an invalid point
	keys["ECDSA off the curve"] = &ecdsa.PublicKey{Curve: elliptic.P256(), X: big.NewInt(1), Y: big.NewInt(1)}
	for _, h := range review22SmallOrder {
		b, _ := hex.DecodeString(h)
		keys["Ed25519 "+h[:8]] = ed25519.PublicKey(b)
	}
	for name, pub := range keys {
		if _, err := c.Issue(context.Background(), pub, id); !errors.Is(err, ca.ErrWeakKey) {
			t.Errorf("%s: Issue: %v, want ErrWeakKey", name, err)
		}
	}
	if _, err := c.Issue(context.Background(), fakeRSA(t, 2048), id); err != nil {
		t.Errorf("RSA-2048, e=65537: %v", err)
	}
	if _, err := c.Issue(context.Background(), key(t).Public(), id); err != nil {
		t.Errorf("ECDSA P-256: %v", err)
	}

	// The forged proof verifies: anyone holds this "key".
	identityPoint, _ := hex.DecodeString(review22SmallOrder[0])
	forged := append(append([]byte{}, identityPoint...), make([]byte, 32)...)
	if !ed25519.Verify(identityPoint, []byte(id.Subject), forged) {
		t.Fatal("the identity point's forged signature does not verify: the test proves nothing")
	}
	der, _ := x509.MarshalPKIXPublicKey(ed25519.PublicKey(identityPoint))
	body, _ := json.Marshal(map[string]any{
		"credentials": map[string]any{"oidcIdentityToken": "tok"},
		"publicKeyRequest": map[string]any{
			"publicKey":         map[string]any{"algorithm": "ED25519", "content": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))},
			"proofOfPossession": base64.StdEncoding.EncodeToString(forged)}})
	h := c.Handler(ca.AuthenticatorFunc(func(context.Context, string) (identity.Identity, error) { return id, nil }))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/api/v2/signingCert", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusBadRequest {
		t.Errorf("handler: status %d for a small-order Ed25519 key, want 400: %s", rec.Code, rec.Body)
	}
}
