// Package ackprocessor is the OpenTelemetry log SDK processor that
// acknowledges audit records to audit/otelsink: it exports each record
// synchronously, on its own, before OnEmit returns, and reports the
// exporter's answer to the [otelsink.Sink.Write] that emitted it
// ([otelsink.Acknowledge]). With [otelsink.WithAcknowledgement] that is the
// sink's acknowledgement: a record the exporter refused, in whole or in part
// (an OTLP partial success), fails the Write that emitted it, and no other
// one. The SDK itself sends a processor's errors only to its global error
// handler; that is how, with otelsink.WithFlush, a SimpleProcessor, a flush
// by a concurrent Write, or a scheduled export lost a record while Write
// returned nil.
//
// It lives apart from audit/otelsink, which links the OpenTelemetry API
// only, because it links the log SDK.
package ackprocessor

import (
	"context"
	"fmt"

	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/ztci/ztci/audit/otelsink"
)

// Processor exports every record of its provider, not only the sink's:
// give audit records a provider of their own. Records are exported one at
// a time (an Exporter must not be called concurrently): a record waits for
// the export before it, but no longer than its context allows. Make one
// with [New].
type Processor struct {
	turn chan struct{} // one token: the right to call Export
	exp  sdklog.Exporter
}

var _ sdklog.Processor = (*Processor)(nil)

// New returns a Processor exporting through exp, which is required (else
// an error wrapping otelsink.ErrConfig).
func New(exp sdklog.Exporter) (*Processor, error) {
	if exp == nil {
		return nil, fmt.Errorf("%w: nil Exporter", otelsink.ErrConfig)
	}
	return &Processor{exp: exp, turn: make(chan struct{}, 1)}, nil
}

// Enabled reports true: every record is exported.
func (*Processor) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }

// OnEmit exports r and reports the result to the Write that emitted it (if
// any) as well as to the SDK.
//
// A record of an otelsink.Write that the SDK's limits cut (attributes
// dropped by the count limit, values truncated by the length limit) is not
// exported: OnEmit acknowledges an [otelsink.IncompleteError] instead, and
// that Write fails.
//
// A record whose ctx is done before the export ahead of it ends is not
// exported: OnEmit acknowledges ctx's error. A collector that hangs thus
// fails each Write at its deadline instead of queueing every later one
// behind it (the gate denies what it could not audit).
func (p *Processor) OnEmit(ctx context.Context, r *sdklog.Record) error {
	if err := otelsink.CheckRecord(ctx, r.DroppedAttributes(), r.WalkAttributes); err != nil {
		otelsink.Acknowledge(ctx, err)
		return err
	}
	select {
	case p.turn <- struct{}{}:
	case <-ctx.Done():
		err := fmt.Errorf("ackprocessor: waiting to export: %w", context.Cause(ctx))
		otelsink.Acknowledge(ctx, err)
		return err
	}
	err := p.exp.Export(ctx, []sdklog.Record{*r})
	<-p.turn
	otelsink.Acknowledge(ctx, err)
	return err
}

// Shutdown shuts the exporter down.
func (p *Processor) Shutdown(ctx context.Context) error { return p.exp.Shutdown(ctx) }

// ForceFlush flushes the exporter.
func (p *Processor) ForceFlush(ctx context.Context) error { return p.exp.ForceFlush(ctx) }
