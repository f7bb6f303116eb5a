package policy

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/ztci/ztci/audit"
)

// DefaultQuery is the decision the evaluator asks for unless [WithQuery]
// says otherwise. The built-in library defines it.
const DefaultQuery = "data.ztci.main.decision"

// Option configures [New].
type Option func(*config) error

type config struct {
	query   string
	mode    Mode
	log     *slog.Logger
	sink    audit.Sink
	checker audit.CompromiseChecker
	reload  time.Duration
	maxAge  time.Duration
	now     func() time.Time
	evalTO  time.Duration
}

// DefaultEvalTimeout bounds one policy evaluation unless [WithEvalTimeout]
// says otherwise. A policy over the built-in library decides in
// milliseconds; five seconds leaves room for a large policy over a
// [MaxInputBytes] input while keeping what one request can hold — a
// core, and the memory a runaway rule allocates until OPA notices the
// deadline — small. It is half of policy/gate's default decision budget
// (10s, which also covers verification and audit), so the gate's default
// is not undercut by it.
const DefaultEvalTimeout = 5 * time.Second

// WithEvalTimeout bounds how long one evaluation of the policy may run
// (default [DefaultEvalTimeout]), whatever deadline the caller's context
// carries, or none (context.Background()): the earlier of the two ends it.
// An evaluation cut off is a no-decision error ([ErrEvaluation], also
// matching context.DeadlineExceeded): a deny, audited like every other.
// The bound covers the policy's evaluation only, not the audit write.
// Raise it for a policy that needs longer; it cannot be turned off.
func WithEvalTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: evaluation timeout %v", ErrInvalidOption, d)
		}
		c.evalTO = d
		return nil
	}
}

// WithQuery sets the Rego reference to the decision rule, e.g.
// "data.acme.deploy.decision". The rule must produce an object
// {"allow": boolean, "violations": [{"rule": string, "message": string,
// "value": any}, ...]} (violations may be an array or a set) and no other
// member.
func WithQuery(ref string) Option {
	return func(c *config) error {
		r, err := ast.ParseRef(ref)
		if err != nil || !r.HasPrefix(ast.DefaultRootRef) || !r.IsGround() {
			return fmt.Errorf("%w: query %q is not a ground reference under data", ErrInvalidOption, ref)
		}
		c.query = ref
		return nil
	}
}

// WithMode sets the mode: [Enforce] (the default), [Warn] or [DryRun].
func WithMode(m Mode) Option {
	return func(c *config) error {
		if !m.Valid() {
			return fmt.Errorf("%w: mode %q", ErrInvalidOption, m)
		}
		c.mode = m
		return nil
	}
}

// WithLogger sets the logger for diagnostics (reloads, dry-run verdicts).
// The default discards.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrInvalidOption)
		}
		c.log = l
		return nil
	}
}

// WithAudit records every decision (and every reload) to s. When s
// fails, Evaluate fails closed with [ErrAudit], except in [DryRun] mode.
func WithAudit(s audit.Sink) Option {
	return func(c *config) error {
		if s == nil {
			return fmt.Errorf("%w: nil audit sink", ErrInvalidOption)
		}
		c.sink = s
		return nil
	}
}

// WithCompromiseChecker denies, in every mode and before any policy runs,
// a job whose identity (Input.Job.ID), repository or repository owner
// checker reports compromised ([audit.ActorCompromised], [audit.MarkIDs]).
func WithCompromiseChecker(checker audit.CompromiseChecker) Option {
	return func(c *config) error {
		if checker == nil {
			return fmt.Errorf("%w: nil compromise checker", ErrInvalidOption)
		}
		c.checker = checker
		return nil
	}
}

// WithReloadInterval reloads the policy from its Source every d in the
// background until [Engine.Close]. A reload that fails keeps the last good
// policy (until [WithMaxAge], if set); see [Engine.Reload].
func WithReloadInterval(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: reload interval %v", ErrInvalidOption, d)
		}
		c.reload = d
		return nil
	}
}

// WithMaxAge bounds how long the Engine decides with a policy no load
// has confirmed: once the latest successful load (by [New] or
// [Engine.Reload], an unchanged policy included) is older than d, Evaluate
// fails with [ErrNoDecision] wrapping [ErrExpired], and so does every
// failed Reload (its error wraps ErrExpired), until a Reload succeeds.
// Without it (the default) a Source that keeps failing, or whose Load
// never returns, keeps the last good policy in force for ever, as
// policy/ocibundle does without its own WithMaxAge; that one measures a
// bundle's signing time, this one any Source's latest load ([Dir],
// [BundleFile], [Merge], ...), and the two may be combined. The policy
// must be reloaded more often than d: [New] refuses a
// [WithReloadInterval] that is not shorter, and without one the caller's
// own Reload calls must renew it.
func WithMaxAge(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: max age %v", ErrInvalidOption, d)
		}
		c.maxAge = d
		return nil
	}
}

// WithClock sets the clock that timestamps audit events and that
// [WithMaxAge] measures against (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrInvalidOption)
		}
		c.now = now
		return nil
	}
}
