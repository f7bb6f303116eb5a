package gate

import "time"

// Observation is one thing the gate did, for metrics: a decision (Decision
// set) or a request refused before any decision (Refused set).
type Observation struct {
	// Decision is the decision made; nil for a refused request.
	Decision *Decision
	// Err is the error Decide returned with Decision, if any.
	Err error
	// Elapsed is the time Decide took.
	Elapsed time.Duration
	// Refused names why the HTTP handler refused a request without a
	// decision: "overloaded", "too_large", "slow_body", "bad_request",
	// "content_type". Empty for a decision.
	Refused string
}

// Observer receives an [Observation] for every decision and every refused
// request. It is the metrics seam: the gate links no metrics library. It is
// called synchronously and must be safe for concurrent use. It runs after
// the decision was taken and audited and cannot change it: an Observer that
// panics loses that observation (the gate logs it), never the decision.
type Observer interface {
	Observe(Observation)
}

// ObserverFunc adapts a function to an [Observer].
type ObserverFunc func(Observation)

// Observe calls f(o).
func (f ObserverFunc) Observe(o Observation) { f(o) }
