package verify

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/internal/clip"
)

// Verifier checks Sigstore bundles against fixed trust material and a fixed
// Expectation. It is safe for concurrent use; it makes no network calls.
type Verifier struct {
	trust   root.TrustedMaterial
	expect  Expectation
	cfg     config
	certV   *sgverify.Verifier // for certificate bundles
	keyV    *sgverify.Verifier // for keyed bundles
	sanRe   *regexp.Regexp
	issRe   *regexp.Regexp
	cache   *resultCache // per Verifier: the expectation is fixed
	keyOnly bool
	// scopes verify under one root each when the trust merges several
	// (see NewTrust); empty otherwise.
	scopes []scope
	// keyHint is the pinned key's fingerprint (a PublicKey expectation):
	// the hint a keyed result reports, whatever hint the bundle carries.
	keyHint string
}

// New builds a Verifier. trust is the trust material (PublicGood,
// ParseTrustedRoot, a *Trust combining several, or any sigstore-go
// root.TrustedMaterial); expect says what must be true of every bundle.
// A missing signer expectation is refused (ErrInvalidExpectation) unless
// WithAnySignerUnsafe is given.
func New(trust root.TrustedMaterial, expect Expectation, opts ...Option) (*Verifier, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil Option", ErrConfig)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if err := cfg.checkAudit(); err != nil {
		return nil, err
	}
	if trust == nil {
		return nil, fmt.Errorf("%w: nil trust material", ErrInvalidExpectation)
	}
	// A plain trusted root is static: give it the chain memo.
	if tr, ok := trust.(*root.TrustedRoot); ok {
		if tr == nil {
			return nil, fmt.Errorf("%w: nil trusted root", ErrInvalidExpectation)
		}
		t, err := NewTrust(tr)
		if err != nil {
			return nil, err
		}
		trust = t
	}
	merged, _ := trust.(*Trust)
	if _, static := trust.(*Trust); cfg.cacheSize > 0 && !static {
		// A cached result outlives the material it was verified under: a
		// refreshing root (root.LiveTrustedRoot) that drops a compromised
		// CA or log would still be answered from the cache.
		return nil, fmt.Errorf("%w: WithResultCache needs static trust material (a *root.TrustedRoot or a *Trust from NewTrust), got %T; "+
			"rebuild the Verifier when a refreshing root changes (verify/tuf's Live)", ErrConfig, trust)
	}
	if cfg.cacheSize > 0 && expect.Signer == nil && !staticKeys(trust) {
		// Without a signer expectation the material's keys decide a keyed
		// bundle, and a Trust cannot copy those (see Trust).
		return nil, fmt.Errorf("%w: WithResultCache with WithAnySignerUnsafe needs trust whose public keys are static "+
			"(a *Trust built only from *root.TrustedRoot); this Trust asks other material for keys on every call", ErrConfig)
	}
	v := &Verifier{expect: expect, cfg: cfg}
	switch s := expect.Signer.(type) {
	case nil:
		if !cfg.anySigner {
			return nil, fmt.Errorf("%w: no signer expectation (Identity or PublicKey); refusing to verify without one unless WithAnySignerUnsafe", ErrInvalidExpectation)
		}
	case Identity:
		if err := s.validate(); err != nil {
			return nil, err
		}
		if s.SANRegexp != "" {
			v.sanRe = regexp.MustCompile(anchor(s.SANRegexp))
		}
		if s.IssuerRegexp != "" {
			v.issRe = regexp.MustCompile(anchor(s.IssuerRegexp))
		}
	case PublicKey:
		if err := s.validate(); err != nil {
			return nil, err
		}
		sv, err := s.verifier()
		if err != nil {
			return nil, fmt.Errorf("%w: public key: %v", ErrInvalidExpectation, err)
		}
		trust = &keyTrust{TrustedMaterial: trust, key: root.NewExpiringKey(sv, time.Time{}, time.Time{})}
		v.keyOnly = true
		if v.keyHint, err = KeyFingerprint(s.Key); err != nil {
			return nil, fmt.Errorf("%w: public key: %v", ErrInvalidExpectation, err)
		}
	default:
		return nil, fmt.Errorf("%w: unknown signer expectation %T", ErrInvalidExpectation, s)
	}
	if expect.Provenance != nil {
		if expect.PredicateType != attest.PredicateSLSAProvenanceV1 {
			return nil, fmt.Errorf("%w: a Provenance expectation needs PredicateType %q, got %s", ErrInvalidExpectation, attest.PredicateSLSAProvenanceV1, clip.Quote(expect.PredicateType, maxValueText))
		}
		if err := expect.Provenance.validate(); err != nil {
			return nil, err
		}
	}
	v.trust = trust

	// We read the statement from the verified payload ourselves (attest's
	// strict parser), so sigstore-go need not materialize the predicate.
	base := []sgverify.VerifierOption{sgverify.WithObserverTimestamps(cfg.observer), sgverify.WithoutStatementPredicate()}
	if cfg.tlog > 0 {
		base = append(base, sgverify.WithTransparencyLog(cfg.tlog))
	}
	if cfg.signed > 0 {
		base = append(base, sgverify.WithSignedTimestamps(cfg.signed))
	}
	var err error
	if v.keyV, err = sgverify.NewVerifier(trust, base...); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidExpectation, err)
	}
	certOpts := base
	if cfg.sct > 0 {
		certOpts = append(append([]sgverify.VerifierOption{}, base...), sgverify.WithSignedCertificateTimestamps(cfg.sct))
	}
	if v.certV, err = sgverify.NewVerifier(trust, certOpts...); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidExpectation, err)
	}
	if merged != nil {
		for _, p := range merged.parts {
			sc := scope{part: p, trust: p}
			if kt, ok := trust.(*keyTrust); ok {
				sc.trust = &keyTrust{TrustedMaterial: p, key: kt.key}
			}
			if sc.certV, err = sgverify.NewVerifier(sc.trust, certOpts...); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrInvalidExpectation, err)
			}
			v.scopes = append(v.scopes, sc)
		}
	}
	if cfg.cacheSize > 0 {
		v.cache = newResultCache(cfg.cacheSize)
	}
	return v, nil
}

