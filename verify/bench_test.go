package verify_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgca "github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/verify"
)

// benchCase is one bundle with its trust material and expectation, the
// same for BenchmarkVerify (ours) and BenchmarkVerifyRaw (sigstore-go).
type benchCase struct {
	name      string
	trust     root.TrustedMaterial
	bundle    []byte
	digest    []byte
	san, iss  string
	predicate string
	noSCT     bool // the VirtualSigstore leaf carries no SCT
}

// VirtualSigstore issues the identity as an email SAN (rfc822Name), so
// the benchmark's identity is an email address: a URI-shaped string in an
// email SAN is what verify's SAN-type check refuses (see checkSANType).
const (
	vsIdentity = "build-bot@ci.example"
	vsIssuer   = "https://issuer.example"
)

// virtualSigstoreBundle makes a v0.1 bundle (DSSE, Rekor v1 entry with SET,
// RFC 3161 timestamp, P-256 chain root → intermediate → leaf with SCT)
// with sigstore-go's in-memory VirtualSigstore.
func virtualSigstoreBundle(tb testing.TB) benchCase {
	tb.Helper()
	vs, err := sgca.NewVirtualSigstore()
	if err != nil {
		tb.Fatal(err)
	}
	art := []byte("benchmark artifact")
	sum := sha256.Sum256(art)
	st := fmt.Sprintf(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":%q}}],"predicateType":%q,"predicate":{"buildDefinition":{"buildType":"x","externalParameters":{}},"runDetails":{"builder":{"id":"b"}}}}`,
		hex.EncodeToString(sum[:]), attest.PredicateSLSAProvenanceV1)
	e, err := vs.Attest(vsIdentity, vsIssuer, []byte(st))
	if err != nil {
		tb.Fatal(err)
	}
	vc, _ := e.VerificationContent()
	sc, _ := e.SignatureContent()
	env := sc.EnvelopeContent().RawEnvelope()
	payload, err := env.DecodeB64Payload()
	if err != nil {
		tb.Fatal(err)
	}
	sig, err := bytesFromB64(env.Signatures[0].Sig)
	if err != nil {
		tb.Fatal(err)
	}
	tss, _ := e.Timestamps()
	entries, _ := e.TlogEntries()
	var tles []*protorekor.TransparencyLogEntry
	for _, en := range entries {
		// tlog.Entry keeps the SET private: sign a fresh one with the same
		// log key, and name the entry kind, as a real bundle does.
		tle := en.TransparencyLogEntry()
		set, err := vs.RekorSignPayload(tlog.RekorPayload{
			Body: base64.StdEncoding.EncodeToString(tle.CanonicalizedBody), IntegratedTime: tle.IntegratedTime,
			LogIndex: tle.LogIndex, LogID: hex.EncodeToString(tle.LogId.KeyId),
		})
		if err != nil {
			tb.Fatal(err)
		}
		tle.KindVersion = &protorekor.KindVersion{Kind: "dsse", Version: "0.0.1"}
		tle.InclusionPromise = &protorekor.InclusionPromise{SignedEntryTimestamp: set}
		tles = append(tles, tle)
	}
	var rfc []*protocommon.RFC3161SignedTimestamp
	for _, ts := range tss {
		rfc = append(rfc, &protocommon.RFC3161SignedTimestamp{SignedTimestamp: ts})
	}
	pb := &protobundle.Bundle{
		MediaType: "application/vnd.dev.sigstore.bundle+json;version=0.1",
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_X509CertificateChain{X509CertificateChain: &protocommon.X509CertificateChain{
				Certificates: []*protocommon.X509Certificate{{RawBytes: vc.Certificate().Raw}},
			}},
			TlogEntries:               tles,
			TimestampVerificationData: &protobundle.TimestampVerificationData{Rfc3161Timestamps: rfc},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload: payload, PayloadType: env.PayloadType,
			Signatures: []*protodsse.Signature{{Sig: sig, Keyid: env.Signatures[0].KeyID}},
		}},
	}
	b, err := protojson.Marshal(pb)
	if err != nil {
		tb.Fatal(err)
	}
	return benchCase{name: "private-p256", noSCT: true, trust: vs, bundle: b, digest: sum[:], san: vsIdentity, iss: vsIssuer, predicate: attest.PredicateSLSAProvenanceV1}
}

