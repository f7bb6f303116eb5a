package otelsink

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/trace"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/internal/clip"
)

// ScopeName is the instrumentation scope of the logger the sink obtains
// from its provider.
const ScopeName = "github.com/ztci/ztci/audit/otelsink"

// Attribute keys of a log record (see the package documentation for the
// whole mapping).
const (
	AttrID             = "ztci.audit.id"
	AttrSource         = "ztci.audit.source"
	AttrAction         = "ztci.audit.action"
	AttrOutcome        = "ztci.audit.outcome"
	AttrActorID        = "ztci.audit.actor.id"
	AttrActorKind      = "ztci.audit.actor.kind"
	AttrActorClaims    = "ztci.audit.actor.claims"
	AttrResource       = "ztci.audit.resource"
	AttrReason         = "ztci.audit.reason"
	AttrPolicyRevision = "ztci.audit.policy_revision"
	AttrViolations     = "ztci.audit.violations"
	AttrJobID          = "ztci.audit.job_id"
	AttrRunID          = "ztci.audit.run_id"
	AttrTraceID        = "ztci.audit.trace_id"
	AttrAttributes     = "ztci.audit.attributes"

	AttrOCSFClassUID      = "ocsf.class_uid"
	AttrOCSFCategoryUID   = "ocsf.category_uid"
	AttrOCSFActivityID    = "ocsf.activity_id"
	AttrOCSFTypeUID       = "ocsf.type_uid"
	AttrOCSFStatusID      = "ocsf.status_id"
	AttrOCSFDispositionID = "ocsf.disposition_id"
)

// The OCSF 1.x class every audit event maps onto (package audit's "Mapping
// onto OCSF"): API Activity in the Application Activity category, activity
// Other.
const (
	OCSFClassAPIActivity       = 6003
	OCSFCategoryApplication    = 6
	OCSFActivityOther          = 99
	OCSFTypeAPIActivityOther   = OCSFClassAPIActivity*100 + OCSFActivityOther
	OCSFStatusSuccess          = 1
	OCSFStatusFailure          = 2
	OCSFDispositionAllowed     = 1
	OCSFDispositionBlocked     = 2
	ocsfDispositionUnsupported = 0
)

// ErrConfig: New was given a nil provider, a nil Option or an unusable
// value. It wraps [audit.ErrConfig].
var ErrConfig = fmt.Errorf("%w: otelsink", audit.ErrConfig)

// Flusher pushes out what a provider has buffered and reports whether the
// export succeeded. The SDK's *sdklog.LoggerProvider satisfies it.
type Flusher interface {
	ForceFlush(ctx context.Context) error
}

// Option configures [New]. A nil Option or an unusable value makes New fail
// with [ErrConfig].
type Option func(*config) error

type config struct {
	hmac  *audit.HMAC
	flush Flusher
	ack   bool
	trace bool
	now   func() time.Time
}

// WithHMAC replaces the fields h names by their keyed hashes ([audit.HMAC])
// before anything reaches the logger: neither the body nor an attribute
// carries their values.
func WithHMAC(h *audit.HMAC) Option {
	return func(c *config) error {
		if h == nil {
			return errors.New("nil HMAC")
		}
		c.hmac = h
		return nil
	}
}

// WithFlush makes Write call f.ForceFlush after each record and fail with
// [audit.ErrSink] when it fails. Pass the LoggerProvider given to New. It
// costs one export per event, and it misses losses: a SimpleProcessor
// reports no export error to a flush, and another Write's flush or the
// SDK's schedule may export the record, its error going to the SDK's error
// handler. [WithAcknowledgement] misses none of them.
func WithFlush(f Flusher) Option {
	return func(c *config) error {
		if f == nil {
			return errors.New("nil Flusher")
		}
		c.flush = f
		return nil
	}
}

// WithAcknowledgement makes Write fail with [audit.ErrSink] unless a
// processor of the provider acknowledged the record ([Acknowledge];
// ackprocessor.Processor does) and its exporter accepted all of it: an
// export error, an OTLP partial success, a record the SDK's attribute
// limits cut ([ErrIncomplete]), a provider shut down or without
// an acknowledging processor all fail the Write whose record it was. It is
// the only mode in which a nil error from Write means the record was
// delivered.
func WithAcknowledgement() Option {
	return func(c *config) error {
		c.ack = true
		return nil
	}
}

