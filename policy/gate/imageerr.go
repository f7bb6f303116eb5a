package gate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/ztci/ztci/attest/vsa"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/image"
)

// What a caller learns of a failed image verification or a rejected
// attestation is its category, a sentinel of fixed text; the error itself
// goes to the operator's log (withhold, discloseAttestations). The error
// is the registry client's, the keychain's or a bundle verifier's, and
// may quote what a registry, a credential helper, a proxy or a trust
// material or transparency log fetch answered: a credential, an internal
// address, a signed URL. Decide's error and the Decision reach every
// caller, one with a forged token included.

// imageCategories are the categories of an image verification's failure,
// most specific first (a referrers API failure is also a status). A
// bundle verification that could not be audited (verify.ErrAudit) fails
// the image, not one attestation.
var imageCategories = []error{
	errVerificationPanicked, verify.ErrAudit,
	context.DeadlineExceeded, context.Canceled,
	image.ErrPlatformNotFound, image.ErrPlatformAmbiguous,
	image.ErrTooManyReferrers, image.ErrReferrersAPI,
	image.ErrTooLarge, image.ErrDigestMismatch, image.ErrMalformed,
	image.ErrTooManyRedirects, image.ErrNotFound, image.ErrDenied,
	image.ErrUnavailable, image.ErrStatus, image.ErrRegistry, image.ErrConfig,
}

// errImageUnverified: an image verification failed in no known category.
var errImageUnverified = errors.New("image verification failed")

// imageFailure is what the caller gets for ref's failed verification err:
// ErrBudgetExceeded, or ErrUndecided naming err's category ("gate: could
// not decide: image verification: oci: registry error: access denied");
// errors.Is holds for the category. err is withheld for the log.
func imageFailure(ref name.Reference, err error) error {
	const what = "image verification failed; the request is undecided"
	cause := fmt.Errorf("%s: %w", ref, err)
	if errors.Is(err, ErrBudgetExceeded) {
		return withhold(ErrBudgetExceeded, what, cause)
	}
	category := categoryOf(err, imageCategories, errImageUnverified)
	return withhold(fmt.Errorf("%w: image verification: %w", ErrUndecided, category), what, cause)
}

// attestationCategories are the categories of a rejected attestation,
// most specific first: a third-party summary's own refusals, what the
// bundle verifier found (verify's), then what verify/image found of the
// artifact, then the generic ones.
var attestationCategories = []error{
	ErrThirdPartyVSAUntrusted, ErrThirdPartyVSALimit,
	vsa.ErrExpectations, vsa.ErrEnvelope, vsa.ErrKeyID, vsa.ErrSignature, vsa.ErrStatement,
	vsa.ErrSubjectMismatch, vsa.ErrVerifierMismatch, vsa.ErrResourceMismatch,
	vsa.ErrNotPassed, vsa.ErrLevels, vsa.ErrStale, vsa.ErrUnverified,
	verify.ErrAmbiguousJSON, verify.ErrMalformedBundle,
	verify.ErrSignature, verify.ErrIdentityMismatch, verify.ErrUntrustedChain,
	verify.ErrCertificateTransparency, verify.ErrTlog, verify.ErrTimestamp,
	verify.ErrArtifactMismatch, verify.ErrPredicateTypeMismatch, verify.ErrProvenanceMismatch,
	verify.ErrTrustMaterial, verify.ErrAudit, verify.ErrInvalidExpectation,
	image.ErrSubjectMismatch, image.ErrNoBundle, image.ErrLegacyFormat,
	image.ErrLegacyPayload, image.ErrLegacyAnnotation,
	ErrBudgetExceeded, context.DeadlineExceeded, context.Canceled,
	verify.ErrVerification, image.ErrBundleRejected, image.ErrAttestation,
	ErrThirdPartyVSA,
}

// errAttestationRejected: an attestation was rejected in no known category.
var errAttestationRejected = errors.New("attestation rejected")

// attestationText is what the caller is told of a rejected attestation:
// the gate's own findings as they are (a revoked signer, key or builder
// it names; a predicate type it has no verifier for, quoted and bounded),
// otherwise err's category's fixed text. An artifact that could not be
// fetched names the registry's category too.
func attestationText(err error) string {
	var revoked *RevokedError
	var unexpected *UnexpectedPredicateTypeError
	switch {
	case errors.As(err, &revoked):
		return revoked.Error()
	case errors.Is(err, ErrRevoked):
		return ErrRevoked.Error()
	case errors.As(err, &unexpected):
		return unexpected.Error()
	case errors.Is(err, image.ErrArtifactFetch):
		return fmt.Sprintf("%v (%v)", image.ErrArtifactFetch, categoryOf(err, imageCategories, errImageUnverified))
	}
	return categoryOf(err, attestationCategories, errAttestationRejected).Error()
}

// rejected is the report of an attestation rejected with err: its
// category for the caller. err is kept for the operator's log when ctx is
// a decision's (withRejections).
func rejected(ctx context.Context, info AttestationInfo, err error) AttestationInfo {
	info.Verified, info.Error = false, attestationText(err)
	if r, ok := ctx.Value(rejectionsKey{}).(*rejections); ok {
		r.list = append(r.list, rejection{info: info, err: err})
	}
	return info
}

// rejections are the attestations a decision rejected, with their errors,
// for the operator's log. A decision's verification reports them on its
// own goroutine (screenImage, verifyInline), so the list needs no lock.
type rejections struct{ list []rejection }

type rejection struct {
	info AttestationInfo
	err  error
}

type rejectionsKey struct{}

// withRejections returns ctx collecting a decision's rejections.
func withRejections(ctx context.Context) (context.Context, *rejections) {
	r := &rejections{}
	return context.WithValue(ctx, rejectionsKey{}, r), r
}

// categoryOf is the first of categories err matches, or otherwise.
func categoryOf(err error, categories []error, otherwise error) error {
	for _, c := range categories {
		if errors.Is(err, c) {
			return c
		}
	}
	return otherwise
}

// discloseRejections logs the error of every attestation r holds with
// event, the audit event id of its decision: the caller's report says its
// category only (attestationText).
func (g *Gate) discloseRejections(ctx context.Context, event string, r *rejections) {
	for _, x := range r.list {
		g.cfg.log.Log(ctx, slog.LevelWarn, "attestation rejected", "event", event,
			"predicate_type", clip.String(x.info.PredicateType, 256), "signer", clip.String(x.info.Signer, 256), "err", x.err)
	}
}
