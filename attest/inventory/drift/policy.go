package drift

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/internal/clip"
)

// ActionPolicyRevision: an admitted artifact that a decision allowed is
// denied by a new policy revision re-run on that decision's policy input.
const ActionPolicyRevision = "inventory.drift.policy_revision"

// MaxRevisions bounds [PolicyChange.Previous].
const MaxRevisions = 64

// maxReason bounds each reason an [Evaluator] returns, in bytes.
const maxReason = 256

// Evaluator re-runs a policy on a policy input the gate kept
// (inventory.Admission.PolicyInput: the JSON document the gate evaluated,
// policy.Input). It is declared here, where it is consumed, so that drift
// does not link a policy engine: an adapter decodes input
// (policy.DecodeInput) and evaluates it with the new revision.
//
// allowed false is a deny, with reasons that name it (rule ids or
// messages; never secrets — a policy input holds none). An error means
// the evaluator could not decide: the admission is not reported, and
// [Detector.PolicyRevision] returns [ErrEvaluation]. Evaluate must be safe
// for concurrent use and must not keep input.
type Evaluator interface {
	Evaluate(ctx context.Context, input []byte) (allowed bool, reasons []string, err error)
}

// EvaluatorFunc adapts a function to [Evaluator].
type EvaluatorFunc func(ctx context.Context, input []byte) (bool, []string, error)

// Evaluate calls f.
func (f EvaluatorFunc) Evaluate(ctx context.Context, input []byte) (bool, []string, error) {
	return f(ctx, input)
}

// PolicyChange is a new policy revision and the admissions to re-run it on.
type PolicyChange struct {
	// Revision is the new policy revision (as the gate records it).
	// Required.
	Revision string
	// Previous are the revisions whose admissions are re-evaluated: the
	// revisions that allowed what may still be deployed. The index is
	// searched by revision (an indexed criterion on every store), so an
	// admission of a revision not listed here is not re-evaluated.
	// Required, at most [MaxRevisions], none equal to Revision.
	Previous []string
	// Reason is a non-secret sentence for the audit event.
	Reason string
}

// PolicyRevision re-runs the new policy revision ch.Revision, through
// eval, on the kept policy input of every admission allowed under one of
// ch.Previous, and emits one [ActionPolicyRevision] event per artifact of
// which at least one such admission is now denied (the event names the
// denied decisions, newest first, and the reasons of the newest).
// Report.Cause is "policy:<revision>".
//
// An admission whose policy input was not kept (too large for the index,
// or recorded before the index kept inputs) cannot be re-evaluated: its
// decision id is listed in [Report.Unevaluated] and logged, never counted
// as allowed. All queries and evaluations run before any event is written.
// An inventory error returns [ErrStore] and emits nothing. Evaluator errors
// do not stop the others: the denials found are emitted, then
// [ErrEvaluation] is returned naming how many admissions could not be
// decided (the first error wrapped); a cancelled ctx stops at once. A sink
// error returns [ErrAudit]; a truncated answer [ErrIncomplete], as for
// [Detector.Advisory].
func (d *Detector) PolicyRevision(ctx context.Context, eval Evaluator, ch PolicyChange, arrived time.Time) (Report, error) {
	if eval == nil {
		return Report{}, fmt.Errorf("%w: nil evaluator", ErrInvalidInput)
	}
	if err := ch.validate(); err != nil {
		return Report{}, err
	}
	if arrived.IsZero() {
		arrived = d.cfg.now()
	}
	cause := "policy:" + ch.Revision
	rep := Report{Cause: cause}
	var adms []inventory.Admission
	truncated := false
	for _, rev := range ch.Previous {
		res, err := d.store.Query(ctx, inventory.Query{PolicyRevision: rev, WithPolicyInput: true, Limit: inventory.MaxLimit})
		if err != nil {
			return Report{Cause: cause}, fmt.Errorf("%w: policy revision %q: %w", ErrStore, clip.String(rev, 64), err)
		}
		truncated = truncated || res.Truncated
		adms = append(adms, res.Admissions...)
	}
	hits := newHits()
	reasons := map[string][]string{} // decision id → reasons of its deny
	var failed int
	var firstErr error
	for _, a := range adms {
		if len(a.PolicyInput) == 0 {
			rep.Unevaluated = append(rep.Unevaluated, a.DecisionID)
			d.cfg.log.WarnContext(ctx, "drift: admission without a kept policy input, not re-evaluated", "decision", a.DecisionID, "revision", ch.Revision)
			continue
		}
		allowed, why, err := eval.Evaluate(ctx, a.PolicyInput)
		if cerr := ctx.Err(); cerr != nil {
			return Report{Cause: cause}, fmt.Errorf("%w: policy revision %q: %w", ErrEvaluation, clip.String(ch.Revision, 64), cerr)
		}
		if err != nil {
			failed++
			if firstErr == nil {
				firstErr = fmt.Errorf("decision %s: %w", clip.String(a.DecisionID, 64), err)
			}
			continue
		}
		if allowed {
			continue
		}
		reasons[a.DecisionID] = cleanReasons(why)
		a.Packages, a.PolicyInput = nil, nil // the event names decisions, not contents; inputs can be large
		hits.add(a)
	}
	err := d.emit(ctx, &rep, ActionPolicyRevision, cause, hits, arrived, func(c Change) audit.Event {
		return policyEvent(ch, reasons[c.Admissions[0].DecisionID], c)
	})
	if err != nil {
		return rep, err
	}
	if failed > 0 {
		d.cfg.log.WarnContext(ctx, "drift: admissions could not be re-evaluated", "revision", ch.Revision, "failed", failed, "err", firstErr)
		return rep, fmt.Errorf("%w: policy revision %q: %d admissions could not be decided, first %w", ErrEvaluation, clip.String(ch.Revision, 64), failed, firstErr)
	}
	if truncated {
		d.cfg.log.WarnContext(ctx, "drift: inventory answer truncated", "cause", cause)
		return rep, fmt.Errorf("%w: policy revision %q", ErrIncomplete, clip.String(ch.Revision, 64))
	}
	return rep, nil
}

