package svid_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/identity/svid"
)

func TestWithCAPathLen(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		n       int
		wantErr bool
	}{
		{name: "negative", n: -1, wantErr: true},
		{name: "default least privilege", n: 0},
		{name: "one downstream CA", n: 1},
		{name: "most", n: svid.MaxCAPathLen},
		{name: "beyond the most", n: svid.MaxCAPathLen + 1, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			iss, err := svid.NewIssuer(td, svid.WithCAPathLen(tc.n))
			if tc.wantErr {
				if !errors.Is(err, svid.ErrConfig) {
					t.Fatalf("WithCAPathLen(%d) = %v, want ErrConfig", tc.n, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ca := iss.X509Bundle().X509Authorities()[0]
			if ca.MaxPathLen != tc.n || (tc.n == 0) != ca.MaxPathLenZero || !ca.BasicConstraintsValid || !ca.IsCA {
				t.Fatalf("CA path length %d (zero %v), want %d", ca.MaxPathLen, ca.MaxPathLenZero, tc.n)
			}
		})
	}
	// No path length option: 0, encoded as such (not "unlimited").
	iss, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	if ca := iss.X509Bundle().X509Authorities()[0]; ca.MaxPathLen != 0 || !ca.MaxPathLenZero {
		t.Fatalf("default CA path length %d (zero %v), want 0", ca.MaxPathLen, ca.MaxPathLenZero)
	}
}

func TestExportCA(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []svid.Option
		// wantReason is part of the ExportError's Reason; "" means exported.
		wantReason string
	}{
		{name: "default issuer: path length 0", wantReason: "path length 0"},
		{name: "software key with path length 0", opts: []svid.Option{svid.WithCASigner(caKey(t, "P-256"))}, wantReason: "path length 0"},
		{name: "KMS key", opts: []svid.Option{svid.WithCAPathLen(1), svid.WithCASigner(kms{caKey(t, "P-256")})}, wantReason: "KMS or HSM"},
		{name: "own P-256 key", opts: []svid.Option{svid.WithCAPathLen(1)}},
		{name: "caller's P-384 key", opts: []svid.Option{svid.WithCAPathLen(1), svid.WithCASigner(caKey(t, "P-384"))}},
		{name: "caller's Ed25519 key", opts: []svid.Option{svid.WithCAPathLen(1), svid.WithCASigner(caKey(t, "Ed25519"))}},
		{name: "caller's RSA key", opts: []svid.Option{svid.WithCAPathLen(1), svid.WithCASigner(caKey(t, "RSA-2048"))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			iss, err := svid.NewIssuer(td, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			certPEM, keyPEM, err := iss.ExportCA()
			if tc.wantReason != "" {
				var ee *svid.ExportError
				if !errors.As(err, &ee) || !errors.Is(err, svid.ErrNotExportable) || !strings.Contains(ee.Reason, tc.wantReason) || certPEM != nil || keyPEM != nil {
					t.Fatalf("ExportCA = %v, want an ExportError about %q and nothing exported", err, tc.wantReason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cb, rest := pem.Decode(certPEM)
			kb, krest := pem.Decode(keyPEM)
			if cb == nil || kb == nil || cb.Type != "CERTIFICATE" || kb.Type != "PRIVATE KEY" || len(rest) != 0 || len(krest) != 0 {
				t.Fatal("ExportCA: want one CERTIFICATE and one PRIVATE KEY PEM block")
			}
			cert, err := x509.ParseCertificate(cb.Bytes)
			if err != nil || !cert.Equal(iss.X509Bundle().X509Authorities()[0]) {
				t.Fatalf("exported certificate is not the CA's: %v", err)
			}
			key, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			pub, ok := key.(interface{ Public() crypto.PublicKey })
			if !ok || !cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool }).Equal(pub.Public()) {
				t.Fatal("exported key does not match the CA certificate")
			}
		})
	}
}

// TestExportCAErrorHasNoKey: the refusal names the key's type, never its
// material.
func TestExportCAErrorHasNoKey(t *testing.T) {
	t.Parallel()
	k := caKey(t, "P-256").(*ecdsa.PrivateKey)
	iss, err := svid.NewIssuer(td, svid.WithCASigner(k))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = iss.ExportCA()
	raw, rerr := k.Bytes()
	if rerr != nil {
		t.Fatal(rerr)
	}
	if err == nil || strings.Contains(err.Error(), hex.EncodeToString(raw)) || strings.Contains(err.Error(), "PRIVATE KEY") {
		t.Fatalf("ExportCA error %v", err)
	}
}
