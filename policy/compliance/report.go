package compliance

import (
	"fmt"
	"slices"
	"time"

	"github.com/ztci/ztci/policy"
)

// Decision is one policy decision, as evidence for a report: what the
// gate (or any evaluator of the library) decided, about which artifact,
// under which policy revision, and from which attestations. Fill it from a
// policy.Decision or a gate decision: ID is the decision id (the gate's
// audit event id), Violations and PolicyRevision are the decision's.
type Decision struct {
	// ID identifies the decision (required, not blank, and unique in a
	// report as the report writes it: on one line, white space collapsed).
	ID string
	// Action is the input.action decided: "deploy", "pipeline.run",
	// "secrets.release", "kubernetes.admit" or "terraform.apply"
	// (required).
	Action string
	// Subject is what was decided about: an artifact digest
	// ("sha256:…"), a pipeline, a job. Name optionally says it for people
	// (an image reference).
	Subject string
	Name    string
	// Allowed is what the policy itself decided: policy.Decision's
	// PolicyAllowed, not its effective Allowed (the two differ only in
	// the Warn and DryRun modes, which admit what the policy denies). A
	// report reads it for one thing only: a deny without violations is a
	// request the policy did not decide, or one it denied for no reason
	// it gave, which passes no control. Otherwise the violations judge the
	// controls. Given the effective verdict of a Warn or DryRun evaluator,
	// a policy that denies without a violation would pass every control.
	Allowed bool
	// Violations are the decision's violations, in any order.
	Violations []policy.Violation
	// PolicyRevision is the revision of the policy that decided.
	PolicyRevision string
	// Time is when the decision was made.
	Time time.Time
	// Evidence are the verified attestations the decision read.
	Evidence []Evidence
}

// Evidence is one verified attestation a decision read.
type Evidence struct {
	// PredicateType is the attestation's predicate type URI (required).
	PredicateType string
	// Digest identifies the attestation: "sha256:<hex>" of its bundle or
	// of the OCI artifact that carries it.
	Digest string
	// Signer is the identity that signed it.
	Signer string
}

// Status is a control's outcome in a report.
type Status string

// Statuses.
const (
	// Pass: every decision of an action whose rules enforce the control
	// judged it, and none failed it. In a release of two artifacts, one
	// passing and one the policy never decided (or that lacked the
	// evidence the control's rules need), the control is not assessed:
	// it holds for one artifact, and a release is only as compliant as
	// its least assessed artifact.
	Pass Status = "pass"
	// Fail: a decision carries a violation of a rule that enforces the
	// control.
	Fail Status = "fail"
	// NotAssessed: no decision failed the control, and some decision of
	// an action whose rules enforce it (or of an action no rule of the
	// catalog enforces a control for) did not judge it (or there was
	// none): it lacked the evidence the rules need, or was denied without
	// a violation (never decided), by input validation or by a rule the
	// catalog does not map ([ControlResult.Unassessed] names them).
	NotAssessed Status = "not-assessed"
)

// Report is the compliance of a release or an artifact: every control of
// the catalog with its status and evidence. It is built by [Assess] and
// is not modified afterwards.
type Report struct {
	// Title names what the report is about ("release v1.2.0",
	// "registry.example/app@sha256:…").
	Title string
	// Generated is when the report was made.
	Generated time.Time
	// Frameworks are the catalog's frameworks.
	Frameworks []Framework
	// Controls are every control of the catalog, in catalog order.
	Controls []ControlResult
	// Decisions are the decisions assessed, in the order given.
	Decisions []Decision
	// Unmapped are violations of rules the catalog does not know; each
	// makes its decision inconclusive for every control.
	Unmapped []Failure
}

// ControlResult is one control's outcome and its evidence.
type ControlResult struct {
	Control Control
	Status  Status
	// Decisions are the ids of the decisions that judged the control
	// (passed or failed it), in report order.
	Decisions []string
	// Unassessed are the ids of the decisions of an action whose rules
	// enforce the control (or of an action for which no rule enforces any
	// control) that did not judge it, in report order: each keeps the
	// control from passing.
	Unassessed []string
	// Evidence are the attestations those decisions read (deduplicated by
	// digest, in report order).
	Evidence []Evidence
	// Failures are the violations that fail the control.
	Failures []Failure
	// Rules are the catalog rules that enforce the control.
	Rules []string
}

// Failure is one violation in a report.
type Failure struct {
	Decision string
	Rule     string
	Message  string
}

// Count returns how many controls have each status.
func (r *Report) Count() (pass, fail, notAssessed int) {
	for _, c := range r.Controls {
		switch c.Status {
		case Pass:
			pass++
		case Fail:
			fail++
		default:
			notAssessed++
		}
	}
	return pass, fail, notAssessed
}

