package audit

import (
	"time"
)

// Outcome is the result of the audited action.
type Outcome string

// Outcomes. Allow and Deny are for decisions; Success and Failure for
// operations that were attempted; Error for "could not decide", which callers
// treat as a deny.
const (
	OutcomeAllow   Outcome = "allow"
	OutcomeDeny    Outcome = "deny"
	OutcomeSuccess Outcome = "success"
	OutcomeFailure Outcome = "failure"
	OutcomeError   Outcome = "error"
)

// Event is one audited fact: who did what to which resource, what was decided
// and why, when, and how it correlates with the job and trace around it.
//
// Event carries no secret values by contract: producers put names, lease ids
// and digests in it, never credentials or tokens.
type Event struct {
	// ID uniquely identifies the event; sinks use it to de-duplicate.
	ID string `json:"id"`
	// Time is when the action happened, in UTC.
	Time time.Time `json:"time"`
	// Source names the component that emitted the event, e.g. "ztci/secrets".
	Source string `json:"source"`
	// Action is a dotted verb, e.g. "secrets.lease.issue" or "policy.evaluate".
	Action string `json:"action"`
	// Outcome is what came of the action.
	Outcome Outcome `json:"outcome"`
	// Actor is who acted.
	Actor Actor `json:"actor"`
	// Resource is what was acted on, e.g. "secret:db-password" or an image
	// digest.
	Resource string `json:"resource,omitempty"`
	// Reason explains the outcome in one sentence.
	Reason string `json:"reason,omitempty"`
	// PolicyRevision names the policy that decided, when a policy did.
	PolicyRevision string `json:"policy_revision,omitempty"`
	// Violations lists the rule ids or messages that caused a deny.
	Violations []string `json:"violations,omitempty"`
	// Correlation ties the event to the job, run and trace it belongs to.
	Correlation Correlation `json:"correlation,omitzero"`
	// Attributes holds further non-secret details.
	Attributes map[string]string `json:"attributes,omitempty"`
}

// Actor identifies who acted. ID is a stable identifier: a SPIFFE ID, or
// "<issuer>#<subject>" for an OIDC identity, or a human user name.
type Actor struct {
	ID string `json:"id"`
	// Kind is "workload", "job", "user" or "service".
	Kind string `json:"kind,omitempty"`
	// Claims holds normalized, non-secret identity claims (repository, ref...).
	Claims map[string]string `json:"claims,omitempty"`
}

// Correlation ties an event to its surroundings.
type Correlation struct {
	JobID   string `json:"job_id,omitempty"`
	RunID   string `json:"run_id,omitempty"`
	TraceID string `json:"trace_id,omitempty"`
}
