package attest_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/identity"
)

const (
	testIssuer  = "https://issuer.example"
	testSubject = "https://ci.example/octo-org/octo-repo/.github/workflows/build.yml@refs/heads/main"
)

func testIdentity() identity.Identity {
	return identity.Identity{
		Issuer:  testIssuer,
		Subject: testSubject,
		Claims:  identity.Claims{Repository: "octo-org/octo-repo", Ref: "refs/heads/main", Commit: strings.Repeat("a", 40), Event: "push"},
	}
}

func testStatement(t testing.TB) *attest.Statement {
	t.Helper()
	sub, err := attest.SubjectFromReader(context.Background(), "app.tar", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := attest.NewStatement([]attest.ResourceDescriptor{sub}, &attest.Provenance{
		BuildDefinition: attest.BuildDefinition{BuildType: "https://ztci.dev/build/v1", ExternalParameters: map[string]any{"ref": "main"}},
		RunDetails:      attest.RunDetails{Builder: attest.Builder{ID: "https://ci.example/builder"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

func verifyBundle(t *testing.T, bundleJSON, trustedRootJSON []byte, opts ...verify.VerifierOption) (*verify.VerificationResult, error) {
	t.Helper()
	tr, err := root.NewTrustedRootFromJSON(trustedRootJSON)
	if err != nil {
		t.Fatalf("trusted root does not load: %v", err)
	}
	var b bundle.Bundle
	if err := b.UnmarshalJSON(bundleJSON); err != nil {
		t.Fatalf("bundle does not load: %v", err)
	}
	v, err := verify.NewVerifier(tr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	sub := testStatement(t).Subject[0].Digest["sha256"]
	digest, _ := hex.DecodeString(sub)
	certID, err := verify.NewShortCertificateIdentity(testIssuer, "", testSubject, "")
	if err != nil {
		t.Fatal(err)
	}
	return v.Verify(&b, verify.NewPolicy(verify.WithArtifactDigest("sha256", digest), verify.WithCertificateIdentity(certID)))
}

// TestEmbeddedBundleVerifiesAfterCertificateExpiry is the contract of the
// embedded CA and TSA: a bundle they produce verifies with plain sigstore-go,
// against the exported trusted_root.json, after the 10-minute signing
// certificate has expired, because the TSA timestamp proves when it signed.
func TestEmbeddedBundleVerifiesAfterCertificateExpiry(t *testing.T) {
	t.Parallel()
	signedAt := time.Now().Add(-2 * time.Hour) // the certificate expired 110 minutes ago
	clk := &clock{t: signedAt}
	c, err := ca.New(ca.WithSubjectDomain(testIssuer, "https://ci.example"), ca.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	a, err := tsa.New(tsa.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := attest.NewCASigner(c.IssuerFor(testIdentity()), attest.WithEmbeddedTimestampAuthority(a.Handler()), attest.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	b, err := attest.Sign(t.Context(), signer, testStatement(t))
	if err != nil {
		t.Fatal(err)
	}
	trJSON, err := attest.NewTrustedRoot().AddEmbeddedCA("https://ca.example", c).AddEmbeddedTSA("https://tsa.example", a).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	res, err := verifyBundle(t, b, trJSON, verify.WithSignedTimestamps(1))
	if err != nil {
		t.Fatalf("plain sigstore-go rejects the bundle: %v", err)
	}
	var bb bundle.Bundle
	if err := bb.UnmarshalJSON(b); err != nil {
		t.Fatal(err)
	}
	vc, _ := bb.VerificationContent()
	if na := vc.Certificate().NotAfter; !na.Before(time.Now()) {
		t.Fatalf("certificate still valid until %v; the test must run after expiry", na)
	}
	if got := res.Signature.Certificate.SourceRepositoryURI; got != "https://issuer.example/octo-org/octo-repo" {
		t.Errorf("source repository extension = %q", got)
	}
	if res.Statement.GetPredicateType() != attest.PredicateSLSAProvenanceV1 {
		t.Errorf("predicate type = %q", res.Statement.GetPredicateType())
	}

	// Without the timestamp the same certificate is expired: sigstore-go
	// must refuse to use the current time.
	if _, err := verifyBundle(t, b, trJSON, verify.WithCurrentTime()); err == nil {
		t.Fatal("bundle verified with the current time after the certificate expired")
	}
}

func TestKeySignerKinds(t *testing.T) {
	t.Parallel()
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	rsa2048, _ := rsa.GenerateKey(rand.Reader, 2048)
	tests := []struct {
		name string
		key  crypto.Signer
	}{
		{name: "ecdsa-p256", key: p256},
		{name: "ecdsa-p384", key: p384},
		{name: "ed25519", key: ed},
		{name: "rsa-2048", key: rsa2048},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := attest.NewKeySigner(tt.key)
			if err != nil {
				t.Fatal(err)
			}
			b, err := attest.Sign(t.Context(), s, testStatement(t))
			if err != nil {
				t.Fatal(err)
			}
			var bb bundle.Bundle
			if err := bb.UnmarshalJSON(b); err != nil {
				t.Fatal(err)
			}
			vc, err := bb.VerificationContent()
			if err != nil {
				t.Fatal(err)
			}
			if vc.PublicKey() == nil {
				t.Fatal("bundle has no public-key hint")
			}
			if env, err := bb.Envelope(); err != nil || env.PayloadType != attest.PayloadType {
				t.Fatalf("envelope %v, %v", env, err)
			}
		})
	}
}

func TestBadInputNeverMakesABundle(t *testing.T) {
	t.Parallel()
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	keySigner, err := attest.NewKeySigner(p256)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	expiredClock := &clock{t: now.Add(-48 * time.Hour)}
	expiredCA, err := ca.New(ca.WithSubjectDomain(testIssuer, "https://ci.example"), ca.WithClock(expiredClock.Now), ca.WithRootValidity(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	expiredClock.t = now
	validCA, err := ca.New(ca.WithSubjectDomain(testIssuer, "https://ci.example"))
	if err != nil {
		t.Fatal(err)
	}
	futureClock := &clock{t: now.Add(48 * time.Hour)}
	futureCA, err := ca.New(ca.WithSubjectDomain(testIssuer, "https://ci.example"), ca.WithClock(futureClock.Now))
	if err != nil {
		t.Fatal(err)
	}
	futureClock.t = now
	a, err := tsa.New()
	if err != nil {
		t.Fatal(err)
	}
	caSigner := func(c *ca.CA) attest.Signer {
		s, err := attest.NewCASigner(c.IssuerFor(testIdentity()), attest.WithEmbeddedTimestampAuthority(a.Handler()))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := testStatement(t)
	with := func(f func(*attest.Statement)) *attest.Statement {
		c := *good
		c.Subject = append([]attest.ResourceDescriptor(nil), good.Subject...)
		f(&c)
		return &c
	}
	tests := []struct {
		name string
		sign func() ([]byte, error)
		want error
	}{
		{name: "no subjects", want: attest.ErrSubjectRequired, sign: func() ([]byte, error) {
			return attest.Sign(t.Context(), keySigner, with(func(s *attest.Statement) { s.Subject = nil }))
		}},
		{name: "digest wrong length", want: attest.ErrDigestLength, sign: func() ([]byte, error) {
			return attest.Sign(t.Context(), keySigner, with(func(s *attest.Statement) {
				s.Subject = []attest.ResourceDescriptor{{Name: "x", Digest: attest.DigestSet{"sha256": "abcd"}}}
			}))
		}},
		{name: "digest wrong alphabet", want: attest.ErrDigestEncoding, sign: func() ([]byte, error) {
			return attest.Sign(t.Context(), keySigner, with(func(s *attest.Statement) {
				s.Subject = []attest.ResourceDescriptor{{Name: "x", Digest: attest.DigestSet{"sha256": strings.Repeat("z", 64)}}}
			}))
		}},
		{name: "only unknown algorithm", want: attest.ErrUnknownAlgorithm, sign: func() ([]byte, error) {
			return attest.Sign(t.Context(), keySigner, with(func(s *attest.Statement) {
				s.Subject = []attest.ResourceDescriptor{{Name: "x", Digest: attest.DigestSet{"md4": "00"}}}
			}))
		}},
		{name: "unknown subject algorithm", want: attest.ErrUnknownAlgorithm, sign: func() ([]byte, error) {
			_, err := attest.SubjectFromReader(t.Context(), "x", strings.NewReader("x"), "md5")
			return nil, err
		}},
		{name: "SBOM not JSON", want: attest.ErrPredicateNotJSON, sign: func() ([]byte, error) {
			_, err := attest.NewStatement(good.Subject, attest.SPDX([]byte("SPDXVersion: SPDX-2.3\n")))
			return nil, err
		}},
		{name: "SBOM not what it claims", want: attest.ErrSBOMFormat, sign: func() ([]byte, error) {
			_, err := attest.NewStatement(good.Subject, attest.CycloneDX([]byte(`{"spdxVersion":"SPDX-2.3"}`)))
			return nil, err
		}},
		{name: "weak key RSA-1024", want: attest.ErrWeakKey, sign: func() ([]byte, error) {
			_, err := attest.NewKeySigner(rsa1024)
			return nil, err
		}},
		{name: "weak key certified by CA", want: ca.ErrWeakKey, sign: func() ([]byte, error) {
			_, err := validCA.Issue(t.Context(), rsa1024.Public(), testIdentity())
			return nil, err
		}},
		{name: "expired CA", want: ca.ErrExpired, sign: func() ([]byte, error) {
			return attest.Sign(t.Context(), caSigner(expiredCA), good)
		}},
		{name: "not-yet-valid CA", want: ca.ErrNotYetValid, sign: func() ([]byte, error) {
			return attest.Sign(t.Context(), caSigner(futureCA), good)
		}},
		{name: "CA signer without timestamps", want: attest.ErrNoTimestamp, sign: func() ([]byte, error) {
			_, err := attest.NewCASigner(futureCA.IssuerFor(testIdentity()))
			return nil, err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := tt.sign()
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want errors.Is %v", err, tt.want)
			}
			if b != nil {
				t.Fatal("a bundle was produced with an error")
			}
		})
	}
}

func TestFulcioSignerAgainstEmbeddedCAHandler(t *testing.T) {
	t.Parallel()
	// A JWT-shaped token (sigstore-go's client reads its subject to make the
	// proof of possession); the authenticator below accepts it verbatim.
	// Its iss is testIssuer, the issuer the certificate names: the signer
	// refuses a certificate naming another issuer than its token's.
	const canary = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIiwic3ViIjoic3BpZmZlOi8vZXhhbXBsZS5vcmcvY2kvYnVpbGQifQ.CANARY-TOKEN-0f1e2d3c"
	c, err := ca.New(ca.WithSubjectDomain(testIssuer, "https://ci.example"))
	if err != nil {
		t.Fatal(err)
	}
	auth := ca.AuthenticatorFunc(func(_ context.Context, tok string) (identity.Identity, error) {
		if tok != canary {
			return identity.Identity{}, errors.New("unknown token")
		}
		td := spiffeid.RequireTrustDomainFromString("example.org")
		return identity.Identity{SPIFFEID: spiffeid.RequireFromPath(td, "/ci/build"), Issuer: testIssuer, Subject: "spiffe://example.org/ci/build"}, nil
	})
	srv := httptest.NewServer(c.Handler(auth))
	defer srv.Close()
	a, err := tsa.New()
	if err != nil {
		t.Fatal(err)
	}
	tsaSrv := httptest.NewServer(a.Handler())
	defer tsaSrv.Close()

	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	for _, tc := range []struct {
		name  string
		token string
		ok    bool
	}{
		{name: "accepted token", token: canary, ok: true},
		{name: "rejected token", token: canary + "-wrong", ok: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := attest.NewFulcioSigner(srv.URL, identity.TokenSourceFunc(func(context.Context) (string, error) { return tc.token, nil }),
				attest.WithTimestampAuthority(tsaSrv.URL+"/api/v1/timestamp"), attest.WithLogger(log))
			if err != nil {
				t.Fatal(err)
			}
			b, err := attest.Sign(t.Context(), s, testStatement(t))
			if !tc.ok {
				if err == nil || b != nil {
					t.Fatal("signed with a rejected token")
				}
				if strings.Contains(err.Error(), canary) {
					t.Fatal("error text contains the token")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var bb bundle.Bundle
			if err := bb.UnmarshalJSON(b); err != nil {
				t.Fatal(err)
			}
			vc, _ := bb.VerificationContent()
			cert := vc.Certificate()
			if cert == nil || len(cert.URIs) != 1 || cert.URIs[0].String() != "spiffe://example.org/ci/build" {
				t.Fatalf("certificate SAN: %+v", cert)
			}
		})
	}
	if strings.Contains(logs.String(), canary) {
		t.Fatal("logs contain the token")
	}
}

// TestSigstoreCertificateProvider drives sigstore-go's sign.Bundle directly
// with the embedded CA as its certificate provider.
func TestSigstoreCertificateProvider(t *testing.T) {
	t.Parallel()
	c, err := ca.New(ca.WithSubjectDomain(testIssuer, "https://ci.example"))
	if err != nil {
		t.Fatal(err)
	}
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := sign.Bundle(&sign.PlainData{Data: []byte("x")}, kp, sign.BundleOptions{
		Context: t.Context(), CertificateProvider: attest.SigstoreCertificateProvider(c.IssuerFor(testIdentity())),
	})
	if err != nil {
		t.Fatal(err)
	}
	if pb.GetVerificationMaterial().GetCertificate() == nil {
		t.Fatal("no certificate in bundle")
	}
}