// PinnedKey returns the KeyFingerprint of the key a PublicKey expectation
// pins, and false for any other expectation. Every keyed Result of this
// Verifier names that key (SignerInfo.KeyHint and KeyFingerprint), so
// that code counting signers across Verifiers (verify/image's k-of-n) can
// count a key once, however many Verifiers pin it.
func (v *Verifier) PinnedKey() (fingerprint string, ok bool) { return v.keyHint, v.keyOnly }

// scope is one root of a merged Trust with the verifiers built on it.
type scope struct {
	part  *Trust
	trust root.TrustedMaterial // part, or part behind the pinned key
	certV *sgverify.Verifier
}

// keyTrust answers PublicKeyVerifier with the expected key only, whatever
// keys the underlying material holds.
type keyTrust struct {
	root.TrustedMaterial
	key root.TimeConstrainedVerifier
}

func (k *keyTrust) PublicKeyVerifier(string) (root.TimeConstrainedVerifier, error) { return k.key, nil }

// Verify checks one bundle (protobuf-JSON, v0.1 to v0.3) against the trust
// material, the Verifier's Expectation and the artifact. It returns a Result
// only when every check passed; otherwise an error matching ErrVerification
// and one category sentinel. ctx is checked before the work starts (the
// verification itself is CPU-bound and makes no calls out). With
// WithResultCache, a Result may be shared between calls: treat it as
// read-only.
//
// With WithAudit, every call is audited, success or failure, and a call
// whose event the sink does not accept fails with ErrAudit, whatever the
// bundle: a verification that leaves no trail does not count.
func (v *Verifier) Verify(ctx context.Context, bundleJSON []byte, artifact Artifact) (*Result, error) {
	return v.verifyAudited(ctx, bundleJSON, artifact, nil)
}

// VerifyChecked is Verify with one more check, the caller's own, of what
// only the verified bundle tells (verify/blob compares a statement's
// subjects with the other digests of the artifact): check runs on the
// Result once every check of Verify passed, and before the audit event is
// written, so that a Result check refuses is audited as the failure it is,
// never as a success. An error from check fails the call (it is wrapped to
// match ErrVerification if it does not already). The Result may be shared
// (WithResultCache): check must not change it. A nil check is refused.
func (v *Verifier) VerifyChecked(ctx context.Context, bundleJSON []byte, artifact Artifact, check func(*Result) error) (*Result, error) {
	if check == nil {
		check = func(*Result) error { return fmt.Errorf("%w: VerifyChecked with a nil check", ErrInvalidExpectation) }
	}
	return v.verifyAudited(ctx, bundleJSON, artifact, check)
}

