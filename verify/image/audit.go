package image

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/randid"
)

// ErrUnaudited: the verdict could not be audited (the sink given to
// WithAudit refused the event), so no verdict is returned. Callers treat
// it as deny, like ErrRegistry.
var ErrUnaudited = errors.New("image: verification not audited")

type auditConfig struct {
	sink     audit.Sink
	verifier string
}

// WithAudit sends one event per VerifyImage call to sink: the reference
// and the digest it was pinned to, the verdict (success when verified,
// failure when not, error when nothing could be decided, with the error),
// the threshold, the distinct signers of each target, whether the verdict
// came from the cache, and verifier, which names this verifier in the
// event's actor (a service name or SPIFFE ID). Events carry references,
// digests and signer identities, never attestation content. A call whose
// event the sink refuses fails with ErrUnaudited.
func WithAudit(sink audit.Sink, verifier string) Option {
	return func(c *config) error {
		if sink == nil || verifier == "" {
			return fmt.Errorf("%w: WithAudit needs a sink and a verifier name", ErrConfig)
		}
		c.audit = &auditConfig{sink: sink, verifier: verifier}
		return nil
	}
}

// maxReasonLen bounds the error text copied into an event: registry
// answers appear in some errors.
const maxReasonLen = 512

func (v *Verifier) auditEvent(start time.Time, ref name.Reference, res *Result, verr error) audit.Event {
	ev := audit.Event{
		ID:       randid.New(),
		Time:     start.UTC(),
		Source:   "ztci/verify/image",
		Action:   "verify.image",
		Actor:    audit.Actor{ID: v.cfg.audit.verifier, Kind: "service"},
		Resource: ref.String(),
		Attributes: map[string]string{
			"ref":         ref.String(),
			"duration_ms": strconv.FormatInt(v.cfg.Now().Sub(start).Milliseconds(), 10),
		},
	}
	if verr != nil {
		ev.Outcome = audit.OutcomeError
		ev.Reason = clip.Error(verr, maxReasonLen).Error()
		return ev
	}
	ev.Resource = res.Digest.String()
	ev.Outcome = audit.OutcomeSuccess
	if !res.Verified {
		ev.Outcome = audit.OutcomeFailure
		ev.Reason = clip.Error(res.Err(), maxReasonLen).Error()
	}
	ev.Attributes["threshold"] = strconv.Itoa(res.Threshold)
	ev.Attributes["cached"] = strconv.FormatBool(res.Cached)
	for i, t := range res.Targets {
		ev.Attributes[fmt.Sprintf("target.%d", i)] = t.Digest.String()
		ev.Attributes[fmt.Sprintf("target.%d.signers", i)] = strings.Join(t.Signers, ",")
	}
	return ev
}