// WithTraceContext makes each record carry the trace id, span id and trace
// flags of the span in the context given to Write, as the SDK reads them.
// Without it a record carries none: the gate's context is its request's,
// and an HTTP middleware that continues the caller's trace (otelhttp and
// every propagator-based handler do) puts there a trace id and flags the
// job chose in its traceparent header, so a job could file its audit
// records under another job's trace, or mark them unsampled for a
// pipeline that drops unsampled logs. Pass it only when the span in that
// context was not continued from an untrusted caller.
// Correlation.TraceID is carried as an attribute either way.
func WithTraceContext() Option {
	return func(c *config) error {
		c.trace = true
		return nil
	}
}

// WithClock sets the clock of the records' observed timestamp (default
// time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("nil clock")
		}
		c.now = now
		return nil
	}
}

// Sink is an [audit.Sink] that emits each event as an OpenTelemetry log
// record. It is safe for concurrent use and holds no resources: the
// provider's owner flushes and shuts it down.
type Sink struct {
	logger log.Logger
	hmac   *audit.HMAC
	flush  Flusher
	ack    bool
	trace  bool
	now    func() time.Time
}

var _ audit.Sink = (*Sink)(nil)

// New returns a Sink emitting through a logger of lp. lp is required.
func New(lp log.LoggerProvider, opts ...Option) (*Sink, error) {
	if lp == nil {
		return nil, fmt.Errorf("%w: nil LoggerProvider", ErrConfig)
	}
	c := config{now: time.Now}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil Option", ErrConfig)
		}
		if err := o(&c); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	return &Sink{logger: lp.Logger(ScopeName), hmac: c.hmac, flush: c.flush, ack: c.ack, trace: c.trace, now: c.now}, nil
}

// Write emits e as one log record. It fails with [audit.ErrInvalidEvent]
// for an event that [audit.Encode] rejects, and with [audit.ErrSink] when
// ctx is done, (with [WithAcknowledgement]) the record was not exported
// whole, or (with [WithFlush]) the flush fails. Without either option a
// nil error means only that the record was handed to the logger: see the
// package documentation for what each does and does not promise.
func (s *Sink) Write(ctx context.Context, e audit.Event) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: otel: %w", audit.ErrSink, err)
	}
	r, attrs, err := s.record(e)
	if err != nil {
		return err
	}
	// The span the SDK reads the record's trace from; none unless
	// WithTraceContext (deadline and values stay).
	emitCtx := ctx
	if !s.trace {
		emitCtx = trace.ContextWithSpanContext(ctx, trace.SpanContext{})
	}
	if !s.ack {
		s.logger.Emit(emitCtx, r)
	} else {
		a := &ack{attrs: attrs}
		s.logger.Emit(context.WithValue(emitCtx, ackKey{}, a), r)
		if err := a.result(); err != nil {
			return fmt.Errorf("%w: otel: export: %w", audit.ErrSink, clip.Error(err, maxErrText))
		}
	}
	if s.flush != nil {
		if err := s.flush.ForceFlush(ctx); err != nil {
			return fmt.Errorf("%w: otel: flush: %w", audit.ErrSink, clip.Error(err, maxErrText))
		}
	}
	return nil
}

// maxErrText bounds an exporter's error in Write's: it quotes what the
// collector answered (a response body, a partial success's message).
const maxErrText = 512