// Refuse records a verification the caller refused before it could call
// Verify — a wrapper's own check of its input, such as verify/blob's of a
// log entry that does not log the artifact — and returns the error to deny
// with. With WithAudit, the event has Verify's shape: outcome failure,
// err's category and clipped text, artifact as the resource ("sha256:<hex>",
// as Result.Artifact names it; "" when unknown). When the sink does not
// accept the event, Refuse returns an ErrAudit instead, as Verify does;
// without WithAudit it returns err. The error returned always matches
// ErrVerification (a nil err becomes one: a refusal still denies).
func (v *Verifier) Refuse(ctx context.Context, artifact string, err error) error {
	switch {
	case err == nil:
		err = stageErr(ErrVerification, "refused", nil)
	case !errors.Is(err, ErrVerification):
		err = stageErr(ErrVerification, "refused", err)
	}
	if v.cfg.audit == nil {
		return err
	}
	out := outcome{artifact: clipText(artifact, maxRefusedArtifact)}
	if aerr := v.cfg.audit.sink.Write(ctx, v.auditEvent(time.Now(), out, err)); aerr != nil {
		return stageErr(ErrAudit, "verification of "+out.artifact, aerr)
	}
	return err
}

// maxRefusedArtifact bounds the artifact name Refuse writes in an event:
// "sha512:<128 hex>" is 135 bytes.
const maxRefusedArtifact = 160

// verifyAudited is Verify, then check (if not nil) on its Result, then
// the audit event for the whole.
func (v *Verifier) verifyAudited(ctx context.Context, bundleJSON []byte, artifact Artifact, check func(*Result) error) (*Result, error) {
	start := time.Now()
	out, err := v.verifyBundle(ctx, bundleJSON, artifact)
	if err == nil && check != nil {
		if err = check(out.res); err != nil {
			out.res = nil
			if !errors.Is(err, ErrVerification) {
				err = stageErr(ErrVerification, "caller's check", err)
			}
		}
	}
	if v.cfg.audit == nil {
		return out.res, err
	}
	if aerr := v.cfg.audit.sink.Write(ctx, v.auditEvent(start, out, err)); aerr != nil {
		return nil, stageErr(ErrAudit, "verification of "+out.artifact, aerr)
	}
	return out.res, err
}

// outcome is what verifyBundle established, for the caller and its audit
// event.
type outcome struct {
	res      *Result
	artifact string // the digest checked against; "" if it could not be hashed
	cached   bool   // res came from the result cache
}

// verifyBundle is Verify without the audit.
func (v *Verifier) verifyBundle(ctx context.Context, bundleJSON []byte, artifact Artifact) (outcome, error) {
	if err := ctx.Err(); err != nil {
		return outcome{}, stageErr(ErrVerification, "cancelled", err)
	}
	if len(bundleJSON) > v.cfg.maxBundleBytes {
		return outcome{}, stageErr(ErrMalformedBundle, fmt.Sprintf("bundle is %d bytes, limit %d", len(bundleJSON), v.cfg.maxBundleBytes), nil)
	}
	prep, err := artifact.prepare()
	if err != nil {
		return outcome{}, err
	}
	out := outcome{artifact: prep.primary.String()}
	if v.cache != nil {
		if r, ok := v.cache.get(prep.cacheKey(), bundleJSON); ok {
			out.res, out.cached = r, true
			return out, nil
		}
	}
	out.res, err = v.verifyUncached(ctx, bundleJSON, artifact, prep)
	return out, err
}