func publicGoodBundle(tb testing.TB) benchCase {
	tb.Helper()
	tm, err := verify.PublicGood()
	if err != nil {
		tb.Fatal(err)
	}
	b, err := os.ReadFile("testdata/conformance/happy-path-intoto-in-dsse-v3/bundle.sigstore.json")
	if err != nil {
		tb.Fatal(err)
	}
	a, err := os.ReadFile("testdata/conformance/a.txt")
	if err != nil {
		tb.Fatal(err)
	}
	sum := sha256.Sum256(a)
	return benchCase{name: "public-good-p384", trust: tm, bundle: b, digest: sum[:], san: conformanceIdentity, iss: conformanceIssuer, predicate: attest.PredicateSLSAProvenanceV1}
}

func benchCases(tb testing.TB) []benchCase {
	return []benchCase{virtualSigstoreBundle(tb), publicGoodBundle(tb)}
}

func BenchmarkVerify(b *testing.B) {
	for _, c := range benchCases(b) {
		b.Run(c.name, func(b *testing.B) {
			var opts []verify.Option
			if c.noSCT {
				opts = append(opts, verify.WithSCTThreshold(0))
			}
			trust, err := verify.NewTrust(c.trust) // the same material, snapshotted
			if err != nil {
				b.Fatal(err)
			}
			v, err := verify.New(trust, verify.Expectation{Signer: verify.Identity{SAN: c.san, Issuer: c.iss}, PredicateType: c.predicate}, opts...)
			if err != nil {
				b.Fatal(err)
			}
			art, err := verify.ArtifactDigest("sha256", hex.EncodeToString(c.digest))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := v.Verify(b.Context(), c.bundle, art); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuNow()
			for b.Loop() {
				if _, err := v.Verify(b.Context(), c.bundle, art); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuNow()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkVerifyRaw is the peer: sigstore-go's verifier called directly on
// the same bundle bytes, trust material and policy (parse + Verify).
func BenchmarkVerifyRaw(b *testing.B) {
	for _, c := range benchCases(b) {
		b.Run(c.name, func(b *testing.B) {
			opts := []sgverify.VerifierOption{sgverify.WithTransparencyLog(1), sgverify.WithObserverTimestamps(1)}
			if !c.noSCT {
				opts = append(opts, sgverify.WithSignedCertificateTimestamps(1))
			}
			sv, err := sgverify.NewVerifier(c.trust, opts...)
			if err != nil {
				b.Fatal(err)
			}
			id, err := sgverify.NewShortCertificateIdentity(c.iss, "", c.san, "")
			if err != nil {
				b.Fatal(err)
			}
			run := func() error {
				var bun bundle.Bundle
				if err := bun.UnmarshalJSON(c.bundle); err != nil {
					return err
				}
				res, err := sv.Verify(&bun, sgverify.NewPolicy(sgverify.WithArtifactDigest("sha256", c.digest), sgverify.WithCertificateIdentity(id)))
				if err == nil && res.Statement.GetPredicateType() != c.predicate {
					err = fmt.Errorf("predicate type %q", res.Statement.GetPredicateType())
				}
				return err
			}
			if err := run(); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuNow()
			for b.Loop() {
				if err := run(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuNow()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkVerifyCached measures a result-cache hit (same bundle, artifact
// and expectation).
func BenchmarkVerifyCached(b *testing.B) {
	c := publicGoodBundle(b)
	v, err := verify.New(c.trust, verify.Expectation{Signer: verify.Identity{SAN: c.san, Issuer: c.iss}, PredicateType: c.predicate}, verify.WithResultCache(1024))
	if err != nil {
		b.Fatal(err)
	}
	art, _ := verify.ArtifactDigest("sha256", hex.EncodeToString(c.digest))
	if _, err := v.Verify(b.Context(), c.bundle, art); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuNow()
	for b.Loop() {
		if _, err := v.Verify(b.Context(), c.bundle, art); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuNow()-cpu0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkVerifyFresh verifies a different bundle (fresh leaf certificate,
// fresh timestamp) every iteration, from attest's embedded CA and TSA:
// nothing bundle-specific can be remembered as long as -benchtime stays at
// or below 256x. Ours and raw sigstore-go (on the plain trusted root) run
// on the same bundles.
func BenchmarkVerifyFresh(b *testing.B) {
	e := newEmbedded(b, time.Now)
	const n = 256
	bundles := make([][]byte, n)
	for i := range bundles {
		bundles[i] = e.sign(b, rtArtifact)
	}
	b.Run("ours", func(b *testing.B) {
		trust, err := verify.NewTrust(e.plain) // fresh memos for every run
		if err != nil {
			b.Fatal(err)
		}
		v, err := verify.New(trust, verify.Expectation{Signer: verify.Identity{SAN: rtSubject, Issuer: rtIssuer}, PredicateType: attest.PredicateSLSAProvenanceV1}, privateOpts...)
		if err != nil {
			b.Fatal(err)
		}
		art := verify.ArtifactBytes(rtArtifact)
		b.ReportAllocs()
		i := 0
		cpu0 := cpuNow()
		for b.Loop() {
			if _, err := v.Verify(b.Context(), bundles[i%n], art); err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(float64(cpuNow()-cpu0)/float64(b.N), "cpu-ns/op")
	})
	b.Run("raw", func(b *testing.B) {
		sv, err := sgverify.NewVerifier(e.plain, sgverify.WithObserverTimestamps(1), sgverify.WithSignedTimestamps(1))
		if err != nil {
			b.Fatal(err)
		}
		id, _ := sgverify.NewShortCertificateIdentity(rtIssuer, "", rtSubject, "")
		b.ReportAllocs()
		i := 0
		cpu0 := cpuNow()
		for b.Loop() {
			var bun bundle.Bundle
			if err := bun.UnmarshalJSON(bundles[i%n]); err != nil {
				b.Fatal(err)
			}
			if _, err := sv.Verify(&bun, sgverify.NewPolicy(sgverify.WithArtifact(bytes.NewReader(rtArtifact)), sgverify.WithCertificateIdentity(id))); err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(float64(cpuNow()-cpu0)/float64(b.N), "cpu-ns/op")
	})
}

func bytesFromB64(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

// BenchmarkVerifyFreshPublicGood verifies the 38 slsa-verifier bundles
// (public-good, P-384 Fulcio chain, each a different leaf) in turn. Ours
// builds a new Trust and Verifier for every pass over the 38, so no leaf is
// ever remembered: what remains is the static intermediate → root chain.
func BenchmarkVerifyFreshPublicGood(b *testing.B) {
	tm, err := verify.PublicGood()
	if err != nil {
		b.Fatal(err)
	}
	var bundles, artifacts [][]byte
	for _, dir := range []string{"testdata/slsa/gha_delegator", "testdata/slsa/gha_container-based"} {
		vers, err := os.ReadDir(dir)
		if err != nil {
			b.Fatal(err)
		}
		for _, ver := range vers {
			files, err := os.ReadDir(dir + "/" + ver.Name())
			if err != nil {
				b.Fatal(err)
			}
			for _, f := range files {
				p := dir + "/" + ver.Name() + "/" + f.Name()
				if base := findBundle(p); base != "" && base != p {
					bundles = append(bundles, mustRead(b, base))
					artifacts = append(artifacts, mustRead(b, p))
				}
			}
		}
	}
	if len(bundles) != 38 {
		b.Fatalf("%d bundles", len(bundles))
	}
	expect := verify.Expectation{Signer: verify.Identity{SANRegexp: generatorSANRegexp, Issuer: githubIssuer}, PredicateType: attest.PredicateSLSAProvenanceV1}
	b.Run("ours", func(b *testing.B) {
		b.ReportAllocs()
		var v *verify.Verifier
		i := 0
		cpu0 := cpuNow()
		for b.Loop() {
			if i%len(bundles) == 0 {
				trust, err := verify.NewTrust(tm)
				if err != nil {
					b.Fatal(err)
				}
				if v, err = verify.New(trust, expect); err != nil {
					b.Fatal(err)
				}
			}
			k := i % len(bundles)
			if _, err := v.Verify(b.Context(), bundles[k], verify.ArtifactBytes(artifacts[k])); err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(float64(cpuNow()-cpu0)/float64(b.N), "cpu-ns/op")
	})
	b.Run("raw", func(b *testing.B) {
		sv, err := sgverify.NewVerifier(tm, sgverify.WithTransparencyLog(1), sgverify.WithObserverTimestamps(1), sgverify.WithSignedCertificateTimestamps(1))
		if err != nil {
			b.Fatal(err)
		}
		san, _ := sgverify.NewSANMatcher("", generatorSANRegexp)
		iss, _ := sgverify.NewIssuerMatcher(githubIssuer, "")
		id, err := sgverify.NewCertificateIdentity(san, iss, certificate.Extensions{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		i := 0
		cpu0 := cpuNow()
		for b.Loop() {
			k := i % len(bundles)
			var bun bundle.Bundle
			if err := bun.UnmarshalJSON(bundles[k]); err != nil {
				b.Fatal(err)
			}
			if _, err := sv.Verify(&bun, sgverify.NewPolicy(sgverify.WithArtifact(bytes.NewReader(artifacts[k])), sgverify.WithCertificateIdentity(id))); err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(float64(cpuNow()-cpu0)/float64(b.N), "cpu-ns/op")
	})
}
