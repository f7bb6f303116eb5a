// Package audittest provides audit sinks for tests of components that emit
// audit events: a [Recorder] that keeps what it receives and can be made to
// fail, so a test can check both that a component audits and that it fails
// closed when auditing fails.
//
//	rec := audittest.NewRecorder()
//	gate := secrets.New(..., rec)            // the component under test
//	rec.Fail(errors.New("audit down"))
//	_, err := gate.Lease(ctx, req)           // must now be denied
//
// Recorder validates every event ([audit.Event.Validate]) and encodes it
// ([audit.Encode]) like a real sink, so malformed events fail the same way
// they would in production.
package audittest

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/ztci/ztci/audit"
)

// Recorder is an [audit.Sink] that records events in memory. It is safe for
// concurrent use. The zero value is not usable; call [NewRecorder].
type Recorder struct {
	mu     sync.Mutex
	events []audit.Event
	err    error
}

var _ audit.Sink = (*Recorder)(nil)

// NewRecorder returns an empty recorder that accepts events.
func NewRecorder() *Recorder { return &Recorder{} }

// Write records e, or returns the error set by [Recorder.Fail] (wrapped in
// [audit.ErrSink]) without recording it. Invalid events are rejected as a
// real sink would.
func (r *Recorder) Write(ctx context.Context, e audit.Event) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", audit.ErrSink, err)
	}
	if _, err := audit.Encode(e); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return fmt.Errorf("%w: %w", audit.ErrSink, r.err)
	}
	r.events = append(r.events, cloneEvent(e))
	return nil
}

// Fail makes subsequent writes fail with err; Fail(nil) restores success.
func (r *Recorder) Fail(err error) {
	r.mu.Lock()
	r.err = err
	r.mu.Unlock()
}

// Events returns a copy of the recorded events, in order.
func (r *Recorder) Events() []audit.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]audit.Event, len(r.events))
	for i, e := range r.events {
		out[i] = cloneEvent(e)
	}
	return out
}

// Actions returns the Action of each recorded event, in order.
func (r *Recorder) Actions() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.events))
	for i, e := range r.events {
		out[i] = e.Action
	}
	return out
}

// Reset forgets the recorded events.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.events = nil
	r.mu.Unlock()
}

// cloneEvent copies the maps and slices of e, so neither the caller nor the
// test can mutate what the other holds.
func cloneEvent(e audit.Event) audit.Event {
	e.Violations = slices.Clone(e.Violations)
	e.Attributes = cloneMap(e.Attributes)
	e.Actor.Claims = cloneMap(e.Actor.Claims)
	return e
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