func (v *Verifier) verifyUncached(ctx context.Context, bundleJSON []byte, artifact Artifact, prep prepared) (*Result, error) {
	b, err := parseBundle(bundleJSON)
	if err != nil {
		return nil, err
	}
	sc, err := b.SignatureContent()
	if err != nil {
		return nil, stageErr(ErrMalformedBundle, "signature content", err)
	}
	// Pick the digest algorithm the bundle needs (unverified input, used
	// only to choose how to hash the artifact).
	alg := "sha256"
	var envPayload []byte
	if msg := sc.MessageSignatureContent(); msg != nil {
		if alg = hashName(msg.DigestAlgorithm()); alg == "" {
			// Read as sha256, a digest labelled SHA3 or unspecified
			// verified for a sha256 ArtifactDigest, while sigstore-go
			// refuses the label when it hashes the artifact's bytes.
			return nil, stageErr(ErrMalformedBundle, fmt.Sprintf("message digest algorithm %.40q: want SHA2_256, SHA2_384 or SHA2_512", msg.DigestAlgorithm()), nil)
		}
	} else if env := sc.EnvelopeContent(); env != nil {
		// Only an in-toto statement is read here; say so rather than let
		// sigstore-go's refusal pass for a bad signature.
		if pt := env.RawEnvelope().PayloadType; pt != attest.PayloadType {
			return nil, stageErr(ErrMalformedBundle, fmt.Sprintf("DSSE payloadType %.100q, want %q", pt, attest.PayloadType), nil)
		}
		envPayload, err = env.RawEnvelope().DecodeB64Payload()
		if err != nil {
			return nil, stageErr(ErrMalformedBundle, "DSSE payload base64", err)
		}
		if err := checkMembers(envPayload, statementNames...); err != nil {
			return nil, stageErr(ErrMalformedBundle, "in-toto statement JSON", err)
		}
		switch {
		case artifact.r != nil:
			// A stream is hashed once: pick the subjects' algorithm. Bytes
			// are hashed by sigstore-go as each subject needs.
			alg = subjectAlg(envPayload)
		case artifact.digest != nil:
			// A digest is compared with the subjects' digests in its own
			// algorithm: a sha384 or sha512 digest has no sha256 to offer.
			alg = artifact.alg
		}
	}
	art, ok := prep.in(alg)
	if !ok {
		return nil, &ArtifactMismatchError{Want: art.String(), Got: "a " + alg + " digest"}
	}
	res, err := v.verify(b, sc, envPayload, art, prep)
	if err != nil {
		v.cfg.logger.DebugContext(ctx, "verify: bundle rejected", slog.String("artifact", art.String()), slog.String("error", err.Error()))
		return nil, err
	}
	if v.cache != nil {
		v.cache.put(prep.cacheKey(), bundleJSON, res)
	}
	v.cfg.logger.DebugContext(ctx, "verify: bundle verified", slog.String("artifact", art.String()), slog.String("signer", clipText(res.Signer.String(), maxValueText)))
	return res, nil
}

