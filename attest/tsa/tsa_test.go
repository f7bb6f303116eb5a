package tsa_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/digitorus/timestamp"

	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/internal/x509ca"
)

func query(t testing.TB, msg string, certs bool, nonce int64) []byte {
	t.Helper()
	sum := sha256.Sum256([]byte(msg))
	req := &timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: sum[:], Certificates: certs, Nonce: big.NewInt(nonce)}
	b, err := req.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTimestamp(t *testing.T) {
	t.Parallel()
	// In the past: digitorus/pkcs7 stamps the CMS signing-time attribute with
	// the wall clock and checks it against the certificate.
	at := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	a, err := tsa.New(tsa.WithClock(func() time.Time { return at }))
	if err != nil {
		t.Fatal(err)
	}
	for _, certs := range []bool{false, true} {
		resp, err := a.Timestamp(t.Context(), query(t, "sig", certs, 42))
		if err != nil {
			t.Fatal(err)
		}
		ts, err := timestamp.ParseResponse(resp)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte("sig"))
		if !ts.Time.Equal(at) || !bytes.Equal(ts.HashedMessage, sum[:]) || ts.Nonce.Int64() != 42 || !ts.Policy.Equal(tsa.PolicyOID) {
			t.Fatalf("token %+v", ts)
		}
		if got := len(ts.Certificates) > 0; got != certs {
			t.Fatalf("certificates included = %v, requested %v", got, certs)
		}
	}
	chain := a.CertChain()
	pool := x509.NewCertPool()
	pool.AddCert(chain[1])
	if _, err := chain[0].Verify(x509.VerifyOptions{Roots: pool, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}}); err != nil {
		t.Fatalf("leaf is not a timestamping certificate of the root: %v", err)
	}
}

func TestHandler(t *testing.T) {
	t.Parallel()
	a, err := tsa.New()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	post := func(body []byte) (int, []byte) {
		resp, err := http.Post(srv.URL+"/api/v1/timestamp", "application/timestamp-query", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if code, _ := post(query(t, "x", false, 1)); code != http.StatusCreated {
		t.Fatalf("valid query: %d", code)
	}
	if code, _ := post([]byte("not DER")); code != http.StatusBadRequest {
		t.Fatalf("garbage query: %d", code)
	}
	if code, _ := post(make([]byte, 20<<10)); code != http.StatusBadRequest {
		t.Fatalf("oversized query: %d", code)
	}
	sha1Query, _ := (&timestamp.Request{HashAlgorithm: crypto.SHA1, HashedMessage: make([]byte, 20)}).Marshal()
	if code, _ := post(sha1Query); code != http.StatusBadRequest {
		t.Fatalf("SHA-1 query: %d", code)
	}
	resp, err := http.Get(srv.URL + "/api/v1/timestamp/certchain")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || bytes.Count(b, []byte("BEGIN CERTIFICATE")) != 2 {
		t.Fatalf("certchain: %d %s", resp.StatusCode, b)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	now := time.Now()
	a, err := tsa.New(tsa.WithClock(func() time.Time { return now }), tsa.WithValidity(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Timestamp(t.Context(), []byte{0x30, 0x00}); !errors.Is(err, tsa.ErrInvalidQuery) {
		t.Fatalf("got %v", err)
	}
	now = now.Add(2 * time.Hour)
	if _, err := a.Timestamp(t.Context(), query(t, "x", false, 1)); !errors.Is(err, tsa.ErrUnavailable) {
		t.Fatalf("expired TSA: got %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := a.Timestamp(ctx, query(t, "x", false, 1)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: got %v", err)
	}
}

func TestPersistRotate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, err := tsa.New(tsa.WithDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "tsa.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	first := a.CertChain()[0]
	if err := a.Rotate(); err != nil {
		t.Fatal(err)
	}
	b, err := tsa.New(tsa.WithDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	auths := b.Authorities()
	if len(auths) != 2 || auths[0].Chain[0].Equal(first) || !auths[1].Chain[0].Equal(first) || auths[1].End.IsZero() {
		t.Fatalf("authorities after rotate+reload: %+v", auths)
	}
}

// TestLoadRefusesMismatchedKey: a directory whose chain does not certify
// its key (files mixed from two TSAs) is refused, not loaded to sign with
// a key no chain vouches for. The TSA did not check this before it shared
// the CA's store.
func TestLoadRefusesMismatchedKey(t *testing.T) {
	t.Parallel()
	dir, other := t.TempDir(), t.TempDir()
	for _, d := range []string{dir, other} {
		if _, err := tsa.New(tsa.WithDir(d)); err != nil {
			t.Fatal(err)
		}
	}
	chain, err := os.ReadFile(filepath.Join(other, "tsa-chain.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tsa-chain.pem"), chain, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := tsa.New(tsa.WithDir(dir)); !errors.Is(err, x509ca.ErrKeyMismatch) {
		t.Fatalf("New over a mismatched key and chain = %v, want ErrKeyMismatch", err)
	}
}

func FuzzTimestamp(f *testing.F) {
	f.Add(query(f, "seed", true, 7))
	f.Add([]byte{0x30, 0x00})
	f.Add([]byte{})
	a, err := tsa.New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, q []byte) {
		resp, err := a.Timestamp(context.Background(), q)
		if err != nil {
			if !errors.Is(err, tsa.ErrInvalidQuery) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if _, err := timestamp.ParseResponse(resp); err != nil {
			t.Fatalf("TSA produced an unparsable response: %v", err)
		}
	})
}
