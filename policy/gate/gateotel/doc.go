// Package gateotel records the deploy gate's decisions as OpenTelemetry
// metrics and traces, through the gate's [gate.Observer] hook.
//
// It links the OpenTelemetry API only (go.opentelemetry.io/otel/metric and
// /trace): which SDK, exporter and backend receive the data is the vendor's
// choice, made by the providers passed in. It reads no global provider.
//
//	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)) // the vendor's SDK
//	obs, err := gateotel.New(mp, gateotel.WithTracerProvider(tp),
//		gateotel.WithRules("deploy.unprotected_ref", "deploy.signer_not_allowed")) // the policy's rule ids
//	g, err := gate.New(jobTokens, verifiers, evaluator, sink, gate.WithObserver(obs))
//
// # Instruments
//
//	ztci.gate.decisions          counter    {decision}  ztci.gate.decision = allow | deny | error
//	ztci.gate.denials            counter    {denial}    ztci.gate.rule = policy rule id, once per rule
//	                                                    a deny violated, or the error kind
//	                                                    (gate.bad_request, gate.unauthenticated,
//	                                                    gate.undecided), or ztci.other
//	ztci.gate.decision.duration  histogram  s           ztci.gate.decision
//	ztci.gate.rejected           counter    {request}   ztci.gate.reason = overloaded | too_large |
//	                                                    slow_body | bad_request | content_type | other
//	ztci.gate.verdicts           counter    {decision}  ztci.gate.verdict_source
//	ztci.gate.dry_runs           counter    {decision}  ztci.gate.decision
//
// A dry run (gate.Decision.DryRun) counts in ztci.gate.dry_runs only, never
// in ztci.gate.decisions, ztci.gate.denials, ztci.gate.verdicts or the
// duration histogram: it admitted nothing, and any authenticated job can ask
// for as many as it likes, so counting it as an ordinary allow would let a
// job inflate the allow series. (Before, dry runs counted as ordinary
// decisions; a dashboard that wants them reads ztci.gate.dry_runs.) Its
// span carries ztci.gate.dry_run = true.
//
// With [WithTracerProvider], every decision (not a refusal) is also a span
// named "ztci.gate.decide", dated from its end less the time the decision
// took, with the decision, the verified flag, the pinned digest, the policy
// revision and the violated rule ids as attributes, and status Error (with
// the error kind as description) when the gate could not decide. The gate
// calls its Observer without a context, so the span starts a trace of its
// own rather than joining the caller's.
//
// # Security contract
//
//   - Nothing secret reaches a metric or a span: the Observation carries no
//     token, and this package records outcomes, rule ids, error kinds,
//     refusal reasons, digests and policy revisions. Error messages are
//     never recorded (only their kind), nor is the job's identity.
//   - Metric attribute values come from bounded sets (three outcomes, the
//     policy's rule ids, three error kinds, the gate's refusal reasons), so
//     a client cannot create time series at will: an outcome the gate does
//     not define is counted as "error", a refusal reason as "other". A
//     policy may build rule ids from what a job sends (an image name, a
//     repository), so rule ids are bounded too: the Observer records by
//     name those given to [WithRules] and the first [DefaultMaxRules]
//     others it sees ([WithMaxRules]), and counts every later one, and
//     every one that is not printable UTF-8 of at most policy.MaxRuleBytes,
//     as [RuleOther]. Name the policy's rules with WithRules so that a
//     flood of made-up ids cannot push them into ztci.other. A deny counts
//     once per distinct rule it violated, however many violations of that
//     rule it holds (before, once per violation: one request with a
//     thousand findings added a thousand).
//   - Span attributes are printable UTF-8 and bounded: a digest or policy
//     revision with a control character or invalid UTF-8 (which makes an
//     OTLP exporter fail the whole batch) is escaped and clipped, and the
//     rule list holds each rule once, at most 32 of them.
//   - Observe never fails and never blocks on an exporter: the OTel API
//     hands measurements to the SDK, whose readers and exporters run
//     elsewhere. A telemetry failure cannot turn into an allow or a deny.
//
// The verdict cache of the image verifier is not observable through the
// gate's Observation, so cache hits are not recorded here.
package gateotel
