// Package otelsink is an [audit.Sink] that emits audit events as
// OpenTelemetry log records, so that they reach whatever log pipeline a
// vendor runs (an OpenTelemetry Collector, a SIEM behind it).
//
// The sink emits through the OpenTelemetry logs API
// (go.opentelemetry.io/otel/log): the provider, its exporter and limits
// are the vendor's choice, made by the [log.LoggerProvider] passed to
// [New]. It reads no global provider. Package audit links no
// OpenTelemetry; only this subpackage does, and only its API. A processor
// tells Write whether its record was exported by calling [Acknowledge];
// audit/otelsink/ackprocessor (which links the log SDK) is one:
//
//	p, err := ackprocessor.New(exporter) // e.g. otlploghttp.New(...)
//	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(p)) // audit records only
//	sink, err := otelsink.New(lp, otelsink.WithHMAC(h), otelsink.WithAcknowledgement())
//	g, err := gate.New(jobTokens, verifiers, evaluator, audit.FanOut(auditLog, sink))
//
// # Record mapping
//
// One event is one log record:
//
//	Timestamp          event time (UTC)
//	ObservedTimestamp  when Write ran
//	EventName          action, e.g. "gate.decide"
//	Severity           allow, success → INFO (9); deny, failure → WARN (13);
//	                   error → ERROR (17); SeverityText "INFO", "WARN", "ERROR"
//	Body               the event's stable JSON (audit.Encode), a string: the
//	                   same bytes package audit logs and hashes
//
// and attributes, each present only when the field is set:
//
//	ztci.audit.id, .source, .action, .outcome       strings
//	ztci.audit.actor.id, .actor.kind                strings
//	ztci.audit.actor.claims                         map of strings
//	ztci.audit.resource, .reason, .policy_revision  strings
//	ztci.audit.violations                           string slice
//	ztci.audit.job_id, .run_id, .trace_id           strings (correlation)
//	ztci.audit.attributes                           map of strings
//
// and the event's OCSF class (package audit, "Mapping onto OCSF"), so that a
// SIEM can file the record without parsing the body:
//
//	ocsf.class_uid 6003 (API Activity), ocsf.category_uid 6 (Application
//	Activity), ocsf.activity_id 99 (Other), ocsf.type_uid 600399,
//	ocsf.status_id 1 (Success: allow, success) or 2 (Failure: deny,
//	failure, error), ocsf.disposition_id 1 (Allowed) or 2 (Blocked) for
//	allow and deny only.
//
// A record carries no trace id, span id or trace flags unless the sink was
// made [WithTraceContext]: then they are the span's in the context given
// to Write, as the SDK reads it. The gate's context is its request's, and
// a middleware that continues the caller's trace (a traceparent header)
// lets a job choose them (before, records always carried them).
// Correlation.TraceID is carried as an attribute either way.
//
// # Security contract
//
//   - Events carry no secrets by contract (package audit). Fields that
//     identify people or hold sensitive values are hidden with [WithHMAC]:
//     the sink hashes them before it builds the record, so neither the body
//     nor any attribute carries their values, and records stay joinable.
//     A log pipeline is usually read by more people than the audit log:
//     hash at least what the audit log itself hashes.
//   - An event that [audit.Encode] rejects (missing fields, over
//     [audit.MaxEventSize]) is refused with [audit.ErrInvalidEvent] and
//     emits nothing; so each record is bounded.
//   - The body is the record of the event; the attributes are an index.
//     A provider with an attribute value length limit
//     (sdklog.WithAttributeValueLengthLimit,
//     OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT) cuts every attribute
//     string to it without a mark, inside the claims and attributes maps
//     too, while the SDK leaves the body whole: with a limit of 20,
//     ztci.audit.actor.id "https://issuer.example#repo:org/app:..." reads
//     "https://issuer.examp", the same for every job of that issuer, and
//     an attribute count limit (sdklog.WithAttributeCountLimit,
//     OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT, below about 21) drops
//     attributes. The sink cannot see the provider's limits; leave them
//     unset (or the length at least [audit.MaxEventSize]) on a provider
//     that carries audit records, and have alerts and joins that must not
//     be misled read the body. With [WithAcknowledgement] and
//     ackprocessor.Processor a record so cut is not exported and its Write
//     fails with [ErrIncomplete] ([CheckRecord]).
//   - The OpenTelemetry logs API has no acknowledgement: Logger.Emit returns
//     nothing, the SDK sends a processor's errors to its global error
//     handler only, and it drops records when its queue is full or its
//     provider is shut down. With [WithAcknowledgement] over a provider
//     whose processor acknowledges ([Acknowledge]; ackprocessor.Processor
//     does), each record is exported on its own
//     before Write returns, and Write fails with [audit.ErrSink] unless the
//     exporter accepted all of it: an export error (a collector that is
//     down, or refuses the request), an OTLP partial success
//     (rejected_log_records > 0 with a 2xx), a record cut by the SDK's
//     limits ([ErrIncomplete]), a provider shut down or
//     without an acknowledging processor. Without it a nil error from Write means only
//     that the record was handed to the logger. [WithFlush] is weaker:
//     Write fails when the provider's flush reports an export error, but a
//     SimpleProcessor reports none, a concurrent Write's flush or the SDK's
//     own schedule may export (and lose) the record with the error going
//     to the error handler, and a shut-down provider flushes
//     "successfully". The collector's answer reaches Write's error quoted
//     and clipped. Even acknowledged, a collector's pipeline may still drop
//     a record after it answered: this sink is a feed for observability,
//     never the system of record; compose it with a durable sink
//     ([audit.Log]) in [audit.FanOut].
//   - An exporter that retries (the OTLP exporters do, on a timeout or a
//     503) can deliver a record twice, and a Write that failed (its
//     context ended while the collector was answering) may still have
//     been delivered: deduplicate on ztci.audit.id, and order on the
//     record's Timestamp, not on arrival.
//   - With ackprocessor.Processor, records are exported one at a time. A
//     collector that hangs holds one export; every other Write waits no
//     longer than its context allows and then fails with [audit.ErrSink]
//     (the gate denies what it could not audit) rather than queue behind
//     it (before, it waited on a lock whatever its context said, and each
//     write the gate abandoned at its deadline stayed queued, with its
//     event, for as long as the collector hung). Write with a context
//     that has a deadline (the gate's does).
package otelsink
