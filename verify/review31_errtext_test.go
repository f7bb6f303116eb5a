package verify_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/verify"
)

// review31Sign signs rtStatement with a certificate made from tmpl by a
// private CA and TSA. The trust returned holds that TSA and, with
// otherCA, another CA than the one that issued the certificate.
func review31Sign(t *testing.T, tmpl func() *x509.Certificate, otherCA bool) ([]byte, *verify.Trust) {
	t.Helper()
	newCA := func() (*ecdsa.PrivateKey, *x509.Certificate, *ca.CA) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		rootCert, err := ca.NewRootCertificate(k, "template CA", time.Now().Add(-time.Hour), 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		c, err := ca.New(ca.WithSubjectDomain(rtIssuer, "https://ci.example"), ca.WithSigner(k, rootCert))
		if err != nil {
			t.Fatal(err)
		}
		return k, rootCert, c
	}
	k, rootCert, c := newCA()
	if otherCA {
		_, _, c = newCA()
	}
	a, err := tsa.New()
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
	s, err := attest.NewCASigner(templateIssuer{key: k, root: rootCert, tmpl: tmpl}, attest.WithEmbeddedTimestampAuthority(a.Handler()))
	if err != nil {
		t.Fatal(err)
	}
	b, err := attest.Sign(context.Background(), s, rtStatement(t, rtArtifact))
	if err != nil {
		t.Fatal(err)
	}
	return b, trust
}

