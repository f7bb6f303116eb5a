package gateotel

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
)

// ScopeName is the instrumentation scope of the meter and tracer the
// Observer obtains from its providers.
const ScopeName = "github.com/ztci/ztci/policy/gate/gateotel"

// Instrument names. The Prometheus exporter of the OTel SDK exposes them as
// ztci_gate_decisions_total, ztci_gate_denials_total,
// ztci_gate_decision_duration_seconds, ztci_gate_rejected_total,
// ztci_gate_verdicts_total and ztci_gate_dry_runs_total.
const (
	MetricDecisions = "ztci.gate.decisions"
	MetricDenials   = "ztci.gate.denials"
	MetricDuration  = "ztci.gate.decision.duration"
	MetricRejected  = "ztci.gate.rejected"
	// MetricVerdicts counts decisions by where their verification verdict
	// came from (gate.Decision.VerdictSource): the cache-hit rate is
	// cached / all.
	MetricVerdicts = "ztci.gate.verdicts"
	// MetricDryRuns counts dry-run decisions (gate.Decision.DryRun) by
	// outcome. A dry run changes nothing, and any job can ask for as many
	// as it likes, so it is counted here only, never in MetricDecisions,
	// MetricDenials, MetricDuration or MetricVerdicts: those count the
	// decisions that admitted or refused a deploy.
	MetricDryRuns = "ztci.gate.dry_runs"
	// SpanName names the span recorded for each decision.
	SpanName = "ztci.gate.decide"
)

// Attribute keys. Every metric attribute value is drawn from a bounded
// set: the three outcomes, at most [DefaultMaxRules] (or [WithMaxRules])
// rule ids besides those named by [WithRules], the gate's error kinds and
// its refusal reasons.
const (
	// AttrDecision is "allow", "deny" or "error".
	AttrDecision = attribute.Key("ztci.gate.decision")
	// AttrRule is a policy rule id (one denial per distinct rule a deny
	// violated; [RuleOther] beyond the Observer's bound) or, for a
	// decision that ended in an error, its kind (see [ErrorKind]).
	AttrRule = attribute.Key("ztci.gate.rule")
	// AttrReason is why a request was refused before any decision:
	// "overloaded", "too_large", "slow_body", "bad_request", "content_type".
	AttrReason = attribute.Key("ztci.gate.reason")
	// AttrVerdictSource is where a decision's verdict came from:
	// "verified", "cached", "shared", "inline" or "vsa".
	AttrVerdictSource = attribute.Key("ztci.gate.verdict_source")
	// AttrDigest is the pinned artifact digest (spans only).
	AttrDigest = attribute.Key("ztci.gate.digest")
	// AttrPolicyRevision is the revision of the policy that decided (spans
	// only).
	AttrPolicyRevision = attribute.Key("ztci.gate.policy_revision")
	// AttrVerified reports whether an attestation verified (spans only).
	AttrVerified = attribute.Key("ztci.gate.verified")
	// AttrDryRun is true on the span of a dry run (spans only; dry runs
	// are counted in [MetricDryRuns]).
	AttrDryRun = attribute.Key("ztci.gate.dry_run")
	// AttrRules lists the rule ids of a deny (spans only).
	AttrRules = attribute.Key("ztci.gate.rules")
)

// Error kinds, the [AttrRule] value of a decision that ended in an error.
const (
	KindBadRequest      = "gate.bad_request"
	KindUnauthenticated = "gate.unauthenticated"
	KindUndecided       = "gate.undecided"
)

// RuleOther is the [AttrRule] value (and the span's [AttrRules] entry) of
// a rule id the Observer does not record by name: one that is not
// printable UTF-8 of at most policy.MaxRuleBytes, or one first seen after
// the Observer already records [WithMaxRules] rule ids of its own. A policy
// may build rule ids from the request (an image name, a repository), and
// each distinct value would otherwise be a time series of its own for as
// long as the process lives.
const RuleOther = "ztci.other"

// ReasonOther is the [AttrReason] value of a refusal whose reason is none
// of the gate's ("overloaded", "too_large", "slow_body", "bad_request",
// "content_type").
const ReasonOther = "other"

// DefaultMaxRules is how many distinct rule ids, besides those named by
// [WithRules], an Observer records by name unless [WithMaxRules] says
// otherwise.
const DefaultMaxRules = 100

// maxSpanRules bounds the rule ids a span lists ([AttrRules]).
const maxSpanRules = 32

// maxSpanText bounds a span's digest and policy revision.
const maxSpanText = 256

