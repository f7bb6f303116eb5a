package itest_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"testing"

	"github.com/ztci/ztci/internal/itest"
)

// TestStartRekorV1: the log accepts a hashedrekord entry, answers with a
// signed entry timestamp and an inclusion proof, and finds the entry by the
// artifact's hash through the search index.
func TestStartRekorV1(t *testing.T) {
	r := itest.StartRekorV1(t)
	if _, ok := r.PublicKey.(*ecdsa.PublicKey); !ok {
		t.Fatalf("log key %T", r.PublicKey)
	}

	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("artifact"))
	sig, err := ecdsa.SignASN1(rand.Reader, k, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	pub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	entry, _ := json.Marshal(map[string]any{
		"apiVersion": "0.0.1", "kind": "hashedrekord",
		"spec": map[string]any{
			"data":      map[string]any{"hash": map[string]any{"algorithm": "sha256", "value": hex.EncodeToString(sum[:])}},
			"signature": map[string]any{"content": base64.StdEncoding.EncodeToString(sig), "publicKey": map[string]any{"content": base64.StdEncoding.EncodeToString(pub)}},
		},
	})
	resp, err := http.Post(r.URL+"/api/v1/log/entries", "application/json", bytes.NewReader(entry))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %s: %s", resp.Status, body)
	}
	var created map[string]struct {
		Verification struct {
			SignedEntryTimestamp []byte          `json:"signedEntryTimestamp"`
			InclusionProof       json.RawMessage `json:"inclusionProof"`
		} `json:"verification"`
	}
	if err := json.Unmarshal(body, &created); err != nil || len(created) != 1 {
		t.Fatalf("upload answer %s: %v", body, err)
	}
	var uuid string
	for u, e := range created {
		uuid = u
		if len(e.Verification.SignedEntryTimestamp) == 0 || len(e.Verification.InclusionProof) == 0 {
			t.Fatalf("entry without SET or inclusion proof: %s", body)
		}
	}

	r.WaitIndexed(t, sum, 1)
	q, _ := json.Marshal(map[string]string{"hash": "sha256:" + hex.EncodeToString(sum[:])})
	resp, err = http.Post(r.URL+"/api/v1/index/retrieve", "application/json", bytes.NewReader(q))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	var found []string
	if err := json.Unmarshal(body, &found); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("search: %s %s: %v", resp.Status, body, err)
	}
	if len(found) != 1 || found[0] != uuid && found[0][len(found[0])-64:] != uuid[len(uuid)-64:] {
		t.Fatalf("search found %v, want %s", found, uuid)
	}
}