// review31Payload replaces the DSSE payload of bundle b (its signature no
// longer verifies).
func review31Payload(t *testing.T, b []byte, payload string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	env, ok := m["dsseEnvelope"].(map[string]any)
	if !ok {
		t.Fatal("no DSSE envelope")
	}
	env["payload"] = base64.StdEncoding.EncodeToString([]byte(payload))
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// review31Bound is how much text a refusal may carry: room for the
// expectation and a clipped value or two, not for what a certificate or a
// statement carries.
const review31Bound = 4 << 10

// review31CheckText fails when text is longer than review31Bound or holds
// a control character (a terminal escape, a forged log line).
func review31CheckText(t *testing.T, what, text string) {
	t.Helper()
	if len(text) > review31Bound {
		t.Errorf("%s is %d bytes (limit %d): %.200q…", what, len(text), review31Bound, text)
	}
	if i := strings.IndexFunc(text, func(r rune) bool { return r < 0x20 || r == 0x7f }); i >= 0 {
		t.Errorf("%s holds a control character at %d: %.200q", what, i, text[max(0, i-40):])
	}
}

// TestReview31ErrorTextBounded: the values a certificate, a statement or a
// bundle carries were repeated whole in refusals — the SAN, the OIDC
// issuer, a Fulcio claim, a deprecated extension's raw bytes
// (*IdentityMismatchError), the subjects of an unverified statement
// (*ArtifactMismatchError, written out raw), the SAN of a certificate that
// does not chain (written out raw) — and in the debug log and audit event
// of a verified bundle (its signer). A CA that certifies what it is told
// (a private Fulcio, another tenant's CA), or anyone at all for an
// untrusted certificate or a statement whose signature fails, put
// megabytes or terminal escapes into every log and audit event a refusal
// reaches. Each value is now clipped, and quoted unless printable ASCII;
// the error fields keep the whole value for code.
func TestReview31ErrorTextBounded(t *testing.T) {
	t.Parallel()
	const esc = "\x1b[2J\nlevel=INFO msg=verified "
	long := strings.Repeat("a", 64<<10)
	good, err := url.Parse(rtSubject)
	if err != nil {
		t.Fatal(err)
	}
	longURI, err := url.Parse("https://ci.example/" + long)
	if err != nil {
		t.Fatal(err)
	}
	v2 := utf8Extension(t, ca.OIDIssuerV2, rtIssuer)
	cert := func(uris []*url.URL, emails []string, exts ...pkix.Extension) func() *x509.Certificate {
		return func() *x509.Certificate {
			return &x509.Certificate{URIs: uris, EmailAddresses: emails, ExtraExtensions: exts}
		}
	}
	exact := verify.Identity{SAN: rtSubject, Issuer: rtIssuer}
	sourceRef := asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 14}
	tests := []struct {
		name     string
		tmpl     func() *x509.Certificate
		otherCA  bool
		payload  string // replaces the signed statement, if set
		signer   verify.Identity
		want     error
		mismatch string // the *IdentityMismatchError field, if one
	}{
		{name: "long SAN", tmpl: cert([]*url.URL{longURI}, nil, v2), signer: exact, want: verify.ErrIdentityMismatch, mismatch: "san"},
		{name: "long SAN, regexp", tmpl: cert([]*url.URL{longURI}, nil, v2), signer: verify.Identity{SANRegexp: "https://ci\\.example/x.*", Issuer: rtIssuer},
			want: verify.ErrIdentityMismatch, mismatch: "san"},
		{name: "long issuer with escapes", tmpl: cert([]*url.URL{good}, nil, utf8Extension(t, ca.OIDIssuerV2, rtIssuer+esc+long)), signer: exact,
			want: verify.ErrIdentityMismatch, mismatch: "issuer"},
		{name: "long claim with escapes", tmpl: cert([]*url.URL{good}, nil, v2, utf8Extension(t, sourceRef, "refs/heads/"+esc+long)),
			signer: verify.Identity{SAN: rtSubject, Issuer: rtIssuer, Claims: verify.Claims{SourceRepositoryRef: "refs/heads/main"}},
			want:   verify.ErrIdentityMismatch, mismatch: "sourceRepositoryRef"},
		{name: "deprecated issuer differs, long with escapes", tmpl: cert([]*url.URL{good}, nil, v2, pkix.Extension{Id: ca.OIDIssuer, Value: []byte(esc + long)}),
			signer: exact, want: verify.ErrIdentityMismatch, mismatch: "issuer"},
		{name: "email SAN of another type, with escapes", tmpl: cert(nil, []string{esc + long + "@example.com"}, v2), signer: exact,
			want: verify.ErrIdentityMismatch, mismatch: "san-type"},
		{name: "untrusted certificate, SAN with escapes", tmpl: cert(nil, []string{esc + long + "@example.com"}, v2), otherCA: true, signer: exact,
			want: verify.ErrUntrustedChain},
		{name: "unverified statement, subject with escapes", tmpl: cert([]*url.URL{good}, nil, v2), signer: exact, want: verify.ErrSignature,
			payload: `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"x","digest":{"sha1":"` + strings.ReplaceAll(esc, "\n", `\n`) + long +
				`","sha256":"00"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, trust := review31Sign(t, tt.tmpl, tt.otherCA)
			if tt.payload != "" {
				b = review31Payload(t, b, strings.ReplaceAll(tt.payload, "\x1b", `\u001b`))
			}
			rec := audittest.NewRecorder()
			var logged bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug}))
			v, err := verify.New(trust, verify.Expectation{Signer: tt.signer, PredicateType: attest.PredicateSLSAProvenanceV1},
				append(privateOpts, verify.WithAudit(rec, "gate-1"), verify.WithLogger(logger))...)
			if err != nil {
				t.Fatal(err)
			}
			_, err = v.Verify(t.Context(), b, verify.ArtifactBytes(rtArtifact))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify: %.300v, want %v", err, tt.want)
			}
			if tt.mismatch != "" {
				var im *verify.IdentityMismatchError
				if !errors.As(err, &im) || im.Field != tt.mismatch {
					t.Fatalf("Verify: %.300v, want an *IdentityMismatchError on %s", err, tt.mismatch)
				}
			}
			review31CheckText(t, "error", err.Error())
			review31CheckText(t, "log", strings.TrimSuffix(logged.String(), "\n"))
			for _, ev := range rec.Events() {
				review31CheckText(t, "audit reason", ev.Reason)
			}
		})
	}
}

// TestReview31VerifiedSignerBounded: a verified signer's SAN (here 64 KiB,
// which an identity regexp admits) was written whole into the debug log and
// the audit event of every verification.
func TestReview31VerifiedSignerBounded(t *testing.T) {
	t.Parallel()
	longURI, err := url.Parse("https://ci.example/" + strings.Repeat("a", 64<<10))
	if err != nil {
		t.Fatal(err)
	}
	b, trust := review31Sign(t, func() *x509.Certificate {
		return &x509.Certificate{URIs: []*url.URL{longURI}, ExtraExtensions: []pkix.Extension{utf8Extension(t, ca.OIDIssuerV2, rtIssuer)}}
	}, false)
	rec := audittest.NewRecorder()
	var logged bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug}))
	v, err := verify.New(trust, verify.Expectation{Signer: verify.Identity{SANRegexp: "https://ci\\.example/a+", Issuer: rtIssuer},
		PredicateType: attest.PredicateSLSAProvenanceV1}, append(privateOpts, verify.WithAudit(rec, "gate-1"), verify.WithLogger(logger))...)
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.Verify(t.Context(), b, verify.ArtifactBytes(rtArtifact))
	if err != nil {
		t.Fatalf("Verify: %.300v", err)
	}
	if res.Signer.SAN != longURI.String() {
		t.Error("the Result does not keep the whole SAN")
	}
	review31CheckText(t, "log", strings.TrimSuffix(logged.String(), "\n"))
	evs := rec.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	for k, a := range evs[0].Attributes {
		review31CheckText(t, "audit attribute "+k, a)
	}
}

// TestReview31ResultStringBounded: Result.String, written for a human
// (a terminal), repeated the certificate's claims raw: a claim holding a
// terminal escape reached the terminal.
func TestReview31ResultStringBounded(t *testing.T) {
	t.Parallel()
	const esc = "\x1b[2J\x1b]0;owned\x07"
	r := &verify.Result{Artifact: "sha256:00", Signer: verify.SignerInfo{Kind: verify.SignerCertificate,
		SAN: rtSubject + strings.Repeat("a", 64<<10), Issuer: rtIssuer + esc,
		Claims: verify.Claims{SourceRepositoryRef: "refs/heads/" + esc + strings.Repeat("b", 64<<10)}}}
	for line := range strings.Lines(r.String()) {
		review31CheckText(t, "Result.String line", strings.TrimSuffix(line, "\n"))
	}
}

// TestReview31ExpectationTextBounded: what an expectation says (a tenant's
// regexp, an externalParameters path, a digest string taken from a
// request) was repeated whole when refused, and a regexp's own parse error
// repeats it again.
func TestReview31ExpectationTextBounded(t *testing.T) {
	t.Parallel()
	huge := "\x1b[2J(" + strings.Repeat("a", 64<<10)
	trust, err := verify.PublicGood()
	if err != nil {
		t.Fatal(err)
	}
	st, err := attest.ParseStatement(mustStatementJSON(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{name: "SAN regexp", want: verify.ErrInvalidExpectation, run: func() error {
			_, err := verify.New(trust, verify.Expectation{Signer: verify.Identity{SANRegexp: huge, Issuer: rtIssuer}})
			return err
		}},
		{name: "issuer regexp", want: verify.ErrInvalidExpectation, run: func() error {
			_, err := verify.New(trust, verify.Expectation{Signer: verify.Identity{SAN: rtSubject, IssuerRegexp: huge}})
			return err
		}},
		{name: "provenance without its predicate type", want: verify.ErrInvalidExpectation, run: func() error {
			_, err := verify.New(trust, verify.Expectation{Signer: verify.Identity{SAN: rtSubject, Issuer: rtIssuer}, PredicateType: huge,
				Provenance: &verify.Provenance{BuilderID: rtBuilder}})
			return err
		}},
		{name: "source version tag", want: verify.ErrInvalidExpectation, run: func() error {
			_, err := verify.CheckProvenance(st, verify.Provenance{BuilderID: rtBuilder, SourceVersionTag: huge})
			return err
		}},
		{name: "externalParameters path", want: verify.ErrProvenanceMismatch, run: func() error {
			_, err := verify.CheckProvenance(st, verify.Provenance{BuilderID: rtBuilder, ExternalParameters: map[string]any{huge: "x"}})
			return err
		}},
		{name: "digest", want: verify.ErrInvalidExpectation, run: func() error {
			_, err := verify.ParseArtifactDigest("sha256:" + huge)
			return err
		}},
		{name: "digest algorithm", want: verify.ErrInvalidExpectation, run: func() error {
			_, err := verify.ParseArtifactDigest(huge + ":00")
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.run()
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %.300v, want %v", err, tt.want)
			}
			review31CheckText(t, "error", err.Error())
		})
	}
}

func mustStatementJSON(t *testing.T) []byte {
	t.Helper()
	b, err := json.Marshal(rtStatement(t, rtArtifact))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReview31TamperedStatementIsSignature: a statement changed after
// signing, to name another artifact, was refused as an artifact mismatch
// (the everyday "wrong file" error), read from the tampered payload, and
// errors.Is(err, ErrSignature) did not hold: a forged attestation passed
// for a benign mismatch in every alert and audit category. A payload whose
// signature does not verify is now ErrSignature, and only a signed
// statement naming another artifact is an artifact mismatch.
func TestReview31TamperedStatementIsSignature(t *testing.T) {
	t.Parallel()
	good, err := url.Parse(rtSubject)
	if err != nil {
		t.Fatal(err)
	}
	b, trust := review31Sign(t, func() *x509.Certificate {
		return &x509.Certificate{URIs: []*url.URL{good}, ExtraExtensions: []pkix.Extension{utf8Extension(t, ca.OIDIssuerV2, rtIssuer)}}
	}, false)
	other := []byte("other artifact")
	otherStatement, err := json.Marshal(rtStatement(t, other))
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.New(trust, verify.Expectation{Signer: verify.Identity{SAN: rtSubject, Issuer: rtIssuer}, PredicateType: attest.PredicateSLSAProvenanceV1}, privateOpts...)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		bundle        []byte
		artifact      []byte
		want, wantNot error
	}{
		{name: "control: signed statement, another artifact", bundle: b, artifact: other, want: verify.ErrArtifactMismatch, wantNot: verify.ErrSignature},
		{name: "statement changed to name the artifact given", bundle: review31Payload(t, b, string(otherStatement)), artifact: other,
			want: verify.ErrSignature, wantNot: verify.ErrArtifactMismatch},
		{name: "statement changed to name another artifact", bundle: review31Payload(t, b, string(otherStatement)), artifact: rtArtifact,
			want: verify.ErrSignature, wantNot: verify.ErrArtifactMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := v.Verify(t.Context(), tt.bundle, verify.ArtifactBytes(tt.artifact))
			if !errors.Is(err, tt.want) || errors.Is(err, tt.wantNot) {
				t.Fatalf("Verify: %.300v, want %v and not %v", err, tt.want, tt.wantNot)
			}
		})
	}
}

// TestReview31TypedErrorTextBounded: the typed errors wrote Want and Got
// out whole, and *ArtifactMismatchError unquoted: a signed statement's
// subjects (sigstore-go compares them before attest's strict parser reads
// the statement), a predicate type or a provenance field reached logs and
// audit events at any length, with any control character.
func TestReview31TypedErrorTextBounded(t *testing.T) {
	t.Parallel()
	hostile := "\x1b[2J\nlevel=INFO msg=verified " + strings.Repeat("a", 64<<10)
	for _, err := range []error{
		&verify.IdentityMismatchError{Field: "san", Want: rtSubject, Got: hostile},
		&verify.ArtifactMismatchError{Want: "sha256:00", Got: "sha256:" + hostile},
		&verify.PredicateTypeMismatchError{Want: attest.PredicateSLSAProvenanceV1, Got: hostile},
		&verify.ProvenanceMismatchError{Field: "builder.id", Want: rtBuilder, Got: hostile},
		&verify.ProvenanceMismatchError{Field: "externalParameters." + hostile, Want: `"x"`, Got: "null"},
	} {
		if !errors.Is(err, verify.ErrVerification) {
			t.Fatalf("%T is not an ErrVerification", err)
		}
		review31CheckText(t, fmt.Sprintf("%T", err), err.Error())
	}
}
