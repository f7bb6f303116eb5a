package tsa_test

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/digitorus/timestamp"

	"github.com/ztci/ztci/attest/tsa"
)

// TestReview31NonceEcho: the embedded TSA echoes a client's nonce of the
// size attest's client sends (128 bits) and of RFC 3161's usual maximum
// (160 bits), through Timestamp and through the HTTP handler, so a client
// requiring the echo (attest's signers) accepts its answers.
func TestReview31NonceEcho(t *testing.T) {
	t.Parallel()
	a, err := tsa.New()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("sig"))
	for _, bits := range []int{128, 160} {
		n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), uint(bits)))
		if err != nil {
			t.Fatal(err)
		}
		n.SetBit(n, bits-1, 1)
		q, err := (&timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: sum[:], Nonce: n}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		direct, err := a.Timestamp(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/api/v1/timestamp", bytes.NewReader(q))
		r.Header.Set("Content-Type", "application/timestamp-query")
		w := httptest.NewRecorder()
		a.Handler().ServeHTTP(w, r)
		for name, resp := range map[string][]byte{"Timestamp": direct, "Handler": w.Body.Bytes()} {
			ts, err := timestamp.ParseResponse(resp)
			if err != nil {
				t.Fatalf("%d bits, %s: %v", bits, name, err)
			}
			if ts.Nonce == nil || ts.Nonce.Cmp(n) != 0 {
				t.Fatalf("%d bits, %s: nonce %v, want %v", bits, name, ts.Nonce, n)
			}
		}
	}
}