// defaultBuckets are the boundaries, in seconds, of the decision duration
// histogram: 100 µs to 10 s, where a cached verdict and a cold registry
// fetch both fall.
var defaultBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// ErrConfig: New was given a nil provider or a bad Option.
var ErrConfig = errors.New("gateotel: invalid configuration")

// Option configures [New]. A nil Option or an unusable value makes New fail
// with [ErrConfig].
type Option func(*config) error

type config struct {
	tp       trace.TracerProvider
	buckets  []float64
	now      func() time.Time
	rules    []string
	maxRules int
}

// WithRules names the policy's rule ids: each is always recorded by name in
// ztci.gate.denials and takes none of the [WithMaxRules] slots, so that a
// flood of other rule ids (built by a policy from what jobs send) cannot
// push them into [RuleOther]. Every id must be printable UTF-8 of at most
// policy.MaxRuleBytes.
func WithRules(ids ...string) Option {
	return func(c *config) error {
		for _, id := range ids {
			if !printable(id, policy.MaxRuleBytes) {
				return fmt.Errorf("rule id %s: want printable UTF-8 of at most %d bytes", clip.Quote(id, 64), policy.MaxRuleBytes)
			}
		}
		c.rules = append(c.rules, ids...)
		return nil
	}
}

// WithMaxRules sets how many distinct rule ids not named by [WithRules] the
// Observer records by name (default [DefaultMaxRules]); later ones count
// as [RuleOther]. 0 records only those of WithRules.
func WithMaxRules(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("max rules %d: want non-negative", n)
		}
		c.maxRules = n
		return nil
	}
}

// WithTracerProvider records a span per decision (not per refusal) through
// tp. Without it the Observer records metrics only.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) error {
		if tp == nil {
			return errors.New("nil TracerProvider")
		}
		c.tp = tp
		return nil
	}
}

// WithBuckets sets the decision duration histogram's boundaries, in
// seconds, strictly increasing.
func WithBuckets(bounds ...float64) Option {
	return func(c *config) error {
		if len(bounds) == 0 {
			return errors.New("no bucket boundaries")
		}
		for i := range bounds {
			if bounds[i] < 0 || (i > 0 && bounds[i] <= bounds[i-1]) {
				return fmt.Errorf("bucket boundaries %v: want non-negative and strictly increasing", bounds)
			}
		}
		c.buckets = append([]float64(nil), bounds...)
		return nil
	}
}

// WithClock sets the clock that dates the end of a decision's span
// (default time.Now); its start is the end less Observation.Elapsed.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("nil clock")
		}
		c.now = now
		return nil
	}
}

// Observer is a [gate.Observer] that records the gate's decisions and
// refusals as OpenTelemetry metrics and, with [WithTracerProvider], spans.
// It is safe for concurrent use and holds no resources: the providers'
// owner flushes and shuts them down.
type Observer struct {
	decisions metric.Int64Counter
	denials   metric.Int64Counter
	duration  metric.Float64Histogram
	rejected  metric.Int64Counter
	verdicts  metric.Int64Counter
	dryRuns   metric.Int64Counter
	tracer    trace.Tracer // nil: no spans
	now       func() time.Time

	// Attribute sets of the three outcomes, built once.
	outcome map[string]metric.MeasurementOption
	// Attribute sets of the verdict sources, built once.
	source map[string]metric.MeasurementOption
	// Attribute sets of the refusal reasons, built once.
	reason map[string]metric.MeasurementOption

	mu       sync.Mutex                          // guards rules and learned
	rules    map[string]metric.MeasurementOption // recorded by name
	learned  int                                 // rules added beyond WithRules
	maxRules int
	other    metric.MeasurementOption // RuleOther
}

var _ gate.Observer = (*Observer)(nil)

