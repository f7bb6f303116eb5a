package policy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/randid"
)

// Audit event vocabulary.
const (
	auditSource       = "ztci/policy"
	ActionEvaluate    = "policy.evaluate" // audit action of a decision
	ActionReload      = "policy.reload"   // audit action of a reload
	attrMode          = "mode"
	attrInputDigest   = "input_digest"
	attrPolicyAllowed = "policy_allowed"
	attrPolicyExpired = "policy_expired"
)

// inputDigest returns "sha256:<hex>" of in's JSON encoding: it identifies
// the input in the audit trail without copying it there.
func inputDigest(in *Input) string {
	raw, err := json.Marshal(in)
	if err != nil {
		// Only an unencodable value in a free-form map can fail here; the
		// evaluation itself has then already failed the same way.
		return "unencodable"
	}
	sum := sha256.Sum256(raw)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// auditDecision records a decision, or the failure to reach one (evalErr),
// if a sink is configured. The event holds the revision, the input digest,
// the outcome and the ids of the violated rules: never input values,
// violation values or messages.
func (e *Engine) auditDecision(ctx context.Context, c *compiled, in *Input, dec Decision, evalErr error) error {
	if e.cfg.sink == nil {
		return nil
	}
	ev := audit.Event{
		ID:             randid.New(),
		Time:           e.cfg.now().UTC(),
		Source:         auditSource,
		Action:         ActionEvaluate,
		Actor:          audit.Actor{ID: in.Job.ID, Kind: "job", Claims: jobClaims(&in.Job)},
		Resource:       in.Action,
		PolicyRevision: c.revision,
		Correlation:    audit.Correlation{JobID: in.Job.Name, RunID: in.Job.RunID},
		Attributes: map[string]string{
			attrMode:        string(e.cfg.mode),
			attrInputDigest: inputDigest(in),
		},
	}
	switch {
	case evalErr != nil && !dec.Allowed:
		ev.Outcome = audit.OutcomeError
		ev.Reason = "could not decide: " + errClass(evalErr)
	default:
		ev.Outcome = audit.OutcomeDeny
		if dec.Allowed {
			ev.Outcome = audit.OutcomeAllow
		}
		ev.Attributes[attrPolicyAllowed] = strconv.FormatBool(dec.PolicyAllowed)
		for _, v := range dec.Violations {
			ev.Violations = append(ev.Violations, v.Rule)
		}
		switch {
		case evalErr != nil:
			ev.Reason = "dry-run: could not decide: " + errClass(evalErr)
		case len(dec.Violations) == 0:
			ev.Reason = "policy allowed"
		default:
			ev.Reason = fmt.Sprintf("%d policy violations", len(dec.Violations))
		}
	}
	if err := e.cfg.sink.Write(ctx, ev); err != nil {
		return fmt.Errorf("%w: %w", ErrAudit, err)
	}
	return nil
}

func (e *Engine) auditReload(ctx context.Context, reloadErr error) error {
	if e.cfg.sink == nil {
		return nil
	}
	ev := audit.Event{
		ID:             randid.New(),
		Time:           e.cfg.now().UTC(),
		Source:         auditSource,
		Action:         ActionReload,
		Outcome:        audit.OutcomeSuccess,
		Actor:          audit.Actor{ID: auditSource, Kind: "service"},
		PolicyRevision: e.Revision(),
		Reason:         "policy in force",
	}
	switch {
	case reloadErr != nil && e.expired.Load() != nil:
		// This reload or an earlier one said the policy in force expired
		// (ErrExpired): Evaluate refuses to decide with it, and a reader
		// told it was kept would think the gate still decides.
		ev.Outcome = audit.OutcomeFailure
		ev.Reason = "reload failed; the policy in force expired, decisions are refused until a reload succeeds: " + reloadReason(reloadErr)
		ev.Attributes = map[string]string{attrPolicyExpired: "true"}
	case reloadErr != nil:
		ev.Outcome = audit.OutcomeFailure
		ev.Reason = "reload failed, last good policy kept: " + reloadReason(reloadErr)
	}
	if err := e.cfg.sink.Write(ctx, ev); err != nil {
		return fmt.Errorf("%w: %w", ErrAudit, err)
	}
	return nil
}

// errClass names the kind of evaluation failure without its details: OPA's
// messages can quote input values, which audit events must not carry.
func errClass(err error) string {
	for _, s := range []error{ErrUndefined, ErrResultShape, ErrInvalidInput, ErrEvaluation, ErrClosed} {
		if errors.Is(err, s) {
			msg := s.Error()
			if errors.Is(err, context.DeadlineExceeded) {
				msg += " (deadline exceeded)"
			}
			return msg
		}
	}
	return ErrNoDecision.Error()
}

// jobClaims is the job's claims for the audit actor, keyed as every other
// package keys them (identity.Claims.Map): every claim JobFromIdentity
// copies, so that an evaluation's event names the job as the identity's,
// the gate's and the proxy's events do (the anomaly detector keys a
// repository's profile by its repository_id: without it, these events
// built a second profile, by a name a later owner can take).
func jobClaims(j *Job) map[string]string {
	return identity.Claims{
		Platform: j.Platform, Repository: j.Repository,
		RepositoryID: j.RepositoryID, RepositoryOwnerID: j.RepositoryOwnerID,
		Ref: j.Ref, RefProtected: j.Protected, Commit: j.Commit,
		Workflow: j.Workflow, WorkflowRef: j.WorkflowRef, Job: j.Name, RunID: j.RunID,
		Event: j.Trigger, Actor: j.Actor, Runner: j.Runner,
		Environment: j.Environment, EnvironmentProtected: j.EnvironmentProtected,
	}.Map()
}

// jobCompromised reports whether c marks the job: its identity ID, or its
// repository or owner ([audit.ActorCompromised]), whose marks cover it too.
func jobCompromised(c audit.CompromiseChecker, j *Job) bool {
	return audit.ActorCompromised(c, audit.Actor{ID: j.ID, Claims: identity.Claims{
		Platform: j.Platform, Repository: j.Repository,
		RepositoryID: j.RepositoryID, RepositoryOwnerID: j.RepositoryOwnerID,
	}.Map()})
}

// maxReloadReason bounds the reload error an audit reason quotes.
const maxReloadReason = 1024

// reloadReason is a failed reload's error as an audit reason quotes it:
// clipped, and quoted unless printable ASCII. A Source's error can repeat
// what a registry, a file name in a bundle or a decoder chose (megabytes,
// control characters), and it is audited on every reload.
func reloadReason(err error) string { return clip.Error(err, maxReloadReason).Error() }
