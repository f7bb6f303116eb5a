package x509ca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestCheckKey(t *testing.T) {
	t.Parallel()
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ed, _, _ := ed25519.GenerateKey(rand.Reader)
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	tests := []struct {
		name string
		pub  crypto.PublicKey
		want error
	}{
		{name: "p256", pub: p256.Public()},
		{name: "ed25519", pub: ed},
		{name: "p224", pub: p224.Public(), want: ErrWeakKey},
		{name: "rsa1024", pub: rsa1024.Public(), want: ErrWeakKey},
		{name: "short ed25519", pub: ed25519.PublicKey(ed[:5]), want: ErrUnsupportedKey},
		{name: "string", pub: "key", want: ErrUnsupportedKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := CheckKey(tt.pub); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestKeyFiles(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "new")
	path := filepath.Join(dir, "k.pem")
	k, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteKey(path, k); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v", fi.Mode().Perm())
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("key mode %v", fi.Mode().Perm())
	}
	got, err := ReadKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Public().(*ecdsa.PublicKey).Equal(k.Public()) {
		t.Fatal("key changed on round trip")
	}
	_ = os.Chmod(path, 0o640)
	if _, err := ReadKey(path); err == nil {
		t.Fatal("group-readable key accepted")
	}
	bad := filepath.Join(dir, "bad.pem")
	_ = os.WriteFile(bad, []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 0o600)
	if _, err := ReadKey(bad); !errors.Is(err, ErrBadPEM) {
		t.Fatalf("got %v", err)
	}
	if _, err := ParseCerts([]byte("nothing")); !errors.Is(err, ErrBadPEM) {
		t.Fatalf("got %v", err)
	}
}
