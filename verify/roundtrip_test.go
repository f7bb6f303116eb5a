package verify_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/verify"
)

const (
	rtIssuer  = "https://issuer.example"
	rtSubject = "https://ci.example/octo-org/octo-repo/.github/workflows/build.yml@refs/heads/main"
	rtBuilder = "https://ci.example/builder"
)

var rtArtifact = []byte("hello, artifact")

func rtIdentity() identity.Identity {
	return identity.Identity{
		Issuer:  rtIssuer,
		Subject: rtSubject,
		Claims:  identity.Claims{Repository: "octo-org/octo-repo", Ref: "refs/heads/main", Commit: strings.Repeat("a", 40), Event: "push"},
	}
}

func rtStatement(t testing.TB, artifact []byte) *attest.Statement {
	t.Helper()
	sub, err := attest.SubjectFromReader(context.Background(), "app.tar", strings.NewReader(string(artifact)))
	if err != nil {
		t.Fatal(err)
	}
	st, err := attest.NewStatement([]attest.ResourceDescriptor{sub}, &attest.Provenance{
		BuildDefinition: attest.BuildDefinition{BuildType: "https://ztci.dev/build/v1", ExternalParameters: map[string]any{"ref": "main"}},
		RunDetails:      attest.RunDetails{Builder: attest.Builder{ID: rtBuilder}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

type fixedClock struct{ t time.Time }

func (c *fixedClock) Now() time.Time { return c.t }

// embedded is attest's embedded CA and TSA with the trusted root for them.
type embedded struct {
	ca    *ca.CA
	tsa   *tsa.TSA
	trust *verify.Trust
	plain root.TrustedMaterial // the same root, without Trust's memos
	now   func() time.Time     // the CA's and TSA's clock, the signer's too
}

func newEmbedded(t testing.TB, now func() time.Time) *embedded {
	t.Helper()
	// The second issuer is an intruder that tests have claim the
	// expected SAN (TestReview10RegexpCannotEscapeAnchors).
	c, err := ca.New(ca.WithSubjectDomain(rtIssuer, "https://ci.example"), ca.WithSubjectDomain("https://evil.example", "https://ci.example"), ca.WithClock(now))
	if err != nil {
		t.Fatal(err)
	}
	a, err := tsa.New(tsa.WithClock(now))
	if err != nil {
		t.Fatal(err)
	}
	trJSON, err := attest.NewTrustedRoot().AddEmbeddedCA("https://ca.example", c).AddEmbeddedTSA("https://tsa.example", a).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	tm, err := verify.ParseTrustedRoot(trJSON)
	if err != nil {
		t.Fatal(err)
	}
	trust, err := verify.NewTrust(tm)
	if err != nil {
		t.Fatal(err)
	}
	return &embedded{ca: c, tsa: a, trust: trust, plain: tm, now: now}
}

func (e *embedded) sign(t testing.TB, artifact []byte) []byte {
	t.Helper()
	s, err := attest.NewCASigner(e.ca.IssuerFor(rtIdentity()), attest.WithEmbeddedTimestampAuthority(e.tsa.Handler()), attest.WithClock(e.now))
	if err != nil {
		t.Fatal(err)
	}
	b, err := attest.Sign(context.Background(), s, rtStatement(t, artifact))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// privateOpts are the settings for a private Sigstore without Rekor or CT:
// the TSA proves the time.
var privateOpts = []verify.Option{verify.WithTlogThreshold(0), verify.WithSCTThreshold(0), verify.WithSignedTimestampThreshold(1)}

func rtExpectation() verify.Expectation {
	return verify.Expectation{
		Signer: verify.Identity{SAN: rtSubject, Issuer: rtIssuer, Claims: verify.Claims{
			SourceRepositoryURI: "https://issuer.example/octo-org/octo-repo", SourceRepositoryRef: "refs/heads/main", BuildTrigger: "push",
		}},
		PredicateType: attest.PredicateSLSAProvenanceV1,
		Provenance:    &verify.Provenance{BuilderID: rtBuilder, BuildType: "https://ztci.dev/build/v1", ExternalParameters: map[string]any{"ref": "main"}},
	}
}

// TestRoundTripEmbeddedCAAfterExpiry: a bundle from the embedded CA still
// verifies two hours later, after its 10-minute certificate expired,
// because the TSA proved when it was signed.
func TestRoundTripEmbeddedCAAfterExpiry(t *testing.T) {
	t.Parallel()
	e := newEmbedded(t, (&fixedClock{time.Now().Add(-2 * time.Hour)}).Now)
	b := e.sign(t, rtArtifact)
	v, err := verify.New(e.trust, rtExpectation(), privateOpts...)
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.Verify(t.Context(), b, verify.ArtifactBytes(rtArtifact))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Times) != 1 || res.Times[0].By != verify.TimeByTSA || time.Since(res.Times[0].Time) < time.Hour {
		t.Errorf("times = %+v, want one TSA time two hours ago", res.Times)
	}
	if res.Signer.SAN != rtSubject || res.Signer.Issuer != rtIssuer || res.Signer.Claims.SourceRepositoryURI != "https://issuer.example/octo-org/octo-repo" {
		t.Errorf("signer = %+v", res.Signer)
	}
	if res.Statement == nil || res.Statement.Subject[0].Name != "app.tar" {
		t.Errorf("statement = %+v", res.Statement)
	}
	for _, c := range []string{verify.CheckTimestamp, verify.CheckChain, verify.CheckSignature, verify.CheckArtifact, verify.CheckIdentity, verify.CheckPredicateType, verify.CheckSLSA} {
		if !strings.Contains(strings.Join(res.Checks, ","), c) {
			t.Errorf("check %s not listed in %v", c, res.Checks)
		}
	}
	// Without the TSA requirement but with a tlog requirement, it fails:
	// there is no log entry.
	strict, err := verify.New(e.trust, rtExpectation())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := strict.Verify(t.Context(), b, verify.ArtifactBytes(rtArtifact)); !errors.Is(err, verify.ErrTlog) {
		t.Errorf("default thresholds: want ErrTlog, got %v", err)
	}
}

func TestRoundTripMismatches(t *testing.T) {
	t.Parallel()
	e := newEmbedded(t, time.Now)
	b := e.sign(t, rtArtifact)
	other := newEmbedded(t, time.Now)
	tests := []struct {
		name    string
		trust   *verify.Trust
		mutate  func(*verify.Expectation)
		art     verify.Artifact
		wantErr error
		field   string
	}{
		{name: "ok", trust: e.trust, art: verify.ArtifactBytes(rtArtifact)},
		{name: "streamed artifact", trust: e.trust, art: verify.ArtifactReader(strings.NewReader(string(rtArtifact)))},
		{name: "wrong SAN", trust: e.trust, mutate: func(x *verify.Expectation) { x.Signer = verify.Identity{SAN: rtSubject + "x", Issuer: rtIssuer} }, art: verify.ArtifactBytes(rtArtifact), wantErr: verify.ErrIdentityMismatch, field: "san"},
		{name: "SAN regexp is anchored", trust: e.trust, mutate: func(x *verify.Expectation) {
			x.Signer = verify.Identity{SANRegexp: `octo-org/octo-repo`, Issuer: rtIssuer}
		}, art: verify.ArtifactBytes(rtArtifact), wantErr: verify.ErrIdentityMismatch, field: "san"},
		{name: "SAN regexp", trust: e.trust, mutate: func(x *verify.Expectation) {
			x.Signer = verify.Identity{SANRegexp: `https://ci\.example/octo-org/.*@refs/heads/main`, IssuerRegexp: `https://issuer\.example`}
		}, art: verify.ArtifactBytes(rtArtifact)},
		{name: "wrong issuer", trust: e.trust, mutate: func(x *verify.Expectation) {
			x.Signer = verify.Identity{SAN: rtSubject, Issuer: "https://evil.example"}
		}, art: verify.ArtifactBytes(rtArtifact), wantErr: verify.ErrIdentityMismatch, field: "issuer"},
		{name: "wrong ref claim", trust: e.trust, mutate: func(x *verify.Expectation) {
			x.Signer = verify.Identity{SAN: rtSubject, Issuer: rtIssuer, Claims: verify.Claims{SourceRepositoryRef: "refs/heads/dev"}}
		}, art: verify.ArtifactBytes(rtArtifact), wantErr: verify.ErrIdentityMismatch, field: "sourceRepositoryRef"},
		{name: "key expected, certificate found", trust: e.trust, mutate: func(x *verify.Expectation) {
			k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			x.Signer = verify.PublicKey{Key: k.Public()}
		}, art: verify.ArtifactBytes(rtArtifact), wantErr: verify.ErrIdentityMismatch, field: "signer-kind"},
		{name: "other artifact", trust: e.trust, art: verify.ArtifactBytes([]byte("other")), wantErr: verify.ErrArtifactMismatch},
		{name: "wrong predicate type", trust: e.trust, mutate: func(x *verify.Expectation) { x.PredicateType = attest.PredicateSPDX; x.Provenance = nil }, art: verify.ArtifactBytes(rtArtifact), wantErr: verify.ErrPredicateTypeMismatch},
		{name: "wrong builder", trust: e.trust, mutate: func(x *verify.Expectation) { x.Provenance = &verify.Provenance{BuilderID: "https://ci.example/other"} }, art: verify.ArtifactBytes(rtArtifact), wantErr: verify.ErrProvenanceMismatch, field: "builder.id"},
		{name: "untrusted CA and TSA", trust: other.trust, art: verify.ArtifactBytes(rtArtifact), wantErr: verify.ErrTimestamp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			x := rtExpectation()
			if tt.mutate != nil {
				tt.mutate(&x)
			}
			v, err := verify.New(tt.trust, x, privateOpts...)
			if err != nil {
				t.Fatal(err)
			}
			res, err := v.Verify(t.Context(), b, tt.art)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want %v, verified %s", tt.wantErr, res)
			}
			if !errors.Is(err, tt.wantErr) || !errors.Is(err, verify.ErrVerification) {
				t.Fatalf("want %v, got %v", tt.wantErr, err)
			}
			var im *verify.IdentityMismatchError
			var pm *verify.ProvenanceMismatchError
			var am *verify.ArtifactMismatchError
			switch {
			case errors.As(err, &im):
				if im.Field != tt.field || im.Want == "" {
					t.Errorf("identity mismatch %+v, want field %s", im, tt.field)
				}
			case errors.As(err, &pm):
				if pm.Field != tt.field {
					t.Errorf("provenance mismatch %+v, want field %s", pm, tt.field)
				}
			case errors.As(err, &am):
				if !strings.HasPrefix(am.Want, "sha256:") || !strings.Contains(am.Got, "sha256:") {
					t.Errorf("artifact mismatch %+v", am)
				}
			}
		})
	}
}

// TestRoundTripUntrustedChainOnly: the TSA is trusted but the CA is not.
func TestRoundTripUntrustedChain(t *testing.T) {
	t.Parallel()
	e := newEmbedded(t, time.Now)
	b := e.sign(t, rtArtifact)
	other, err := ca.New(ca.WithSubjectDomain(rtIssuer, "https://ci.example"))
	if err != nil {
		t.Fatal(err)
	}
	trJSON, err := attest.NewTrustedRoot().AddEmbeddedCA("https://ca.example", other).AddEmbeddedTSA("https://tsa.example", e.tsa).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	tm, err := verify.ParseTrustedRoot(trJSON)
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.New(tm, rtExpectation(), privateOpts...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(t.Context(), b, verify.ArtifactBytes(rtArtifact)); !errors.Is(err, verify.ErrUntrustedChain) {
		t.Fatalf("want ErrUntrustedChain, got %v", err)
	}
}

// TestRoundTripKeySigners: every key kind attest signs with verifies with a
// PublicKey expectation, and only with its own key.
func TestRoundTripKeySigners(t *testing.T) {
	t.Parallel()
	e := newEmbedded(t, time.Now)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	tests := []struct {
		name string
		key  crypto.Signer
	}{
		{"ecdsa-p256", p256},
		{"ecdsa-p384", p384},
		{"ed25519", ed},
		{"rsa-2048", rsaKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := attest.NewKeySigner(tt.key, attest.WithEmbeddedTimestampAuthority(e.tsa.Handler()))
			if err != nil {
				t.Fatal(err)
			}
			b, err := attest.Sign(t.Context(), s, rtStatement(t, rtArtifact))
			if err != nil {
				t.Fatal(err)
			}
			x := rtExpectation()
			x.Signer = verify.PublicKey{Key: tt.key.Public()}
			v, err := verify.New(e.trust, x, privateOpts...)
			if err != nil {
				t.Fatal(err)
			}
			res, err := v.Verify(t.Context(), b, verify.ArtifactBytes(rtArtifact))
			if err != nil {
				t.Fatal(err)
			}
			if res.Signer.Kind != verify.SignerKey {
				t.Errorf("signer = %+v", res.Signer)
			}
			// Another key: refused.
			k2, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			x.Signer = verify.PublicKey{Key: k2.Public()}
			v2, err := verify.New(e.trust, x, privateOpts...)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v2.Verify(t.Context(), b, verify.ArtifactBytes(rtArtifact)); !errors.Is(err, verify.ErrSignature) {
				t.Errorf("other key: want ErrSignature, got %v", err)
			}
			// An identity expectation: refused, a key is not an identity.
			x.Signer = verify.Identity{SAN: rtSubject, Issuer: rtIssuer}
			v3, err := verify.New(e.trust, x, privateOpts...)
			if err != nil {
				t.Fatal(err)
			}
			var im *verify.IdentityMismatchError
			if _, err := v3.Verify(t.Context(), b, verify.ArtifactBytes(rtArtifact)); !errors.As(err, &im) || im.Field != "signer-kind" {
				t.Errorf("identity expected: want signer-kind mismatch, got %v", err)
			}
		})
	}
}

func TestExpectationRequired(t *testing.T) {
	t.Parallel()
	e := newEmbedded(t, time.Now)
	tests := []struct {
		name   string
		expect verify.Expectation
		opts   []verify.Option
		ok     bool
		config bool // the option, not the expectation, is at fault: ErrConfig
	}{
		{name: "no signer", expect: verify.Expectation{PredicateType: attest.PredicateSLSAProvenanceV1}},
		{name: "no signer, unsafe", expect: verify.Expectation{PredicateType: attest.PredicateSLSAProvenanceV1}, opts: []verify.Option{verify.WithAnySignerUnsafe()}, ok: true},
		{name: "SAN without issuer", expect: verify.Expectation{Signer: verify.Identity{SAN: rtSubject}}},
		{name: "SAN and regexp", expect: verify.Expectation{Signer: verify.Identity{SAN: rtSubject, SANRegexp: ".*", Issuer: rtIssuer}}},
		{name: "bad regexp", expect: verify.Expectation{Signer: verify.Identity{SANRegexp: "(", Issuer: rtIssuer}}},
		{name: "nil key", expect: verify.Expectation{Signer: verify.PublicKey{}}},
		{name: "provenance without SLSA predicate type", expect: verify.Expectation{Signer: verify.Identity{SAN: rtSubject, Issuer: rtIssuer}, Provenance: &verify.Provenance{BuilderID: "x"}}},
		{name: "provenance without builder", expect: verify.Expectation{Signer: verify.Identity{SAN: rtSubject, Issuer: rtIssuer}, PredicateType: attest.PredicateSLSAProvenanceV1, Provenance: &verify.Provenance{}}},
		{name: "negative threshold", expect: rtExpectation(), opts: []verify.Option{verify.WithTlogThreshold(-1)}, config: true},
		{name: "nil option", expect: rtExpectation(), opts: []verify.Option{nil}, config: true},
		{name: "nil logger", expect: rtExpectation(), opts: []verify.Option{verify.WithLogger(nil)}, config: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := verify.New(e.trust, tt.expect, tt.opts...)
			if tt.ok != (err == nil) {
				t.Fatalf("ok=%v, err=%v", tt.ok, err)
			}
			if err != nil && (!errors.Is(err, verify.ErrInvalidExpectation) || !errors.Is(err, verify.ErrVerification)) {
				t.Fatalf("want ErrInvalidExpectation, got %v", err)
			}
			if errors.Is(err, verify.ErrConfig) != tt.config {
				t.Fatalf("errors.Is(%v, ErrConfig) = %v, want %v", err, !tt.config, tt.config)
			}
		})
	}
	// An empty predicate type admits only message signatures.
	v, err := verify.New(e.trust, verify.Expectation{Signer: verify.Identity{SAN: rtSubject, Issuer: rtIssuer}}, privateOpts...)
	if err != nil {
		t.Fatal(err)
	}
	var pm *verify.PredicateTypeMismatchError
	if _, err := v.Verify(t.Context(), e.sign(t, rtArtifact), verify.ArtifactBytes(rtArtifact)); !errors.As(err, &pm) || pm.Got != attest.PredicateSLSAProvenanceV1 {
		t.Fatalf("want predicate type mismatch, got %v", err)
	}
}