func (v *Verifier) verify(b *bundle.Bundle, sc sgverify.SignatureContent, envPayload []byte, art resolved, prep prepared) (*Result, error) {
	vc, err := b.VerificationContent()
	if err != nil {
		return nil, stageErr(ErrMalformedBundle, "verification material", err)
	}
	certBundle := vc.Certificate() != nil
	if err := v.checkSignerKind(certBundle); err != nil {
		return nil, err
	}
	sv := v.keyV
	polOpt := sgverify.WithKey()
	if certBundle {
		sv = v.certV
		polOpt = sgverify.WithoutIdentitiesUnsafe() // we match the identity ourselves, with want/got errors
	}
	// A fresh policy per verification: an artifact reader is consumed.
	policy := func() sgverify.PolicyBuilder {
		if art.data != nil {
			return sgverify.NewPolicy(sgverify.WithArtifact(bytes.NewReader(art.data)), polOpt)
		}
		return sgverify.NewPolicy(sgverify.WithArtifactDigest(art.alg, art.digest), polOpt)
	}
	if err := checkLogKeys(v.trust, b.GetVerificationMaterial().GetTlogEntries()); err != nil {
		return nil, err
	}
	ent := &parsedEntity{Bundle: b, vc: vc, sc: sc}
	tm := v.trust
	var raw *sgverify.VerificationResult
	if certBundle && len(v.scopes) > 0 {
		// Keyed bundles stay on the merged material: a keys-only
		// material (root.TrustedPublicKeyMaterial) has no TSA or log of
		// its own and relies on another root's.
		raw, sv, tm, err = v.verifyScoped(ent, vc, policy)
	} else {
		raw, err = sv.Verify(ent, policy())
	}
	if err != nil {
		return nil, v.classify(sv, tm, ent, vc, sc, envPayload, art, prep, err)
	}
	if v.cfg.tlog > 0 {
		if err := checkLogWindows(tm, b.GetVerificationMaterial().GetTlogEntries(), raw.VerifiedTimestamps); err != nil {
			return nil, err
		}
	}

	res := &Result{Artifact: art.String(), Checks: []string{CheckBundle}}
	res.MediaType = b.MediaType
	if v.cfg.tlog > 0 {
		res.Checks = append(res.Checks, CheckTlog)
	}
	res.Checks = append(res.Checks, CheckTimestamp)
	for _, ts := range raw.VerifiedTimestamps {
		by := TimeByTlog
		if ts.Type == "TimestampAuthority" {
			by = TimeByTSA
		}
		pt := ProvenTime{Time: ts.Timestamp.UTC(), By: by, URI: ts.URI}
		if !slices.Contains(res.Times, pt) { // signed and observer thresholds report a TSA time twice
			res.Times = append(res.Times, pt)
		}
	}
	if raw.Signature != nil && raw.Signature.Certificate != nil {
		// The certificate must name one signer, however it is read: one
		// SAN, and deprecated Fulcio extensions that agree with their
		// replacements (see checkOneReading).
		if leaf := vc.Certificate(); leaf == nil {
			return nil, stageErr(ErrMalformedBundle, "certificate summary without a certificate", nil)
		} else if err := checkOneReading(leaf); err != nil {
			return nil, err
		} else if err := checkSANType(leaf, raw.Signature.Certificate.SubjectAlternativeName); err != nil {
			return nil, err
		}
		res.Checks = append(res.Checks, CheckChain)
		if v.cfg.sct > 0 {
			res.Checks = append(res.Checks, CheckSCT)
		}
		res.Signer = signerFromSummary(raw.Signature.Certificate)
	} else {
		res.Checks = append(res.Checks, CheckKey)
		res.Signer = SignerInfo{Kind: SignerKey}
		switch {
		case v.keyOnly:
			// The bundle's hint is not signed, and keyTrust verified with
			// the pinned key whatever it said: the hint names that key,
			// so that revocation by key id, signer thresholds and records
			// see the key that signed, not a name the bundle chose.
			res.Signer.KeyHint = v.keyHint
			res.Signer.KeyFingerprint = v.keyHint
		case vc.PublicKey() != nil:
			// The trust material picked the key by this hint.
			res.Signer.KeyHint = vc.PublicKey().Hint()
			fp, err := materialKey(tm, res.Signer.KeyHint)
			if err != nil {
				return nil, stageErr(ErrTrustMaterial, "the key that verified the bundle", err)
			}
			res.Signer.KeyFingerprint = fp
		}
	}
	res.Checks = append(res.Checks, CheckSignature, CheckArtifact)
	if err := v.checkIdentity(&res.Signer); err != nil {
		return nil, err
	}
	if v.expect.Signer != nil {
		res.Checks = append(res.Checks, CheckIdentity)
	}
	if envPayload != nil {
		st, err := attest.ParseStatement(envPayload)
		if err != nil {
			return nil, stageErr(ErrMalformedBundle, "in-toto statement", err)
		}
		if err := checkSubjects(statementSubjects(st), art.String(), prep); err != nil {
			return nil, err
		}
		res.Statement = st
	}
	if err := v.checkPredicate(res.Statement); err != nil {
		return nil, err
	}
	if v.expect.PredicateType != "" || !v.cfg.anyPredicate {
		res.Checks = append(res.Checks, CheckPredicateType)
	}
	if v.expect.Provenance != nil {
		if _, err := CheckProvenance(res.Statement, *v.expect.Provenance); err != nil {
			return nil, err
		}
		res.Checks = append(res.Checks, CheckSLSA)
	}
	return res, nil
}