// Assess builds the report titled title (not blank) of the decisions,
// against cat, at time at. Decisions must have ids that are not blank and
// stay distinct as the report writes them (on one line, white space
// collapsed: "evt-1" and "evt-1\n" are the same id), and an action that is
// not blank; the evidence a predicate type. Errors wrap ErrDecision.
//
// For each decision and control: a violation of a rule that enforces the
// control fails it; otherwise, if the decision is not a deny without
// violations (a request the policy did not decide) and carries no violation of an
// input-validation rule or of a rule cat does not know, and a rule of the
// decision's action enforces the control and has the evidence it needs
// (Rule.Needs), the decision passes it. Across decisions one fail fails
// the control; else it passes if at least one decision passed it and every
// decision of an action with a rule enforcing it passed it; else it is not
// assessed (fail closed: an artifact nobody assessed is not compliant).
// A decision of an action for which no rule of cat enforces a control
// judges nothing, and counts as unassessed for every control (its id is
// in every ControlResult.Unassessed), so no control passes.
func Assess(cat *Catalog, title string, at time.Time, decisions ...Decision) (*Report, error) {
	if cat == nil {
		return nil, fmt.Errorf("%w: no catalog", ErrDecision)
	}
	if oneLine(title) == "" {
		return nil, fmt.Errorf("%w: the report needs a title that is not blank", ErrDecision)
	}
	// Ids are compared as the report writes them (on one line, see
	// oneLine): "evt-1" and "evt-1\n", or two blank ids, would name two
	// decisions alike, and an assessor could not tell which one failed or
	// left a control not assessed.
	seen := map[string]bool{}
	for i, d := range decisions {
		shown := oneLine(d.ID)
		switch {
		case shown == "":
			return nil, fmt.Errorf("%w: decision %d has no id (or a blank one)", ErrDecision, i)
		case seen[shown]:
			return nil, fmt.Errorf("%w: decision id %q given twice", ErrDecision, truncate(shown))
		case oneLine(d.Action) == "":
			return nil, fmt.Errorf("%w: decision %q has no action (or a blank one)", ErrDecision, truncate(shown))
		}
		seen[shown] = true
		for _, e := range d.Evidence {
			if oneLine(e.PredicateType) == "" {
				return nil, fmt.Errorf("%w: decision %q: evidence without a predicate type (or a blank one)", ErrDecision, truncate(d.ID))
			}
		}
	}
	r := &Report{Title: title, Generated: at.UTC(), Frameworks: cat.Frameworks(), Decisions: cloneDecisions(decisions)}
	results := make([]ControlResult, len(cat.controls))
	for i, ctl := range cat.controls {
		results[i] = ControlResult{Control: ctl, Status: NotAssessed}
	}
	for _, id := range cat.Rules() {
		for _, ctl := range cat.rules[id].Controls {
			cr := &results[cat.byID[ctl]]
			cr.Rules = append(cr.Rules, id)
		}
	}
	// The evidence already listed for each control: a set, not a scan of
	// the list, so that a release of many decisions with many
	// attestations each costs linear time, not quadratic (a thousand
	// decisions of ten attestations took seconds).
	listed := make([]map[Evidence]bool, len(results))
	for _, d := range r.Decisions {
		judged := map[int]Status{}
		// A deny without a violation is a request the policy never
		// decided (a refused token, a registry error, an engine that
		// could not answer): no rule ran, so it passes no control.
		inconclusive := !d.Allowed && len(d.Violations) == 0
		for _, v := range d.Violations {
			rule, ok := cat.rules[v.Rule]
			if !ok {
				r.Unmapped = append(r.Unmapped, Failure{Decision: d.ID, Rule: v.Rule, Message: v.Message})
				inconclusive = true
				continue
			}
			if len(rule.Controls) == 0 {
				inconclusive = true
			}
			for _, ctl := range rule.Controls {
				i := cat.byID[ctl]
				judged[i] = Fail
				results[i].Failures = append(results[i].Failures, Failure{Decision: d.ID, Rule: v.Rule, Message: v.Message})
			}
		}
		if !inconclusive {
			for _, rule := range cat.rules {
				if rule.Action != d.Action || !cat.has(d.Evidence, rule.Needs) {
					continue
				}
				for _, ctl := range rule.Controls {
					if i := cat.byID[ctl]; judged[i] != Fail {
						judged[i] = Pass
					}
				}
			}
		}
		// A control the decision's action enforces but the decision did
		// not judge keeps the control from passing (see [Pass]). A
		// decision of an action no rule enforces a control for (a
		// misspelt action, one the catalog does not map) judged nothing
		// at all: it keeps every control from passing, rather than
		// leaving the others' passes to speak for its artifact.
		unmappedAction := !cat.judges(d.Action)
		unassessed := map[int]bool{}
		for _, rule := range cat.rules {
			for _, ctl := range rule.Controls {
				if i := cat.byID[ctl]; (unmappedAction || rule.Action == d.Action) && judged[i] == "" && !unassessed[i] {
					unassessed[i] = true
					results[i].Unassessed = append(results[i].Unassessed, d.ID)
				}
			}
		}
		for i, st := range judged {
			cr := &results[i]
			if st == Fail || cr.Status == NotAssessed {
				cr.Status = st
			}
			cr.Decisions = append(cr.Decisions, d.ID)
			if listed[i] == nil {
				listed[i] = map[Evidence]bool{}
			}
			for _, e := range d.Evidence {
				if !listed[i][e] {
					listed[i][e] = true
					cr.Evidence = append(cr.Evidence, e)
				}
			}
		}
	}
	for i := range results {
		if results[i].Status == Pass && len(results[i].Unassessed) > 0 {
			results[i].Status = NotAssessed
		}
	}
	r.Controls = results
	return r, nil
}

// judges reports whether a rule of action enforces a control.
func (c *Catalog) judges(action string) bool {
	for _, r := range c.rules {
		if r.Action == action && len(r.Controls) > 0 {
			return true
		}
	}
	return false
}

// has reports whether evidence holds an attestation of kind (always, for
// the empty kind).
func (c *Catalog) has(evidence []Evidence, kind string) bool {
	if kind == "" {
		return true
	}
	types := c.evidence[kind]
	return slices.ContainsFunc(evidence, func(e Evidence) bool { return slices.Contains(types, e.PredicateType) })
}

func cloneDecisions(ds []Decision) []Decision {
	out := make([]Decision, len(ds))
	for i, d := range ds {
		d.Violations = slices.Clone(d.Violations)
		d.Evidence = slices.Clone(d.Evidence)
		d.Time = d.Time.UTC()
		out[i] = d
	}
	return out
}
