package ca_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
)

// A runner's embedded CA certifies a job's ephemeral key for ten minutes,
// with the job's identity in the SAN and its CI claims in Fulcio's
// extensions, so any Sigstore verifier can check who signed.
func ExampleCA_Issue() {
	// In memory (ca.WithDir persists the key, 0600); the job-token issuer
	// speaks for workflows on the forge, and for no other URI.
	authority, err := ca.New(ca.WithSubjectDomain("https://ci.example.com", "https://git.example.com"))
	if err != nil {
		panic(err)
	}
	job := identity.Identity{
		Issuer:  "https://ci.example.com",
		Subject: "https://git.example.com/acme/app/.ci/release.yml@refs/heads/main",
		Claims:  identity.Claims{Repository: "https://git.example.com/acme/app", Ref: "refs/heads/main"},
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	chain, err := authority.Issue(context.Background(), key.Public(), job)
	if err != nil {
		panic(err)
	}
	leaf := chain[0]
	fmt.Println("SAN:", leaf.URIs[0])
	fmt.Println("lifetime:", leaf.NotAfter.Sub(leaf.NotBefore))
	fmt.Println("code signing:", leaf.ExtKeyUsage[0] == x509.ExtKeyUsageCodeSigning)
	for _, ext := range leaf.Extensions {
		if ext.Id.Equal(ca.OIDSourceRepositoryRef) {
			fmt.Println("source ref extension present")
		}
	}
	roots := x509.NewCertPool()
	roots.AddCert(authority.Certificate())
	_, err = leaf.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}, CurrentTime: leaf.NotBefore.Add(time.Minute)})
	fmt.Println("chains to the CA root:", err == nil)
	// Output:
	// SAN: https://git.example.com/acme/app/.ci/release.yml@refs/heads/main
	// lifetime: 10m0s
	// code signing: true
	// source ref extension present
	// chains to the CA root: true
}

// Replicas of the CA share a KMS key (any crypto.Signer) and the root
// certificate made for it once; what one replica issues chains to the root
// every replica publishes.
func ExampleWithSigner() {
	kmsKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader) // stands for a KMS key handle
	if err != nil {
		panic(err)
	}
	root, err := ca.NewRootCertificate(kmsKey, "acme CI CA", time.Now().Add(-time.Minute), 365*24*time.Hour)
	if err != nil {
		panic(err)
	}
	replicaA, err := ca.New(ca.WithSigner(kmsKey, root), ca.WithSubjectDomain("https://ci.example.com", "https://git.example.com"))
	if err != nil {
		panic(err)
	}
	replicaB, err := ca.New(ca.WithSigner(kmsKey, root))
	if err != nil {
		panic(err)
	}
	jobKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	chain, err := replicaA.Issue(context.Background(), jobKey.Public(), identity.Identity{
		Issuer: "https://ci.example.com", Subject: "https://git.example.com/acme/app/.ci/release.yml@refs/heads/main",
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("issued by A, certified by B's root:", chain[0].CheckSignatureFrom(replicaB.Certificate()) == nil)
	fmt.Println("rotation is the KMS's:", replicaA.Rotate())
	// Output:
	// issued by A, certified by B's root: true
	// rotation is the KMS's: ca: the key is held by an external signer; rotate it there
}

// A job-token issuer certifies URI subjects on its own subject domain only:
// a token naming a workflow on another forge, or a token from an issuer
// without a domain, gets no certificate.
func ExampleWithSubjectDomain() {
	authority, err := ca.New(ca.WithSubjectDomain("https://ci.example.com", "https://git.example.com"))
	if err != nil {
		panic(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	for _, job := range []identity.Identity{
		{Issuer: "https://ci.example.com", Subject: "https://git.example.com/acme/app/.ci/release.yml@refs/heads/main"},
		{Issuer: "https://ci.example.com", Subject: "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"},
		{Issuer: "https://other-ci.example.com", Subject: "https://git.example.com/acme/app/.ci/release.yml@refs/heads/main"},
	} {
		_, err := authority.Issue(context.Background(), key.Public(), job)
		fmt.Println(job.Issuer, "certified:", err == nil, "outside its domain:", errors.Is(err, ca.ErrSubjectDomain))
	}
	// Output:
	// https://ci.example.com certified: true outside its domain: false
	// https://ci.example.com certified: false outside its domain: true
	// https://other-ci.example.com certified: false outside its domain: true
}

// A CA behind a job-token verifier certifies a key for no longer than the
// token it was shown: here a token with two minutes left gets a
// two-minute certificate, not the CA's ten.
func ExampleOIDCAuthenticator() {
	ctx := context.Background()
	jobs, err := oidc.NewIssuer("https://ci.example.com", oidc.WithTTL(2*time.Minute))
	if err != nil {
		panic(err)
	}
	tokens, err := oidc.NewVerifier("https://ci.example.com", "sigstore", oidc.WithKeySet(jobs.KeySet()))
	if err != nil {
		panic(err)
	}
	raw, err := jobs.Mint(ctx, oidc.Job{
		Subject: "https://git.example.com/acme/app/.ci/release.yml@refs/heads/main",
		Claims:  identity.Claims{Repository: "acme/app", Ref: "refs/heads/main"},
	}, "sigstore")
	if err != nil {
		panic(err)
	}
	tok, err := ca.OIDCAuthenticator(tokens).AuthenticateToken(ctx, raw.Reveal())
	if err != nil {
		panic(err)
	}
	authority, err := ca.New(ca.WithSubjectDomain("https://ci.example.com", "https://git.example.com"))
	if err != nil {
		panic(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	chain, err := authority.IssuerForToken(tok).IssueCertificate(ctx, key.Public())
	if err != nil {
		panic(err)
	}
	leaf := chain[0]
	fmt.Println("SAN:", leaf.URIs[0])
	fmt.Println("ends with the token:", !leaf.NotAfter.After(tok.Expiry))
	fmt.Println("lifetime, rounded:", leaf.NotAfter.Sub(leaf.NotBefore).Round(time.Minute))
	// Output:
	// SAN: https://git.example.com/acme/app/.ci/release.yml@refs/heads/main
	// ends with the token: true
	// lifetime, rounded: 2m0s
}
