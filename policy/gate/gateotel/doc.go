// Package gateotel records the deploy gate's decisions as OpenTelemetry
// metrics and traces, through the gate's [gate.Observer] hook.
//
// It links the OpenTelemetry API only (go.opentelemetry.io/otel/metric and
// /trace): which SDK, exporter and backend receive the data is the vendor's
// choice, made by the providers passed in. It reads no global provider.
//
//	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)) // the vendor's SDK
//	obs, err := gateotel.New(mp, gateotel.WithTracerProvider(tp))
//	g, err := gate.New(jobTokens, verifiers, evaluator, sink, gate.WithObserver(obs))
//
// # Instruments
//
//	ztci.gate.decisions          counter    {decision}  ztci.gate.decision = allow | deny | error
//	ztci.gate.denials            counter    {denial}    ztci.gate.rule = policy rule id, one per violation,
//	                                                    or the error kind (gate.bad_request,
//	                                                    gate.unauthenticated, gate.undecided)
//	ztci.gate.decision.duration  histogram  s           ztci.gate.decision
//	ztci.gate.rejected           counter    {request}   ztci.gate.reason = overloaded | too_large |
//	                                                    slow_body | bad_request | content_type
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
//     not define is counted as "error".
//   - Observe never fails and never blocks on an exporter: the OTel API
//     hands measurements to the SDK, whose readers and exporters run
//     elsewhere. A telemetry failure cannot turn into an allow or a deny.
//
// The verdict cache of the image verifier is not observable through the
// gate's Observation, so cache hits are not recorded here.
package gateotel