// verifyScoped verifies a certificate bundle under each root of a merged
// Trust alone, the roots whose CA issued its certificate first, and returns
// the first success. On failure it returns the error of the first root
// tried, with that root's verifier and material for classify: the bundle
// verified under no root alone, whatever the roots would prove together.
func (v *Verifier) verifyScoped(ent sgverify.SignedEntity, vc sgverify.VerificationContent, policy func() sgverify.PolicyBuilder) (*sgverify.VerificationResult, *sgverify.Verifier, root.TrustedMaterial, error) {
	leaf := vc.Certificate()
	owns := func(sc scope) bool { return leaf != nil && sc.part.issued(leaf) }
	order := make([]scope, 0, len(v.scopes))
	for _, sc := range v.scopes {
		if owns(sc) {
			order = append(order, sc)
		}
	}
	for _, sc := range v.scopes {
		if !owns(sc) {
			order = append(order, sc)
		}
	}
	var (
		firstErr error
		firstSV  *sgverify.Verifier
		firstTM  root.TrustedMaterial
	)
	for _, sc := range order {
		sv := sc.certV
		raw, err := sv.Verify(ent, policy())
		if err == nil {
			return raw, sv, sc.trust, nil
		}
		if firstErr == nil {
			firstErr, firstSV, firstTM = err, sv, sc.trust
		}
	}
	return nil, firstSV, firstTM, firstErr
}

// materialKey is the KeyFingerprint of the key the trust material holds
// for hint: the key that verified a keyed bundle without a PublicKey
// expectation.
func materialKey(tm root.TrustedMaterial, hint string) (string, error) {
	tv, err := tm.PublicKeyVerifier(hint)
	if err != nil {
		return "", err
	}
	pk, err := tv.PublicKey()
	if err != nil {
		return "", err
	}
	return KeyFingerprint(pk)
}

func (v *Verifier) checkSignerKind(certBundle bool) error {
	switch v.expect.Signer.(type) {
	case Identity:
		if !certBundle {
			return &IdentityMismatchError{Field: "signer-kind", Want: SignerCertificate, Got: SignerKey}
		}
	case PublicKey:
		if certBundle {
			return &IdentityMismatchError{Field: "signer-kind", Want: SignerKey, Got: SignerCertificate}
		}
	}
	return nil
}

func (v *Verifier) checkIdentity(got *SignerInfo) error {
	id, ok := v.expect.Signer.(Identity)
	if !ok {
		return nil // PublicKey: the key itself was the check; nil: unsafe opt-out
	}
	switch {
	case id.SAN != "" && got.SAN != id.SAN:
		return &IdentityMismatchError{Field: "san", Want: id.SAN, Got: got.SAN}
	case v.sanRe != nil && !v.sanRe.MatchString(got.SAN):
		return &IdentityMismatchError{Field: "san", Want: "regexp " + anchor(id.SANRegexp), Got: got.SAN}
	case v.sanRe != nil && strings.Count(got.SAN, "@") > 1:
		// A CI SAN is workflow@ref, and a branch may be named
		// "x@refs/tags/v1": a regexp written for tags
		// (".../workflows/.*@refs/tags/v.*") matches that branch's
		// SAN. A pattern cannot tell which '@' the certificate split
		// at, so a SAN holding two is matched only exactly (SAN).
		return &IdentityMismatchError{Field: "san", Want: "regexp " + anchor(id.SANRegexp) + " (a SAN with more than one '@' matches only an exact SAN)", Got: got.SAN}
	case id.Issuer != "" && got.Issuer != id.Issuer:
		return &IdentityMismatchError{Field: "issuer", Want: id.Issuer, Got: got.Issuer}
	case v.issRe != nil && !v.issRe.MatchString(got.Issuer):
		return &IdentityMismatchError{Field: "issuer", Want: "regexp " + anchor(id.IssuerRegexp), Got: got.Issuer}
	}
	gotFields := got.Claims.fields()
	for i, f := range id.Claims.fields() {
		if f[1] != "" && f[1] != gotFields[i][1] {
			return &IdentityMismatchError{Field: f[0], Want: f[1], Got: gotFields[i][1]}
		}
	}
	return nil
}

func (v *Verifier) checkPredicate(st *attest.Statement) error {
	got := ""
	if st != nil {
		got = st.PredicateType
	}
	if v.expect.PredicateType == "" && v.cfg.anyPredicate {
		return nil
	}
	if got != v.expect.PredicateType {
		return &PredicateTypeMismatchError{Want: v.expect.PredicateType, Got: got}
	}
	return nil
}