// New returns an Observer whose instruments come from mp. mp is required:
// pass a no-op provider (go.opentelemetry.io/otel/metric/noop) to disable
// metrics explicitly.
func New(mp metric.MeterProvider, opts ...Option) (*Observer, error) {
	if mp == nil {
		return nil, fmt.Errorf("%w: nil MeterProvider", ErrConfig)
	}
	c := config{buckets: defaultBuckets, now: time.Now, maxRules: DefaultMaxRules}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil Option", ErrConfig)
		}
		if err := o(&c); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	m := mp.Meter(ScopeName)
	o := &Observer{now: c.now, outcome: map[string]metric.MeasurementOption{}, source: map[string]metric.MeasurementOption{},
		reason: map[string]metric.MeasurementOption{}, rules: map[string]metric.MeasurementOption{}, maxRules: c.maxRules,
		other: ruleSet(RuleOther)}
	var err error
	if o.decisions, err = m.Int64Counter(MetricDecisions,
		metric.WithDescription("Admission decisions by outcome (allow, deny, error)."),
		metric.WithUnit("{decision}")); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrConfig, MetricDecisions, err)
	}
	if o.denials, err = m.Int64Counter(MetricDenials,
		metric.WithDescription("Denials by policy rule id (one per violation) or error kind."),
		metric.WithUnit("{denial}")); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrConfig, MetricDenials, err)
	}
	if o.duration, err = m.Float64Histogram(MetricDuration,
		metric.WithDescription("Time to decide one request (verify, policy, audit)."),
		metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(c.buckets...)); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrConfig, MetricDuration, err)
	}
	if o.rejected, err = m.Int64Counter(MetricRejected,
		metric.WithDescription("Requests refused before a decision (overloaded, too_large, slow_body, bad_request, content_type)."),
		metric.WithUnit("{request}")); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrConfig, MetricRejected, err)
	}
	if o.verdicts, err = m.Int64Counter(MetricVerdicts,
		metric.WithDescription("Decisions by the source of their verification verdict (verified, cached, shared, inline, vsa)."),
		metric.WithUnit("{decision}")); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrConfig, MetricVerdicts, err)
	}
	if o.dryRuns, err = m.Int64Counter(MetricDryRuns,
		metric.WithDescription("Dry-run decisions by outcome (allow, deny, error); not counted in the other decision instruments."),
		metric.WithUnit("{decision}")); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrConfig, MetricDryRuns, err)
	}
	for _, v := range []string{gate.VerdictVerified, gate.VerdictCached, gate.VerdictShared, gate.VerdictInline, gate.VerdictVSA} {
		o.source[v] = metric.WithAttributeSet(attribute.NewSet(AttrVerdictSource.String(v)))
	}
	for _, v := range []string{gate.OutcomeAllow, gate.OutcomeDeny, gate.OutcomeError} {
		o.outcome[v] = metric.WithAttributeSet(attribute.NewSet(AttrDecision.String(v)))
	}
	for _, v := range []string{"overloaded", "too_large", "slow_body", "bad_request", "content_type", ReasonOther} {
		o.reason[v] = metric.WithAttributeSet(attribute.NewSet(AttrReason.String(v)))
	}
	for _, v := range append([]string{KindBadRequest, KindUnauthenticated, KindUndecided, RuleOther}, c.rules...) {
		o.rules[v] = ruleSet(v)
	}
	if c.tp != nil {
		o.tracer = c.tp.Tracer(ScopeName)
	}
	return o, nil
}

// Observe records obs. A refusal counts in ztci.gate.rejected; a decision
// counts in ztci.gate.decisions and the duration histogram, and a deny
// counts once per violated rule (or once under its error kind) in
// ztci.gate.denials (a rule violated twice by one decision counts once, and
// a rule id beyond the Observer's bound as [RuleOther]); a decision that
// reached a verdict counts in
// ztci.gate.verdicts under its source. A dry run counts in
// ztci.gate.dry_runs under its outcome, and nowhere else.
//
// The gate calls Observe without a context, so a span has no parent: it
// starts a trace of its own.
func (o *Observer) Observe(obs gate.Observation) {
	ctx := context.Background()
	if obs.Decision == nil {
		reason, ok := o.reason[obs.Refused]
		if !ok {
			reason = o.reason[ReasonOther]
		}
		o.rejected.Add(ctx, 1, reason)
		return
	}
	d := obs.Decision
	outcome, ok := o.outcome[d.Outcome]
	if !ok {
		// Not one of the gate's outcomes: count it as an error rather than
		// give an unknown string its own time series.
		outcome = o.outcome[gate.OutcomeError]
	}
	if d.DryRun {
		// A dry run admitted or refused nothing: counted apart, so that a
		// job asking for dry runs cannot inflate the allow (or deny)
		// series a dashboard or an alert reads.
		o.dryRuns.Add(ctx, 1, outcome)
		if o.tracer != nil {
			o.span(ctx, obs)
		}
		return
	}
	o.decisions.Add(ctx, 1, outcome)
	o.duration.Record(ctx, obs.Elapsed.Seconds(), outcome)
	// An unknown source is not counted: it would be a series of its own.
	if src, ok := o.source[d.VerdictSource]; ok {
		o.verdicts.Add(ctx, 1, src)
	}
	switch {
	case obs.Err != nil:
		_, set := o.rule(ErrorKind(obs.Err))
		o.denials.Add(ctx, 1, set)
	case !d.Allowed:
		// Once per distinct rule: a policy that reports one violation per
		// finding (a CVE, a layer) must not let one request add thousands
		// to a rule's series.
		seen := make(map[string]bool, len(d.Violations))
		for _, v := range d.Violations {
			rule, set := o.rule(v.Rule)
			if seen[rule] {
				continue
			}
			seen[rule] = true
			o.denials.Add(ctx, 1, set)
		}
	}
	if o.tracer != nil {
		o.span(ctx, obs)
	}
}