func (ch PolicyChange) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: policy change: "+format, append([]any{ErrInvalidInput}, args...)...)
	}
	if ch.Revision == "" || !printable(ch.Revision, inventory.MaxFieldLen) {
		return bad("a new revision is required (printable, at most %d bytes)", inventory.MaxFieldLen)
	}
	if len(ch.Previous) == 0 || len(ch.Previous) > MaxRevisions {
		return bad("%d previous revisions, want 1 to %d", len(ch.Previous), MaxRevisions)
	}
	for i, r := range ch.Previous {
		if r == "" || !printable(r, inventory.MaxFieldLen) || r == ch.Revision || slices.Contains(ch.Previous[:i], r) {
			return bad("previous revision %q is empty, not printable, repeated or the new revision", clip.String(r, 64))
		}
	}
	if !printable(ch.Reason, inventory.MaxFieldLen) {
		return bad("reason not printable or longer than %d bytes", inventory.MaxFieldLen)
	}
	return nil
}

// cleanReasons bounds an evaluator's reasons for an audit event: at most
// maxListed, each clipped and with control characters replaced.
func cleanReasons(why []string) []string {
	out := make([]string, 0, min(len(why), maxListed))
	for _, r := range why[:min(len(why), maxListed)] {
		r = strings.Map(func(c rune) rune {
			if c < ' ' || c == 0x7f {
				return ' '
			}
			return c
		}, clip.String(r, maxReason))
		out = append(out, r)
	}
	return out
}

func policyEvent(ch PolicyChange, reasons []string, c Change) audit.Event {
	e := baseEvent(ActionPolicyRevision, c)
	e.PolicyRevision = ch.Revision
	e.Attributes["admitted_policy_revision"] = c.Admissions[0].PolicyRevision
	if len(reasons) > 0 {
		e.Violations = reasons
	} else {
		e.Violations = []string{"policy revision " + ch.Revision + " denies"}
	}
	e.Reason = fmt.Sprintf("admitted by decision %s under policy revision %s; denied by revision %s",
		c.Admissions[0].DecisionID, c.Admissions[0].PolicyRevision, ch.Revision)
	if ch.Reason != "" {
		e.Reason += ": " + ch.Reason
	}
	return e
}
