package policy

import (
	"fmt"
	"strings"
)

// Mode says what an evaluator does with a policy's verdict.
type Mode string

// Modes. Warn and DryRun do not block: they are for rolling a policy out.
// A compromised identity (see [WithCompromiseChecker]) is denied in every
// mode.
const (
	// Enforce blocks when the policy denies. The default.
	Enforce Mode = "enforce"
	// Warn allows, but reports the policy's violations in the Decision so
	// the caller can show them.
	Warn Mode = "warn"
	// DryRun allows, reports and records (audit) what the policy would have
	// decided; evaluation errors are recorded too and do not block.
	DryRun Mode = "dry-run"
)

// Valid reports whether m is one of the defined modes.
func (m Mode) Valid() bool { return m == Enforce || m == Warn || m == DryRun }

// Decision is the result of an evaluation that reached a verdict.
type Decision struct {
	// Allowed is the effective verdict after the mode is applied. In
	// Enforce mode it is true only if the policy allowed and reported no
	// violation.
	Allowed bool `json:"allowed"`
	// PolicyAllowed is what the policy itself decided, before the mode was
	// applied. It differs from Allowed only in Warn and DryRun modes.
	PolicyAllowed bool `json:"policy_allowed"`
	// Violations explain a deny (or, in Warn and DryRun modes, what would
	// have been denied), in the order the policy produced them.
	Violations []Violation `json:"violations,omitempty"`
	// Revision identifies the policy that decided: the bundle manifest's
	// revision when it has one, otherwise a digest of the policy's modules
	// and data.
	Revision string `json:"revision"`
	// Mode is the mode the evaluator ran in.
	Mode Mode `json:"mode"`
}

// Violation is one reason for a deny.
type Violation struct {
	// Rule is a stable identifier of the rule that fired, e.g.
	// "deploy.signer_not_allowed": printable UTF-8 of at most
	// [MaxRuleBytes] (an Engine refuses any other as a wrong shape).
	Rule string `json:"rule"`
	// Message says, for a person, what is wrong and how to fix it. It may
	// quote the input: quote it in turn before writing it to a log.
	Message string `json:"message"`
	// Value is the offending value from the input, if the rule names one.
	Value any `json:"value,omitempty"`
}

// String returns "rule: message".
func (v Violation) String() string { return v.Rule + ": " + v.Message }

// String summarizes d in one line, e.g.
// "deny mode=enforce rev=r1 violations=[deploy.unverified, deploy.provenance_missing]"
// or "allow mode=enforce rev=r1".
func (d Decision) String() string {
	verdict := "deny"
	if d.Allowed {
		verdict = "allow"
	}
	if len(d.Violations) == 0 {
		return fmt.Sprintf("%s mode=%s rev=%s", verdict, d.Mode, d.Revision)
	}
	rules := make([]string, len(d.Violations))
	for i, v := range d.Violations {
		rules[i] = v.Rule
	}
	return fmt.Sprintf("%s mode=%s rev=%s violations=[%s]", verdict, d.Mode, d.Revision, strings.Join(rules, ", "))
}