// record returns the log record Write emits for e: after [WithHMAC], with
// the event's stable JSON as body and its fields as attributes. It fails
// with [audit.ErrInvalidEvent] for an event [audit.Encode] rejects. It
// returns the attributes it added too.
func (s *Sink) record(e audit.Event) (log.Record, []attribute.KeyValue, error) {
	if s.hmac != nil {
		e = s.hmac.Apply(e)
	}
	body, err := audit.Encode(e)
	if err != nil {
		return log.Record{}, nil, fmt.Errorf("otelsink: %w", err)
	}
	var r log.Record
	r.SetTimestamp(e.Time.UTC())
	r.SetObservedTimestamp(s.now().UTC())
	r.SetEventName(e.Action)
	sev, text := severity(e.Outcome)
	r.SetSeverity(sev)
	r.SetSeverityText(text)
	r.SetBody(attribute.StringValue(string(body)))

	attrs := make([]attribute.KeyValue, 0, 24)
	attrs = append(attrs,
		attribute.String(AttrID, e.ID),
		attribute.String(AttrSource, e.Source),
		attribute.String(AttrAction, e.Action),
		attribute.String(AttrOutcome, string(e.Outcome)),
		attribute.String(AttrActorID, e.Actor.ID),
	)
	attrs = appendString(attrs, AttrActorKind, e.Actor.Kind)
	attrs = appendMap(attrs, AttrActorClaims, e.Actor.Claims)
	attrs = appendString(attrs, AttrResource, e.Resource)
	attrs = appendString(attrs, AttrReason, e.Reason)
	attrs = appendString(attrs, AttrPolicyRevision, e.PolicyRevision)
	if len(e.Violations) > 0 {
		attrs = append(attrs, attribute.StringSlice(AttrViolations, e.Violations))
	}
	attrs = appendString(attrs, AttrJobID, e.Correlation.JobID)
	attrs = appendString(attrs, AttrRunID, e.Correlation.RunID)
	attrs = appendString(attrs, AttrTraceID, e.Correlation.TraceID)
	attrs = appendMap(attrs, AttrAttributes, e.Attributes)

	status, disposition := ocsfStatus(e.Outcome)
	attrs = append(attrs,
		attribute.Int(AttrOCSFClassUID, OCSFClassAPIActivity),
		attribute.Int(AttrOCSFCategoryUID, OCSFCategoryApplication),
		attribute.Int(AttrOCSFActivityID, OCSFActivityOther),
		attribute.Int(AttrOCSFTypeUID, OCSFTypeAPIActivityOther),
		attribute.Int(AttrOCSFStatusID, status),
	)
	if disposition != ocsfDispositionUnsupported {
		attrs = append(attrs, attribute.Int(AttrOCSFDispositionID, disposition))
	}
	r.AddAttributes(attrs...)
	return r, attrs, nil
}

func appendString(attrs []attribute.KeyValue, k, v string) []attribute.KeyValue {
	if v == "" {
		return attrs
	}
	return append(attrs, attribute.String(k, v))
}

// appendMap adds m as one map-valued attribute, its keys sorted so that a
// record is the same whatever the map's iteration order.
func appendMap(attrs []attribute.KeyValue, k string, m map[string]string) []attribute.KeyValue {
	if len(m) == 0 {
		return attrs
	}
	keys := make([]string, 0, len(m))
	for mk := range m {
		keys = append(keys, mk)
	}
	slices.Sort(keys)
	kvs := make([]attribute.KeyValue, 0, len(keys))
	for _, mk := range keys {
		kvs = append(kvs, attribute.String(mk, m[mk]))
	}
	return append(attrs, attribute.Map(k, kvs...))
}

// severity maps an outcome onto a log severity: allow and success are
// INFO, deny and failure WARN, error (and anything else) ERROR.
func severity(o audit.Outcome) (log.Severity, string) {
	switch o {
	case audit.OutcomeAllow, audit.OutcomeSuccess:
		return log.SeverityInfo, "INFO"
	case audit.OutcomeDeny, audit.OutcomeFailure:
		return log.SeverityWarn, "WARN"
	default:
		return log.SeverityError, "ERROR"
	}
}

// ocsfStatus maps an outcome onto OCSF status_id and disposition_id, as
// package audit documents.
func ocsfStatus(o audit.Outcome) (status, disposition int) {
	switch o {
	case audit.OutcomeAllow:
		return OCSFStatusSuccess, OCSFDispositionAllowed
	case audit.OutcomeSuccess:
		return OCSFStatusSuccess, ocsfDispositionUnsupported
	case audit.OutcomeDeny:
		return OCSFStatusFailure, OCSFDispositionBlocked
	default:
		return OCSFStatusFailure, ocsfDispositionUnsupported
	}
}
