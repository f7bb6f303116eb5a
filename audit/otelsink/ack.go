package otelsink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"

	"go.opentelemetry.io/otel/attribute"

	"github.com/ztci/ztci/audit"
)

// ErrIncomplete: with [WithAcknowledgement], the record a processor was
// about to export is not the one Write emitted: the SDK's limits
// (OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT, ..._VALUE_LENGTH_LIMIT,
// sdklog.WithAttributeCountLimit, WithAttributeValueLengthLimit) dropped
// attributes or truncated values. The Write fails (see [IncompleteError]);
// raise the limits of the provider given to the sink.
var ErrIncomplete = fmt.Errorf("%w: otel: record cut by the SDK's limits", audit.ErrSink)

// IncompleteError is the error of a Write whose record was cut before
// export. It wraps [ErrIncomplete].
type IncompleteError struct {
	// Dropped is how many attributes the SDK dropped (its count limit).
	Dropped int
	// Changed is how many of the remaining attributes differ from those
	// emitted (a value truncated, or missing).
	Changed int
}

func (e *IncompleteError) Error() string {
	return fmt.Sprintf("%v: %d attributes dropped, %d changed", ErrIncomplete, e.Dropped, e.Changed)
}

func (e *IncompleteError) Unwrap() error { return ErrIncomplete }

// CheckRecord reports whether the record a processor holds under ctx is the
// one a [Sink.Write] with [WithAcknowledgement] emitted: dropped is the
// SDK record's DroppedAttributes and walk its WalkAttributes. It returns an
// [*IncompleteError] when attributes were dropped, changed or are missing,
// nil when every emitted attribute is there as emitted (attributes another
// processor added lose nothing) or ctx carries no such Write. A processor that
// acknowledges calls it before exporting, and acknowledges its error
// instead of exporting (ackprocessor.Processor does).
func CheckRecord(ctx context.Context, dropped int, walk func(func(attribute.KeyValue) bool)) error {
	a, ok := ctx.Value(ackKey{}).(*ack)
	if !ok {
		return nil
	}
	want := make(map[attribute.Key]attribute.Value, len(a.attrs))
	for _, kv := range a.attrs {
		want[kv.Key] = kv.Value
	}
	matched := make(map[attribute.Key]bool, len(want))
	changed := 0
	if walk != nil {
		walk(func(kv attribute.KeyValue) bool {
			w, ok := want[kv.Key]
			switch {
			case !ok:
				// Added by a processor before this one: nothing was lost.
			case sameValue(w, kv.Value):
				matched[kv.Key] = true
			default:
				// Truncated, or a second value under the key.
				changed++
			}
			return true
		})
	}
	// An emitted attribute the record lacks is a change even if the SDK
	// did not count it as dropped.
	changed += len(want) - len(matched)
	if dropped > 0 || changed > 0 {
		return &IncompleteError{Dropped: dropped, Changed: changed}
	}
	return nil
}

// sameValue compares two attribute values by type and JSON form (which
// covers slices and maps).
func sameValue(a, b attribute.Value) bool {
	if a.Type() != b.Type() {
		return false
	}
	aj, aerr := a.MarshalJSON()
	bj, berr := b.MarshalJSON()
	return aerr == nil && berr == nil && bytes.Equal(aj, bj)
}

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
	attrs []attribute.KeyValue // what Write emitted; read-only after Emit
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
