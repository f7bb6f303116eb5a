package oidc_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ztci/ztci/identity/oidc"
)

// BenchmarkMintKey compares minting with the issuer's own in-memory P-256
// key (go-jose signs) against the same kind of key behind a crypto.Signer
// (the KMS seam; here a wrapper around an in-process key, so the figure is
// the seam's overhead, not a KMS round trip).
func BenchmarkMintKey(b *testing.B) {
	ctx := context.Background()
	inMemory, err := oidc.NewIssuer(fleetURL)
	if err != nil {
		b.Fatal(err)
	}
	signer, err := oidc.NewIssuer(fleetURL, oidc.WithSigner(&kmsSigner{key: genKey(b, "P-256")}, ""))
	if err != nil {
		b.Fatal(err)
	}
	published, err := oidc.NewIssuer(fleetURL, oidc.WithSigner(&kmsSigner{key: genKey(b, "P-256")}, ""), oidc.WithKeyStore(oidc.NewMemoryKeyStore(nil)))
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		iss  *oidc.Issuer
	}{{"in-memory", inMemory}, {"crypto.Signer", signer}, {"crypto.Signer+KeyStore", published}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.iss.Mint(ctx, fleetJob, "gate"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkJWKSThreeReplicas serves the JWKS of one replica of a
// three-replica fleet (three keys from the shared store), against a lone
// issuer's JWKS, through the http.Handler.
func BenchmarkJWKSThreeReplicas(b *testing.B) {
	store := oidc.NewMemoryKeyStore(nil)
	var fleet []*oidc.Issuer
	for _, kind := range []string{"P-256", "P-384", "Ed25519"} {
		iss, err := oidc.NewIssuer(fleetURL, oidc.WithSigner(genKey(b, kind), ""), oidc.WithKeyStore(store))
		if err != nil {
			b.Fatal(err)
		}
		if err := iss.Publish(context.Background()); err != nil {
			b.Fatal(err)
		}
		fleet = append(fleet, iss)
	}
	lone, err := oidc.NewIssuer(fleetURL)
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/.well-known/jwks", nil)
	for _, bc := range []struct {
		name string
		iss  *oidc.Issuer
		keys int
	}{{"lone-issuer", lone, 1}, {"fleet-of-3", fleet[0], 3}} {
		b.Run(bc.name, func(b *testing.B) {
			h := bc.iss.Handler()
			if ks, err := oidc.ParseKeySet(bc.iss.JWKS()); err != nil || ks.Len() != bc.keys {
				b.Fatalf("JWKS holds %d keys (%v), want %d", ks.Len(), err, bc.keys)
			}
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatal(w.Code)
				}
			}
		})
	}
}