// classify re-runs sigstore-go's stages one by one to say which failed. It
// runs only on failure, so its cost does not matter; whatever it finds, the
// result is an error (fail closed).
func (v *Verifier) classify(sv *sgverify.Verifier, tm root.TrustedMaterial, b sgverify.SignedEntity, vc sgverify.VerificationContent, sc sgverify.SignatureContent, envPayload []byte, art resolved, prep prepared, verr error) error {
	tl, err := sv.VerifyTransparencyLogInclusion(b)
	if err != nil {
		if entries, _ := b.TlogEntries(); len(entries) == 0 && v.cfg.tlog > 0 {
			// The common cause: a private CA + TSA (attest/ca, attest/tsa)
			// that logs nowhere. Say how to accept that on purpose.
			return stageErr(ErrTlog, fmt.Sprintf("the bundle has no transparency-log entry and %d is required; "+
				"for a private CA and TSA without a log, verify with WithTlogThreshold(0) and WithSignedTimestampThreshold(1)", v.cfg.tlog), err)
		}
		return stageErr(ErrTlog, "transparency log entry", err)
	}
	ts, err := sv.VerifyObserverTimestamps(b, tl)
	if err != nil {
		return stageErr(ErrTimestamp, "observer timestamps", err)
	}
	if leaf := vc.Certificate(); leaf != nil {
		c, err := x509.ParseCertificate(leaf.Raw)
		if err != nil {
			return stageErr(ErrMalformedBundle, "certificate", err)
		}
		var keep []asnOID
		for _, oid := range c.UnhandledCriticalExtensions {
			if !oid.Equal(cryptoutils.SANOID) {
				keep = append(keep, oid)
			}
		}
		c.UnhandledCriticalExtensions = keep
		var chains [][]*x509.Certificate
		for _, t := range ts {
			chains, err = sgverify.VerifyLeafCertificate(t.Timestamp, c, tm)
			if err != nil {
				return stageErr(ErrUntrustedChain, fmt.Sprintf("certificate (subject %s, valid %s to %s) does not chain to a trusted CA at %s (proven by %s)",
					clipText(summarizeSAN(c), maxValueText), c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339), t.Timestamp.UTC().Format(time.RFC3339), t.Type), err)
			}
		}
		if v.cfg.sct > 0 {
			if err := sgverify.VerifySignedCertificateTimestamp(chains, v.cfg.sct, tm); err != nil {
				if !hasSCTList(c) {
					return stageErr(ErrCertificateTransparency, fmt.Sprintf("the certificate carries no SCT and %d is required; "+
						"for a private CA without a CT log (attest/ca), verify with WithSCTThreshold(0)", v.cfg.sct), err)
				}
				return stageErr(ErrCertificateTransparency, "embedded SCT", err)
			}
		}
	} else if vc.PublicKey() != nil {
		for _, t := range ts {
			if !vc.ValidAtTime(t.Timestamp, tm) {
				return stageErr(ErrUntrustedChain, fmt.Sprintf("signing key not valid at %s", t.Timestamp.UTC().Format(time.RFC3339)), verr)
			}
		}
	}
	if msg := sc.MessageSignatureContent(); msg != nil {
		alg := hashName(msg.DigestAlgorithm())
		if !art.equal(alg, msg.Digest()) {
			return &ArtifactMismatchError{Want: art.String(), Got: alg + ":" + hex.EncodeToString(msg.Digest()), Err: verr}
		}
	} else if envPayload != nil {
		// The subjects are read from the payload, which names the
		// artifact only if it is what was signed: a statement changed
		// after signing is a bad signature, not a mismatch (and its
		// subjects are the forger's).
		if err := sgverify.VerifySignature(sc, vc, tm); err != nil {
			return stageErr(ErrSignature, "envelope signature does not verify with the signer's key", err)
		}
		if err := checkSubjects(payloadSubjects(envPayload), art.String(), prep); err != nil {
			var am *ArtifactMismatchError
			if errors.As(err, &am) {
				am.Err = verr
			}
			return err
		}
	}
	return stageErr(ErrSignature, "signature does not verify with the signer's key", verr)
}

func summarizeSAN(c *x509.Certificate) string {
	if s, err := certificate.SummarizeCertificate(c); err == nil && s.SubjectAlternativeName != "" {
		return s.SubjectAlternativeName
	}
	return c.Subject.String()
}

