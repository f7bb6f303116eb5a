package audit

import "context"

// Sink receives audit events.
//
// Write returns only once the sink has accepted the event by its own
// definition of durable (written, fsync'd, acknowledged). A non-nil error
// means the event may not have been recorded; a component that must audit
// treats that as a failure of the audited action (audit is not logging).
// Implementations must be safe for concurrent use and must not retain e after
// Write returns unless they copy it.
type Sink interface {
	Write(ctx context.Context, e Event) error
}

// SinkFunc adapts a function to a Sink.
type SinkFunc func(ctx context.Context, e Event) error

// Write calls f(ctx, e).
func (f SinkFunc) Write(ctx context.Context, e Event) error { return f(ctx, e) }
