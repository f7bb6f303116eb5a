package attest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/identity"
)

// zeros is an endless reader of zero bytes: benchmark input without
// allocating it.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

const digestInput = 256 << 20

// BenchmarkSubjectDigest compares SubjectFromReader with bare crypto/sha256
// over the same 256 MiB stream (goal: ours ≥ 0.9× the throughput, flat
// memory: see B/op).
func BenchmarkSubjectDigest(b *testing.B) {
	b.Run("ours", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(digestInput)
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := attest.SubjectFromReader(context.Background(), "x", io.LimitReader(zeros{}, digestInput)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("crypto-sha256", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(digestInput)
		buf := make([]byte, 1<<20)
		defer reportCPU(b)()
		for b.Loop() {
			h := sha256.New()
			if _, err := io.CopyBuffer(h, io.LimitReader(zeros{}, digestInput), buf); err != nil {
				b.Fatal(err)
			}
			_ = h.Sum(nil)
		}
	})
}

// directSign is the peer: the same statement signed by sigstore-go's
// sign.Bundle with the same material, encoded the same way.
func directSign(b *testing.B, st *attest.Statement, kp sign.Keypair, opts sign.BundleOptions) {
	b.Helper()
	payload, err := json.Marshal(st)
	if err != nil {
		b.Fatal(err)
	}
	pb, err := sign.Bundle(&sign.DSSEData{Data: payload, PayloadType: attest.PayloadType}, kp, opts)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := protojson.Marshal(pb); err != nil {
		b.Fatal(err)
	}
}

// ephemeralP256 is sigstore-go's own default keypair.
func ephemeralP256(b *testing.B) sign.Keypair {
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		b.Fatal(err)
	}
	return kp
}

// benchKeySign signs st with a P-256 key through attest.Sign, beside
// sigstore-go signing the same payload directly.
func benchKeySign(b *testing.B, st *attest.Statement) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	s, err := attest.NewKeySigner(key)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("ours", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := attest.Sign(b.Context(), s, st); err != nil {
				b.Fatal(err)
			}
		}
	})
	kp := ephemeralP256(b)
	b.Run("sigstore-go", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			directSign(b, st, kp, sign.BundleOptions{Context: b.Context()})
		}
	})
}

func BenchmarkSignKey(b *testing.B) {
	st := testStatement(b)
	benchKeySign(b, st)
}

// BenchmarkSignKeySBOM signs the 250 KB SBOM statement of
// BenchmarkParseStatementSBOM, where Sign's read-back of the encoding it
// signs (ParseStatement) weighs most, beside sigstore-go signing the same
// payload without it.
func BenchmarkSignKeySBOM(b *testing.B) {
	st, err := attest.ParseStatement(sbomStatement())
	if err != nil {
		b.Fatal(err)
	}
	benchKeySign(b, st)
}

func BenchmarkSignKeyEd25519(b *testing.B) {
	st := testStatement(b)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	s, err := attest.NewKeySigner(key)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("ours", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := attest.Sign(b.Context(), s, st); err != nil {
				b.Fatal(err)
			}
		}
	})
	kp, err := sign.NewEphemeralKeypair(&sign.EphemeralKeypairOptions{Algorithm: 7 /* PKIX_ED25519 */})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("sigstore-go", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			directSign(b, st, kp, sign.BundleOptions{Context: b.Context()})
		}
	})
}

// caProvider is the minimal sigstore-go certificate provider over the same CA.
type caProvider struct{ c *ca.CA }

func (p caProvider) GetCertificate(ctx context.Context, kp sign.Keypair, _ *sign.CertificateProviderOptions) ([]byte, error) {
	chain, err := p.c.Issue(ctx, kp.GetPublicKey(), testIdentity())
	if err != nil {
		return nil, err
	}
	return chain[0].Raw, nil
}

func BenchmarkSignCA(b *testing.B) {
	st := testStatement(b)
	c, _ := ca.New(ca.WithSubjectDomain(testIssuer, "https://ci.example"))
	a, _ := tsa.New()
	s, err := attest.NewCASigner(c.IssuerFor(testIdentity()), attest.WithEmbeddedTimestampAuthority(a.Handler()))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("ours", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := attest.Sign(b.Context(), s, st); err != nil {
				b.Fatal(err)
			}
		}
	})
	ts := sign.NewTimestampAuthority(&sign.TimestampAuthorityOptions{URL: "http://tsa.invalid/api/v1/timestamp", Timeout: -1, Transport: attest.InProcessTransport(a.Handler())})
	b.Run("sigstore-go", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			directSign(b, st, ephemeralP256(b), sign.BundleOptions{Context: b.Context(), CertificateProvider: caProvider{c}, TimestampAuthorities: []*sign.TimestampAuthority{ts}})
		}
	})
}

func BenchmarkSignFulcio(b *testing.B) {
	st := testStatement(b)
	c, _ := ca.New(ca.WithSubjectDomain(testIssuer, "https://ci.example"))
	a, _ := tsa.New()
	td := spiffeid.RequireTrustDomainFromString("example.org")
	const token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJzcGlmZmU6Ly9leGFtcGxlLm9yZy9jaS9idWlsZCJ9.x"
	fulcio := httptest.NewServer(c.Handler(ca.AuthenticatorFunc(func(context.Context, string) (identity.Identity, error) {
		return identity.Identity{SPIFFEID: spiffeid.RequireFromPath(td, "/ci/build"), Issuer: testIssuer, Subject: "spiffe://example.org/ci/build"}, nil
	})))
	defer fulcio.Close()
	tsaSrv := httptest.NewServer(a.Handler())
	defer tsaSrv.Close()
	s, err := attest.NewFulcioSigner(fulcio.URL, identity.TokenSourceFunc(func(context.Context) (string, error) { return token, nil }),
		attest.WithTimestampAuthority(tsaSrv.URL+"/api/v1/timestamp"))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("ours", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := attest.Sign(b.Context(), s, st); err != nil {
				b.Fatal(err)
			}
		}
	})
	f := sign.NewFulcio(&sign.FulcioOptions{BaseURL: fulcio.URL, Retries: 1})
	ts := sign.NewTimestampAuthority(&sign.TimestampAuthorityOptions{URL: tsaSrv.URL + "/api/v1/timestamp", Retries: 1})
	b.Run("sigstore-go", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			directSign(b, st, ephemeralP256(b), sign.BundleOptions{Context: b.Context(), CertificateProvider: f,
				CertificateProviderOptions: &sign.CertificateProviderOptions{IDToken: token}, TimestampAuthorities: []*sign.TimestampAuthority{ts}})
		}
	})
}

// reportCPU adds a cpu-ns/op metric (process CPU time per op, all goroutines
// including in-process servers) beside the wall-clock ns/op.
func reportCPU(b *testing.B) func() {
	start := processCPU()
	return func() {
		if n := b.N; n > 0 {
			b.ReportMetric(float64(processCPU()-start)/float64(n), "cpu-ns/op")
		}
	}
}
