package attach

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/oci"
	"github.com/ztci/ztci/internal/randid"
)

// ErrUnaudited: the attach could not be audited (the sink given to
// WithAudit refused the event), so Bundle reports no attachment. The
// artifact may have been pushed and listed all the same: the error says
// so, and verification never depends on who attached.
var ErrUnaudited = errors.New("attach: not audited")

type auditConfig struct {
	sink  audit.Sink
	actor string
}

// WithAudit sends one event per Bundle call whose options are valid to
// sink, action "attest.attach": outcome success or failure (with the
// error, clipped), the reference given, the subject digest it resolved
// to, the artifact manifest digest and bundle blob digest once pushed,
// the bundle's media type, content kind and claimed predicate type, how
// the artifact is listed (referrers-api, or referrers-tag with the tag),
// and actor, which names the attaching service in the event's actor (a
// service name or SPIFFE ID). Events carry references and digests, never
// bundle content or registry credentials. A call whose event the sink
// refuses fails with ErrUnaudited.
func WithAudit(sink audit.Sink, actor string) Option {
	return func(c *config) error {
		if sink == nil || actor == "" {
			return fmt.Errorf("%w: WithAudit needs a sink and an actor", ErrConfig)
		}
		c.audit = &auditConfig{sink: sink, actor: actor}
		return nil
	}
}

// maxReasonLen bounds the error text copied into an event: registry
// answers appear in some errors.
const maxReasonLen = 512

// audited writes the event of one Bundle call (when WithAudit is set) and
// returns the call's error, or ErrUnaudited when the sink refused. info
// and att hold what is known: nil before the bundle was read or the
// reference resolved.
func (c *config) audited(ctx context.Context, start time.Time, ref name.Reference, info *oci.BundleInfo, att *Attachment, err error) error {
	if c.audit == nil {
		return err
	}
	ev := audit.Event{
		ID:       randid.New(),
		Time:     start.UTC(),
		Source:   "ztci/attest/attach",
		Action:   "attest.attach",
		Outcome:  audit.OutcomeSuccess,
		Actor:    audit.Actor{ID: c.audit.actor, Kind: "service"},
		Resource: ref.String(),
		Attributes: map[string]string{
			"ref":         ref.String(),
			"duration_ms": strconv.FormatInt(c.Now().Sub(start).Milliseconds(), 10),
		},
	}
	if info != nil {
		// The bundle's own claim, which SniffBundle checks by prefix only.
		ev.Attributes["media_type"] = clip.String(info.MediaType, 256)
		ev.Attributes["content"] = info.Content
		if info.PredicateType != "" {
			// Claimed by the unverified bundle, so clipped like any
			// untrusted text.
			ev.Attributes["predicate_type"] = clip.String(info.PredicateType, 256)
		}
	}
	if att != nil {
		ev.Resource = att.Subject.String()
		ev.Attributes["subject"] = att.Subject.DigestStr()
		if att.Artifact.DigestStr() != "" {
			ev.Attributes["artifact"] = att.Artifact.DigestStr()
			ev.Attributes["bundle"] = att.Bundle.String()
		}
	}
	if err != nil {
		ev.Outcome = audit.OutcomeFailure
		// Quoted when it holds anything but printable ASCII: some errors
		// repeat what the registry sent.
		ev.Reason = clip.Error(err, maxReasonLen).Error()
	} else {
		ev.Attributes["path"] = string(att.Path)
		if att.Path == PathReferrersTag {
			sh, _ := v1.NewHash(att.Subject.DigestStr()) // a digest Resolve returned
			ev.Attributes["tag"] = oci.TagFor(sh)
		}
	}
	aerr := c.audit.sink.Write(ctx, ev)
	switch {
	case aerr == nil:
		return err
	case err != nil:
		return fmt.Errorf("%w: %w (the attach failed too: %w)", ErrUnaudited, aerr, err)
	default:
		return fmt.Errorf("%w: artifact %s was pushed and listed: %w", ErrUnaudited, att.Artifact.DigestStr(), aerr)
	}
}