// span records one decision as a span dated from its end less Elapsed.
func (o *Observer) span(ctx context.Context, obs gate.Observation) {
	d := obs.Decision
	end := o.now()
	outcome := d.Outcome
	if _, ok := o.outcome[outcome]; !ok {
		outcome = gate.OutcomeError // as counted
	}
	attrs := []attribute.KeyValue{
		AttrDecision.String(outcome),
		AttrVerified.Bool(d.Verified),
	}
	if d.DryRun {
		attrs = append(attrs, AttrDryRun.Bool(true))
	}
	if d.Digest != "" {
		attrs = append(attrs, AttrDigest.String(spanText(d.Digest)))
	}
	if d.PolicyRevision != "" {
		attrs = append(attrs, AttrPolicyRevision.String(spanText(d.PolicyRevision)))
	}
	if len(d.Violations) > 0 {
		attrs = append(attrs, AttrRules.StringSlice(spanRules(d.Violations)))
	}
	_, s := o.tracer.Start(ctx, SpanName,
		trace.WithTimestamp(end.Add(-obs.Elapsed)),
		trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(attrs...))
	if obs.Err != nil {
		// The kind, not the message: the span goes wherever the vendor's
		// exporter sends it, and the kind is all a dashboard needs.
		s.SetStatus(codes.Error, ErrorKind(obs.Err))
	}
	s.End(trace.WithTimestamp(end))
}

// ErrorKind names the class of an error [gate.Gate.Decide] returned:
// [KindBadRequest], [KindUnauthenticated] or [KindUndecided] (for every
// other error too, which the gate treats as a deny).
func ErrorKind(err error) string {
	switch {
	case errors.Is(err, gate.ErrBadRequest):
		return KindBadRequest
	case errors.Is(err, gate.ErrUnauthenticated):
		return KindUnauthenticated
	default:
		return KindUndecided
	}
}

// rule returns the name under which rule is recorded, and its attribute
// set: rule itself if it is printable UTF-8 of at most policy.MaxRuleBytes
// and either named by [WithRules] or one of the first [WithMaxRules]
// others seen, else [RuleOther].
func (o *Observer) rule(rule string) (string, metric.MeasurementOption) {
	if !printable(rule, policy.MaxRuleBytes) {
		return RuleOther, o.other
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if set, ok := o.rules[rule]; ok {
		return rule, set
	}
	if o.learned >= o.maxRules {
		return RuleOther, o.other
	}
	o.learned++
	set := ruleSet(rule)
	o.rules[rule] = set
	return rule, set
}

func ruleSet(rule string) metric.MeasurementOption {
	return metric.WithAttributeSet(attribute.NewSet(AttrRule.String(rule)))
}

// spanRules returns the distinct rule ids of vs, in order, at most
// maxSpanRules of them, an id that is not printable UTF-8 of at most
// policy.MaxRuleBytes as [RuleOther].
func spanRules(vs []policy.Violation) []string {
	out := make([]string, 0, min(len(vs), maxSpanRules))
	for _, v := range vs {
		rule := v.Rule
		if !printable(rule, policy.MaxRuleBytes) {
			rule = RuleOther
		}
		if slices.Contains(out, rule) {
			continue
		}
		if len(out) == maxSpanRules {
			break
		}
		out = append(out, rule)
	}
	return out
}

// spanText returns s if it is printable UTF-8 of at most maxSpanText
// bytes, else s clipped and with every other character escaped as
// strconv.Quote escapes it: a span attribute is exported as an OTLP
// string, which must be valid UTF-8 (an exporter fails the whole batch
// otherwise), and is read on terminals and dashboards.
func spanText(s string) string {
	if printable(s, maxSpanText) {
		return s
	}
	q := strconv.Quote(clip.String(s, maxSpanText))
	return q[1 : len(q)-1]
}

// printable reports whether s is valid UTF-8 of at most n bytes with no
// character that unicode.IsPrint refuses (controls, bidi overrides, line
// separators).
func printable(s string, n int) bool {
	return len(s) <= n && utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) })
}
