package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPlainHTTPOnlyOnLoopback: requests carry job tokens, so an address
// other than loopback is refused without TLS, before anything listens.
func TestPlainHTTPOnlyOnLoopback(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{":8080", "0.0.0.0:0", "[::]:0", "192.0.2.1:8080", "gate.example:8080", "localhost:8080"} {
		err := run(t.Context(), []string{"--demo", "--addr", addr}, io.Discard, nil)
		if err == nil || !strings.Contains(err.Error(), "TLS") {
			t.Errorf("--addr %s without TLS: %v, want a refusal naming TLS", addr, err)
		}
	}
	if err := run(t.Context(), []string{"--demo", "--tls-cert", "gate.crt"}, io.Discard, nil); err == nil {
		t.Error("--tls-cert without --tls-key accepted")
	}
}

// TestTLS serves the demo over HTTPS with --tls-cert and --tls-key and
// prints https URLs.
func TestTLS(t *testing.T) {
	t.Parallel()
	certPath, keyPath, pool := selfSigned(t)
	ctx, cancel := context.WithCancel(t.Context())
	var out safeBuffer
	ready, errc := make(chan string, 1), make(chan error, 1)
	go func() {
		errc <- run(ctx, []string{"--demo", "--addr", "127.0.0.1:0", "--tls-cert", certPath, "--tls-key", keyPath}, &out, ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-errc:
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "https://"+addr) || strings.Contains(out.String(), "http://") {
		t.Errorf("demo printed %q, want https URLs only", out.String())
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get("https://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("healthz over TLS: %d", resp.StatusCode)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

func selfSigned(t *testing.T) (certPath, keyPath string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certPath, keyPath = filepath.Join(dir, "gate.crt"), filepath.Join(dir, "gate.key")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certPath, keyPath, pool
}