// ValidateBundle parses a Sigstore bundle (protobuf-JSON, media types v0.1,
// v0.2 and v0.3) and checks its structure, without verifying anything; it
// returns the media type. Errors wrap ErrMalformedBundle, or ErrTlog when
// the structure is fine but a transparency-log entry is inconsistent with
// the bundle or lacks its inclusion proof or promise. Useful to refuse
// garbage early (for example before storing a bundle); only Verify proves
// anything.
func ValidateBundle(b []byte) (mediaType string, err error) {
	bun, err := parseBundle(b)
	if err != nil {
		return "", err
	}
	return bun.MediaType, nil
}

// statementNames are the member names of an in-toto v1 statement and of the
// SLSA v1 provenance predicate that this package and attest read with
// encoding/json: a statement spelling one of them in another case is
// refused rather than read case-insensitively.
var statementNames = []string{"_type", "subject", "name", "digest", "predicateType", "predicate",
	"buildDefinition", "buildType", "externalParameters", "internalParameters", "resolvedDependencies",
	"uri", "runDetails", "builder", "id", "metadata", "byproducts"}

func parseBundle(b []byte) (*bundle.Bundle, error) {
	// protojson matches names case-sensitively and refuses repeats, but it
	// accepts a field under its proto name as well as its JSON name; refuse
	// anything ambiguous before it, so that the document verified is the one
	// every reader sees.
	if err := checkMembers(b); err != nil {
		return nil, stageErr(ErrMalformedBundle, "bundle JSON", err)
	}
	pb := new(protobundle.Bundle)
	if err := protojson.Unmarshal(b, pb); err != nil {
		return nil, stageErr(ErrMalformedBundle, "parse", err)
	}
	bun, err := bundle.NewBundle(pb)
	if err == nil {
		// What sigstore-go verifies of the log entries but does not bind.
		if err := checkLogEntries(pb.GetVerificationMaterial().GetTlogEntries()); err != nil {
			return nil, err
		}
		return bun, nil
	}
	// Say which part was wrong: sigstore-go checks the log entries while
	// parsing.
	probe := &bundle.Bundle{Bundle: pb}
	if _, verr := probe.Version(); verr == nil && pb.GetVerificationMaterial() != nil {
		entries, terr := probe.TlogEntries()
		if terr != nil {
			return nil, stageErr(ErrTlog, "log entry inconsistent with the bundle", terr)
		}
		if len(entries) > 0 && ((probe.MinVersion("v0.2") && !probe.HasInclusionProof()) || !probe.HasInclusionPromise() && !probe.MinVersion("v0.2")) {
			return nil, stageErr(ErrTlog, "log entry without inclusion proof or promise", err)
		}
	}
	return nil, stageErr(ErrMalformedBundle, "invalid bundle", err)
}

// hashName names a message signature's digest algorithm as Artifact does,
// or "" for one this package does not hash with.
func hashName(alg string) string {
	switch alg {
	case "SHA2_256":
		return "sha256"
	case "SHA2_384":
		return "sha384"
	case "SHA2_512":
		return "sha512"
	}
	return ""
}

// subjectAlg picks the digest algorithm to hash an artifact with, from the
// (unverified) statement's subjects: sha256 when any subject has one.
func subjectAlg(payload []byte) string {
	var st struct {
		Subject []struct {
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
	}
	if json.Unmarshal(payload, &st) != nil {
		return "sha256"
	}
	best := ""
	for _, s := range st.Subject {
		for _, a := range []string{"sha256", "sha512", "sha384"} {
			if _, ok := s.Digest[a]; ok && (best == "" || a == "sha256") {
				best = a
			}
		}
	}
	if best == "" {
		return "sha256"
	}
	return best
}

type asnOID = asn1.ObjectIdentifier

// oidSCTList is the X.509 extension holding embedded SCTs (RFC 6962 §3.3).
var oidSCTList = asnOID{1, 3, 6, 1, 4, 1, 11129, 2, 4, 2}

func hasSCTList(c *x509.Certificate) bool {
	for _, e := range c.Extensions {
		if e.Id.Equal(oidSCTList) {
			return true
		}
	}
	return false
}
