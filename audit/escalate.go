package audit

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/ztci/ztci/internal/clip"
)

// Severity ranks anomaly rules for [Escalator]: an anomaly whose rule is at
// or above the escalator's threshold marks its identity compromised. The
// zero value is not a severity, so a forgotten setting is an error rather
// than the lowest rank.
type Severity int

// Severities, lowest first.
const (
	SeverityLow Severity = iota + 1
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

func (s Severity) String() string {
	switch s {
	case SeverityLow:
		return "low"
	case SeverityMedium:
		return "medium"
	case SeverityHigh:
		return "high"
	case SeverityCritical:
		return "critical"
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

func (s Severity) valid() bool { return s >= SeverityLow && s <= SeverityCritical }

// Attributes and source of the compromise events an [Escalator] writes,
// beside [AttrCompromisedID], [AttrExpires], [AttrRule] and
// [AttrTriggerEvent].
const (
	// SourceEscalator is the Source, and the Actor ID, of the compromise
	// events an Escalator writes: the kill switch records it as the mark's
	// By, so an operator tells automatic marks from manual ones.
	SourceEscalator = "ztci/audit/escalator"
	// AttrSeverity is the severity the anomaly's rule was ranked at.
	AttrSeverity = "severity"
	// AttrAnomalyEvent is the id of the anomaly event that was escalated.
	AttrAnomalyEvent = "anomaly_event_id"
)

// MaxQuarantine bounds [WithQuarantine]: an automatic mark longer than a
// week is a permanent mark in practice, and a permanent mark is an
// operator's decision ([KillSwitch.Mark]), not a detector's.
const MaxQuarantine = 7 * 24 * time.Hour

// Bounds of [WithEscalationLimit].
const (
	// DefaultEscalationsPerOwner is how many identities of one owner
	// (see [Escalator]) an Escalator quarantines at a time, per severity
	// (see [WithEscalationLimit]).
	DefaultEscalationsPerOwner = 20
	// DefaultEscalations is how many identities an Escalator quarantines
	// at a time in all, per severity.
	DefaultEscalations = 1000
	// MaxEscalations bounds the total of [WithEscalationLimit]: with four
	// severities an Escalator holds at most four times as many live marks,
	// and remembers as many.
	MaxEscalations = 100_000
)

// ErrEscalationLimit: an [Escalator] did not quarantine an identity because
// the identities of its owner, or all identities, already hold as many
// automatic marks as [WithEscalationLimit] allows. It is an [ErrSink]: the
// quarantine was not recorded, and the anomaly must not be dropped
// silently. See [EscalationLimitError].
var ErrEscalationLimit = fmt.Errorf("%w: escalation limit reached", ErrSink)

// EscalationLimitError is the error of an [Escalator.Write] refused by the
// escalation limit. It wraps [ErrEscalationLimit].
type EscalationLimitError struct {
	// Owner is true when the owner's budget was spent, false when the
	// total was.
	Owner bool
	// Severity is the anomaly's severity; the live marks of at least this
	// severity filled the budget.
	Severity Severity
	// Limit is the budget that was spent.
	Limit int
}

func (e *EscalationLimitError) Error() string {
	scope := "in all"
	if e.Owner {
		scope = "of the owner"
	}
	return fmt.Sprintf("%v: %d identities %s already quarantined at severity %s or above", ErrEscalationLimit, e.Limit, scope, e.Severity)
}

func (e *EscalationLimitError) Unwrap() error { return ErrEscalationLimit }

// WithEscalationLimit bounds how many identities [NewEscalator] holds
// quarantined at a time (default [DefaultEscalationsPerOwner] per owner,
// [DefaultEscalations] in all): perOwner for the identities of one owner,
// total for all. 0 < perOwner <= total <= [MaxEscalations]. See
// [Escalator] for what an owner is and what happens at the limit.
func WithEscalationLimit(perOwner, total int) Option {
	return Option{"WithEscalationLimit", forEscalator, func(o *options) error {
		if perOwner <= 0 || total < perOwner || total > MaxEscalations {
			return fmt.Errorf("want 0 < perOwner <= total <= %d, got %d, %d", MaxEscalations, perOwner, total)
		}
		o.escalation.perOwner, o.escalation.total = perOwner, total
		return nil
	}}
}

// serviceKind is the Actor.Kind of events a component writes about its own
// work, which [Escalator] never marks.
const serviceKind = "service"

// escalation is NewEscalator's share of the package's options.
type escalation struct {
	threshold  Severity
	quarantine time.Duration
	severities map[string]Severity // per-rule overrides; nil: none
	perOwner   int
	total      int
}

func defaultEscalation() escalation {
	// Out of the box only burst anomalies, and rules the escalator does
	// not know, mark an identity, for an hour.
	return escalation{threshold: SeverityHigh, quarantine: time.Hour,
		perOwner: DefaultEscalationsPerOwner, total: DefaultEscalations}
}

// DefaultSeverity returns the severity [NewEscalator] gives rule unless
// [WithRuleSeverity] overrides it:
//
//   - burst: high. A sudden volume far above the identity's usual rate is
//     what a stolen credential driven by a script looks like, the harm
//     (secrets read, artifacts pushed) grows with every minute, and the
//     threshold is an absolute rate, so busy but normal identities are
//     tuned out with [WithBurst] rather than by ranking the rule down.
//   - first_seen: medium. A new (action, resource) pair is also what every
//     legitimate change looks like (a new deploy target, a new secret), so
//     marking on it alone would quarantine ordinary work.
//   - off_hours: low. Releases, on-call fixes and time zones make it the
//     noisiest rule; it is context for a human, not grounds for a denial.
//   - any other rule: critical. A rule the escalator does not know comes
//     from a newer or custom detector; ranking it low would turn a new
//     detection into silence. It marks at every threshold unless
//     [WithRuleSeverity] ranks it — fail closed, and the mark is a bounded,
//     audited quarantine, so the cost of a false positive is an hour's
//     denial of one identity or an operator's Clear.
func DefaultSeverity(rule string) Severity {
	switch rule {
	case RuleBurst:
		return SeverityHigh
	case RuleFirstSeen:
		return SeverityMedium
	case RuleOffHours:
		return SeverityLow
	}
	return SeverityCritical
}

// WithRuleSeverity ranks the anomaly rule at s for [NewEscalator],
// overriding [DefaultSeverity]; rule may also be one of a custom detector.
// Ranking the same rule twice is an error: which one was meant?
func WithRuleSeverity(rule string, s Severity) Option {
	return Option{"WithRuleSeverity", forEscalator, func(o *options) error {
		if rule == "" || !s.valid() {
			return fmt.Errorf("want a rule and a severity from low to critical, got %q, %v", rule, s)
		}
		if _, dup := o.escalation.severities[rule]; dup {
			return fmt.Errorf("rule %q ranked twice", rule)
		}
		if o.escalation.severities == nil {
			o.escalation.severities = map[string]Severity{}
		}
		o.escalation.severities[rule] = s
		return nil
	}}
}

// WithEscalationThreshold sets the lowest severity at which [NewEscalator]
// marks an identity (default high: burst anomalies and unknown rules, see
// [DefaultSeverity]).
func WithEscalationThreshold(s Severity) Option {
	return Option{"WithEscalationThreshold", forEscalator, func(o *options) error {
		if !s.valid() {
			return fmt.Errorf("want a severity from low to critical, got %v", s)
		}
		o.escalation.threshold = s
		return nil
	}}
}

// WithQuarantine sets how long an automatic mark of [NewEscalator] lasts
// (default one hour; at most [MaxQuarantine]). It cannot be zero: an
// automatic mark always lapses.
func WithQuarantine(d time.Duration) Option {
	return Option{"WithQuarantine", forEscalator, func(o *options) error {
		if d <= 0 || d > MaxQuarantine {
			return fmt.Errorf("want 0 < d <= %v, got %v", MaxQuarantine, d)
		}
		o.escalation.quarantine = d
		return nil
	}}
}

// Escalator turns anomalies into kill-switch marks: it is a [Sink] for a
// [Detector]'s output that, for each anomaly event (Action
// [ActionAnomalyPrefix] + rule) whose rule is ranked at or above its
// threshold, writes one [ActionCompromiseDetected] event naming the
// anomaly's Actor.ID to out — a [KillSwitch], a fleet-wide
// github.com/ztci/ztci/audit/natskill Switch, or a [FanOut] of one with a
// log. Other events, and anomalies below the threshold, are ignored: the
// escalator forwards nothing else, so wire it beside the sink that keeps
// the anomalies, e.g. NewDetector(FanOut(alerts, escalator)).
//
// An automatic mark is a bounded quarantine, not a verdict. It lapses
// after [WithQuarantine] (default one hour) unless an operator confirms it
// with a mark of their own: a detector's false positive then costs one
// identity an hour of denials, and an attacker who can shape the audit
// stream cannot deny an identity for good. The quarantine runs from the
// anomaly's Time (the trigger event's), so that replaying a stream writes
// the same mark with the same expiry; the escalator's clock only caps it,
// so a trigger dated in the future cannot stretch a mark beyond
// [WithQuarantine] from now. An anomaly whose quarantine has already
// lapsed (an old one, replayed) marks nothing: its mark would be inert.
//
// The event names no kind of identity, so natskill marks it as a job
// identity, which is what its Compromised consults for an Actor ID. Both
// switches hold one mark per identity and never shorten a live one
// ([KillSwitch.Mark]): an automatic mark of an identity an operator already
// marked for longer leaves the operator's mark as it is.
//
// The compromise event's ID is the anomaly's ID plus "/escalated", so a
// replayed anomaly yields the same event, which a de-duplicating sink
// (natsink) stores once, and the same mark. Its Reason names the rule, the
// severity and the trigger event; its Attributes carry them, the anomaly
// id and the expiry. It carries no value from the trigger event beyond ids.
//
// An anomaly whose Actor.Kind is "service" marks nothing (it is logged):
// a service's events (a verifier's verdicts, the SVID issuer's issuances)
// record work it does for its callers, so their rate and their (action,
// resource) pairs are the callers' doing, and a burst of them is what
// many jobs, or one attacker's, produce. Marking the service would let
// any caller deny it to the whole fleet for the quarantine, again and
// again. A stolen service credential is used elsewhere, where the events
// name it as a "workload" or "job", and those are escalated. Actor.Kind is
// the producer's word, copied from the event that triggered the anomaly:
// escalate only the anomalies of a Detector fed by trusted producers, or
// a job that writes its own events labelled "service" is never marked.
//
// Like the kill switch, the escalator trusts what it is given: whoever can
// write an anomaly event to it can quarantine any identity. Source is not
// authentication; feed it only a detector's output.
//
// The escalator bounds the marks it holds live ([WithEscalationLimit]):
// each mark is an entry in every replica's kill-switch view and in the
// fleet's bucket, and an attacker who can raise anomalies for many fresh
// identities (a branch per job, a repository per identity) would otherwise
// grow both without end. The budget is per owner, then in all. An
// identity's owner is its repository's owner ("repository_owner_id", else
// the part of "repository" before its last '/', as [WithOwnerBurst]
// groups them) under the identity's issuer or SPIFFE trust domain; with no
// owner, its repository; with neither, the issuer or trust domain itself.
// So one organisation's flood spends its own budget and no other's, and
// only a flood across more owners than the total allows reaches the
// others. Within a budget severity ranks: an anomaly is refused only when
// the live marks of its severity or above fill it, so a flood of burst
// anomalies (high) never crowds out a critical one. Marking an identity
// that already holds a live mark of the escalator adds no entry and is
// never refused. A mark counts until its expiry, by the escalator's clock.
// A refused quarantine is not dropped silently: Write returns an
// [*EscalationLimitError] (an [ErrSink], so a detector fed inline fails
// the audited action, which is failing closed), and the escalator logs an
// error once per owner, and once for the total, per window. The limit is
// on automatic marks only; an operator's [KillSwitch.Mark] has none.
type Escalator struct {
	out    Sink
	esc    escalation
	now    func() time.Time
	logger *slog.Logger

	mu     sync.Mutex
	live   map[string]*liveMark // by identity: the marks counted
	warned map[string]time.Time // owner ("" for the total) -> last logged refusal
}

// liveMark is a mark of the escalator that counts toward the limit until
// until.
type liveMark struct {
	owner string
	sev   Severity
	until time.Time
}

var _ Sink = (*Escalator)(nil)

// NewEscalator returns an escalator writing compromise events to out.
// Options: [WithEscalationThreshold], [WithRuleSeverity], [WithQuarantine],
// [WithEscalationLimit], [WithClock], [WithLogger].
func NewEscalator(out Sink, opts ...Option) (*Escalator, error) {
	if out == nil {
		return nil, fmt.Errorf("%w: NewEscalator: nil output sink", ErrConfig)
	}
	o, err := build(forEscalator, opts)
	if err != nil {
		return nil, err
	}
	return &Escalator{out: out, esc: o.escalation, now: o.now, logger: o.logger,
		live: map[string]*liveMark{}, warned: map[string]time.Time{}}, nil
}

// Write escalates e if it is an anomaly ranked at or above the threshold,
// and returns nil for every other event. An anomaly the escalation limit
// refuses is an [*EscalationLimitError] and marks nothing. An anomaly that fails
// [Event.Validate] (no Actor.ID: no one to mark) is a [*FieldError] and
// marks nothing. An error of out is returned wrapping [ErrSink] and out's
// error: the escalation may not have been recorded, and a caller (the
// detector, a feeder) must not drop it silently.
func (x *Escalator) Write(ctx context.Context, e Event) error {
	rule, ok := strings.CutPrefix(e.Action, ActionAnomalyPrefix)
	if !ok {
		return nil
	}
	if err := e.Validate(); err != nil {
		return err
	}
	if e.Actor.Kind == serviceKind {
		// A service's events record the work it did for its callers, so
		// their volume and pairs are the callers' doing: marking it would
		// let any caller deny the service (a verifier, the SVID issuer)
		// to the fleet. A stolen service credential acts elsewhere, in
		// events that name it as a workload.
		x.logger.InfoContext(ctx, "audit escalator: anomaly of a service not escalated", "anomaly", e.ID, "rule", rule, "id", e.Actor.ID)
		return nil
	}
	sev, ok := x.esc.severities[rule]
	if !ok {
		sev = DefaultSeverity(rule)
	}
	if sev < x.esc.threshold {
		x.logger.DebugContext(ctx, "audit escalator: anomaly below threshold", "anomaly", e.ID, "rule", rule, "severity", sev.String(), "threshold", x.esc.threshold.String())
		return nil
	}
	now := x.now()
	at := e.Time
	if at.After(now) {
		at = now
	}
	until := at.Add(x.esc.quarantine)
	if !until.After(now) {
		x.logger.InfoContext(ctx, "audit escalator: anomaly's quarantine already lapsed, not marking", "anomaly", e.ID, "rule", rule, "id", e.Actor.ID)
		return nil
	}
	trigger := e.Attributes[AttrTriggerEvent]
	if trigger == "" {
		trigger = e.ID
	}
	c := Event{
		ID:      e.ID + "/escalated",
		Time:    at.UTC(),
		Source:  SourceEscalator,
		Action:  ActionCompromiseDetected,
		Outcome: OutcomeSuccess,
		Actor:   Actor{ID: SourceEscalator, Kind: "service"},
		// Reason is bounded: natskill refuses reasons over 4 KiB, and the
		// attributes carry the full ids.
		Reason: fmt.Sprintf("automatic quarantine: %.128q anomaly (severity %s) raised by event %.256q",
			rule, sev, trigger),
		Resource:    e.Actor.ID,
		Correlation: e.Correlation,
		Attributes: map[string]string{
			AttrCompromisedID: e.Actor.ID,
			AttrExpires:       until.UTC().Format(time.RFC3339Nano),
			AttrRule:          rule,
			AttrSeverity:      sev.String(),
			AttrTriggerEvent:  trigger,
			AttrAnomalyEvent:  e.ID,
		},
	}
	if err := x.admit(ctx, e, rule, sev, now, until); err != nil {
		return err
	}
	if err := x.out.Write(ctx, c); err != nil {
		return fmt.Errorf("%w: escalator: mark of %q for anomaly %q not written: %w", ErrSink, e.Actor.ID, e.ID, err)
	}
	x.logger.WarnContext(ctx, "audit escalator: identity quarantined", "id", e.Actor.ID, "rule", rule, "severity", sev.String(), "anomaly", e.ID, "until", until)
	return nil
}

// escalationOwner returns the owner whose budget a mark of a spends (see
// [Escalator]).
func escalationOwner(a Actor) string {
	scope, repo, owner := repositoryKey(a)
	switch {
	case owner != "":
		return scope + "\x00owner:" + owner
	case repo != "":
		return scope + "\x00repo:" + repo
	}
	return scope
}

// admit counts a mark of e's identity until until against the limit, or
// refuses it with an [*EscalationLimitError]. A mark that out then fails to
// write still counts: its retry (the same identity) is a re-mark, which is
// free, and a failing output cannot be used to reset the count.
func (x *Escalator) admit(ctx context.Context, e Event, rule string, sev Severity, now, until time.Time) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	for id, m := range x.live {
		if !m.until.After(now) {
			delete(x.live, id)
		}
	}
	for o, at := range x.warned {
		if !at.Add(x.esc.quarantine).After(now) {
			delete(x.warned, o)
		}
	}
	id := e.Actor.ID
	if m, ok := x.live[id]; ok {
		// One identity holds one mark: no new entry. It keeps the longer
		// expiry and the higher severity, as the switch keeps the mark.
		if until.After(m.until) {
			m.until = until
		}
		m.sev = max(m.sev, sev)
		return nil
	}
	owner := escalationOwner(e.Actor)
	var ofOwner, all int
	for _, m := range x.live {
		if m.sev < sev {
			continue
		}
		all++
		if m.owner == owner {
			ofOwner++
		}
	}
	var le *EscalationLimitError
	key := owner
	switch {
	case ofOwner >= x.esc.perOwner:
		le = &EscalationLimitError{Owner: true, Severity: sev, Limit: x.esc.perOwner}
	case all >= x.esc.total:
		le = &EscalationLimitError{Severity: sev, Limit: x.esc.total}
		key = ""
	}
	if le != nil {
		if _, done := x.warned[key]; !done {
			x.warned[key] = now
			x.logger.ErrorContext(ctx, "audit escalator: escalation limit reached, identity NOT quarantined (further refusals this window are not logged; Write returns them)",
				"id", id, "rule", rule, "severity", sev.String(), "anomaly", e.ID, "owner_limit", le.Owner, "limit", le.Limit)
		}
		return fmt.Errorf("escalator: mark of %s for anomaly %s: %w", clip.Quote(id, 256), clip.Quote(e.ID, 256), le)
	}
	x.live[id] = &liveMark{owner: owner, sev: sev, until: until}
	return nil
}
