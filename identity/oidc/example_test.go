package oidc_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http/httptest"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
)

// A runner issues a job token; a service verifies it.
func Example() {
	ctx := context.Background()

	// Runner side: the issuer's discovery document and JWKS are served over
	// HTTP (here on 127.0.0.1; in production at the issuer's https URL).
	srv := httptest.NewServer(nil)
	defer srv.Close()
	masked := 0
	iss, err := oidc.NewIssuer(srv.URL, oidc.WithMasker(identity.MaskerFunc(func(string) { masked++ })))
	if err != nil {
		panic(err)
	}
	srv.Config.Handler = iss.Handler()
	tok, err := iss.Mint(ctx, oidc.Job{Claims: identity.Claims{
		Repository: "octo-org/app", Ref: "refs/heads/main", RefProtected: true, Commit: "0123abc", Event: "push",
	}}, "https://deploy.example.com")
	if err != nil {
		panic(err)
	}
	fmt.Println("token prints as:", tok)
	fmt.Println("registered with the masker:", masked == 1)

	// Service side: verify the token handed over by the job.
	v, err := oidc.NewVerifier(srv.URL, "https://deploy.example.com")
	if err != nil {
		panic(err)
	}
	who, err := v.Verify(ctx, tok.Reveal())
	if err != nil {
		panic(err) // any error means deny
	}
	fmt.Println("subject:", who.Subject)
	fmt.Println("repository:", who.Claims.Repository, "ref:", who.Claims.Ref, "protected:", who.Claims.RefProtected)
	// Output:
	// token prints as: oidc.Token([REDACTED])
	// registered with the masker: true
	// subject: repo:octo-org/app:ref:refs/heads/main
	// repository: octo-org/app ref: refs/heads/main protected: true
}

// Single-use tokens and bound claims, as Vault's JWT auth would configure them.
func ExampleNewVerifier_hardened() {
	iss, err := oidc.NewIssuer("https://ci.example.com")
	if err != nil {
		panic(err)
	}
	v, err := oidc.NewVerifier("https://ci.example.com", "vault",
		oidc.WithKeySet(iss.KeySet()),
		oidc.WithSingleUse(oidc.NewMemoryReplayCache(10000, nil)),
		oidc.WithBoundClaimsGlob(map[string][]string{"repository": {"octo-org/*"}, "ref": {"refs/heads/main"}}),
	)
	if err != nil {
		panic(err)
	}
	tok, err := iss.Mint(context.Background(), oidc.Job{Claims: identity.Claims{Repository: "octo-org/app", Ref: "refs/heads/main"}}, "vault")
	if err != nil {
		panic(err)
	}
	_, err = v.Verify(context.Background(), tok.Reveal())
	fmt.Println("first use:", err)
	_, err = v.Verify(context.Background(), tok.Reveal())
	fmt.Println("second use rejected:", err != nil)
	// Output:
	// first use: <nil>
	// second use rejected: true
}

// Two issuer replicas share one key set: a token minted by either verifies
// against the JWKS of the other. In a fleet the store is
// identity/oidc/natskeys on NATS JetStream; here it is in memory.
func ExampleWithKeyStore() {
	ctx := context.Background()
	store := oidc.NewMemoryKeyStore(nil)
	a, err := oidc.NewIssuer("https://ci.example.com", oidc.WithKeyStore(store))
	if err != nil {
		panic(err)
	}
	b, err := oidc.NewIssuer("https://ci.example.com", oidc.WithKeyStore(store))
	if err != nil {
		panic(err)
	}
	for _, replica := range []*oidc.Issuer{a, b} {
		if err := replica.Publish(ctx); err != nil { // at start-up, before taking traffic
			panic(err)
		}
	}
	keysOfB, err := oidc.ParseKeySet(b.JWKS())
	if err != nil {
		panic(err)
	}
	fmt.Println("keys served by replica b:", keysOfB.Len())

	tok, err := a.Mint(ctx, oidc.Job{Claims: identity.Claims{Repository: "octo-org/app", Ref: "refs/heads/main"}}, "gate")
	if err != nil {
		panic(err)
	}
	v, err := oidc.NewVerifier("https://ci.example.com", "gate", oidc.WithKeySet(keysOfB))
	if err != nil {
		panic(err)
	}
	who, err := v.Verify(ctx, tok.Reveal())
	fmt.Println("token of replica a verified with replica b's keys:", err == nil, who.Subject)
	// Output:
	// keys served by replica b: 2
	// token of replica a verified with replica b's keys: true repo:octo-org/app:ref:refs/heads/main
}

// An issuer that signs with a key it never holds: a crypto.Signer such as a
// KMS client. The algorithm follows the key (here P-384, so ES384), and
// tokens minted before a restart verify after it, since the key is the same.
func ExampleWithSigner() {
	kmsKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader) // stands for a KMS key handle
	if err != nil {
		panic(err)
	}
	before, err := oidc.NewIssuer("https://ci.example.com", oidc.WithSigner(kmsKey, "kms-2026-03"))
	if err != nil {
		panic(err)
	}
	tok, err := before.Mint(context.Background(), oidc.Job{Claims: identity.Claims{Repository: "octo-org/app"}}, "gate")
	if err != nil {
		panic(err)
	}

	after, err := oidc.NewIssuer("https://ci.example.com", oidc.WithSigner(kmsKey, "kms-2026-03")) // restarted
	if err != nil {
		panic(err)
	}
	v, err := oidc.NewVerifier("https://ci.example.com", "gate", oidc.WithKeySet(after.KeySet()))
	if err != nil {
		panic(err)
	}
	_, err = v.Verify(context.Background(), tok.Reveal())
	fmt.Println("token from before the restart verifies:", err == nil)

	_, err = oidc.NewIssuer("https://ci.example.com", oidc.WithSigner(kmsKey, ""), oidc.WithAlgorithm(oidc.ES256))
	fmt.Println("ES256 with a P-384 key refused:", errors.Is(err, oidc.ErrSigner))
	// Output:
	// token from before the restart verifies: true
	// ES256 with a P-384 key refused: true
}

// CheckURIPath refuses a URI built from claims that a verifier which
// cleans paths would read as another one: a branch named with encoded dot
// segments would otherwise name another repository's workflow.
func ExampleCheckURIPath() {
	for _, u := range []string{
		"https://github.com/acme/app/.github/workflows/release.yml@refs/heads/feature/x",
		"https://github.com/acme/app/.github/workflows/release.yml@refs/heads/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/victim/app",
		"https://github.com/acme//app",
	} {
		fmt.Println(errors.Is(oidc.CheckURIPath(u), oidc.ErrURIPath))
	}
	// Output:
	// false
	// true
	// true
}
