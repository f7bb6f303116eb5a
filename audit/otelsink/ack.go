package otelsink

import (
	"context"
	"errors"
	"sync"
)

// Acknowledge reports to the [Sink.Write] that emitted a record under ctx
// what exporting it came to: nil once the record was exported whole,
// otherwise the exporter's error (an OTLP partial success included). A
// log processor that exports synchronously calls it from OnEmit with the
// context it was given (ackprocessor.Processor does); with
// [WithAcknowledgement], Write fails unless some processor acknowledged
// the record and none reported an error. Outside such a Write it does
// nothing.
func Acknowledge(ctx context.Context, err error) {
	if a, ok := ctx.Value(ackKey{}).(*ack); ok {
		a.set(err)
	}
}

// ackKey carries a Write's *ack through Logger.Emit to the Processor.
type ackKey struct{}

// ack is what the Processors of a provider answered for one record. It
// is locked because a vendor's processor chain may hand the record on to
// another goroutine; an answer after Write returned is ignored (Write has
// already failed for want of one).
type ack struct {
	mu    sync.Mutex
	acked bool
	errs  []error
}

func (a *ack) set(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.acked = true
	if err != nil {
		a.errs = append(a.errs, err)
	}
}

// result is nil only if some Processor exported the record and none failed.
func (a *ack) result() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.errs) > 0 {
		return errors.Join(a.errs...)
	}
	if !a.acked {
		return errNotAcknowledged
	}
	return nil
}

var errNotAcknowledged = errors.New("no log processor acknowledged the record (provider shut down, or none registered)")
