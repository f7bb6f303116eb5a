package verify

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/randid"
)

// ErrAudit: the verification could not be audited (the sink given to
// WithAudit refused the event), so it does not count, whatever the bundle
// said.
var ErrAudit = fmt.Errorf("%w: not audited", ErrVerification)

// auditConfig is what WithAudit and WithTrustRevision set.
type auditConfig struct {
	sink     audit.Sink
	verifier string
	revision string
}

// WithAudit sends one event per Verify call to sink: the artifact digest,
// the outcome (success, or failure with the error's category), the signer
// and predicate type of a verified bundle, whether the result came from
// the result cache, the trust root's revision (WithTrustRevision), and
// verifier, which names this verifier in the event's actor (a service
// name or SPIFFE ID). Events carry digests and identities, never bundle
// content. A Verify whose event the sink does not accept fails with
// ErrAudit.
func WithAudit(sink audit.Sink, verifier string) Option {
	return func(c *config) error {
		if sink == nil || verifier == "" {
			return fmt.Errorf("%w: WithAudit needs a sink and a verifier name", ErrConfig)
		}
		if c.audit == nil {
			c.audit = &auditConfig{}
		}
		c.audit.sink, c.audit.verifier = sink, verifier
		return nil
	}
}

// WithTrustRevision names the trust material in audit events, so an event
// says which root a bundle was verified against: pass tuf.Root.Revision
// when the Verifier is built from a TUF-refreshed root, or a name of your
// own for a static one. It is only a label: it changes nothing verified.
// It needs WithAudit.
func WithTrustRevision(rev string) Option {
	return func(c *config) error {
		if rev == "" {
			return fmt.Errorf("%w: empty trust revision", ErrConfig)
		}
		if c.audit == nil {
			c.audit = &auditConfig{}
		}
		c.audit.revision = rev
		return nil
	}
}

// checkAudit refuses WithTrustRevision without WithAudit: a label with
// nowhere to go is a misconfiguration.
func (c *config) checkAudit() error {
	if c.audit != nil && c.audit.sink == nil {
		return fmt.Errorf("%w: WithTrustRevision without WithAudit", ErrConfig)
	}
	return nil
}

// auditCategories are the sentinels an event names a failure by, finest
// first.
var auditCategories = []struct {
	err  error
	name string
}{
	{ErrAmbiguousJSON, "ambiguous_json"},
	{ErrMalformedBundle, "malformed_bundle"},
	{ErrTlog, "tlog"},
	{ErrTimestamp, "timestamp"},
	{ErrUntrustedChain, "untrusted_chain"},
	{ErrCertificateTransparency, "certificate_transparency"},
	{ErrSignature, "signature"},
	{ErrArtifactMismatch, "artifact_mismatch"},
	{ErrIdentityMismatch, "identity_mismatch"},
	{ErrPredicateTypeMismatch, "predicate_type_mismatch"},
	{ErrProvenanceMismatch, "provenance_mismatch"},
	{ErrInvalidExpectation, "invalid_expectation"},
	{ErrTrustMaterial, "trust_material"},
}

func category(err error) string {
	for _, c := range auditCategories {
		if errors.Is(err, c.err) {
			return c.name
		}
	}
	return "verification"
}

// maxReasonLen bounds the error text copied into an event: a bundle is
// untrusted input and its fields appear in some errors.
const maxReasonLen = 512

func (v *Verifier) auditEvent(start time.Time, out outcome, verr error) audit.Event {
	a := v.cfg.audit
	ev := audit.Event{
		ID:       randid.New(),
		Time:     start.UTC(),
		Source:   "ztci/verify",
		Action:   "verify.bundle",
		Outcome:  audit.OutcomeSuccess,
		Actor:    audit.Actor{ID: a.verifier, Kind: "service"},
		Resource: out.artifact,
		Attributes: map[string]string{
			"duration_ms": strconv.FormatInt(time.Since(start).Milliseconds(), 10),
		},
	}
	if ev.Resource == "" {
		ev.Resource = "artifact:unreadable"
	}
	if a.revision != "" {
		ev.Attributes["trust_revision"] = a.revision
	}
	if verr != nil {
		ev.Outcome = audit.OutcomeFailure
		ev.Reason = clip.Error(verr, maxReasonLen).Error()
		ev.Attributes["category"] = category(verr)
		return ev
	}
	// The signer and predicate type are what the certificate and the
	// statement say: clipped, as an error would clip them.
	ev.Attributes["signer"] = clipText(out.res.Signer.String(), maxValueText)
	ev.Attributes["media_type"] = out.res.MediaType
	ev.Attributes["cached"] = strconv.FormatBool(out.cached)
	if out.res.Statement != nil {
		ev.Attributes["predicate_type"] = clipText(out.res.Statement.PredicateType, maxValueText)
	}
	return ev
}
