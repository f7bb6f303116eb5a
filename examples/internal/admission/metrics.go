package admission

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the gate's Prometheus metrics. Labels are bounded: decision
// kinds, policy rule ids (a fixed set per policy) and rejection reasons.
type metrics struct {
	reg       *prometheus.Registry // set when the gate owns its registry
	gatherer  prometheus.Gatherer
	decisions *prometheus.CounterVec
	denials   *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	rejected  *prometheus.CounterVec
	inFlight  prometheus.Gauge
}

func newMetrics(r prometheus.Registerer) *metrics {
	m := &metrics{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "ztci", Subsystem: "gate", Name: "decisions_total",
			Help: "Admission decisions by outcome (allow, deny, error).",
		}, []string{"decision"}),
		denials: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "ztci", Subsystem: "gate", Name: "denials_total",
			Help: "Denials by policy rule id (one per violation) or error kind.",
		}, []string{"rule"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "ztci", Subsystem: "gate", Name: "decision_duration_seconds",
			Help:    "Time to decide one request (verify, policy, audit).",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"decision"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "ztci", Subsystem: "gate", Name: "rejected_total",
			Help: "Requests refused before a decision (overloaded, too_large, bad_request, method).",
		}, []string{"reason"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "ztci", Subsystem: "gate", Name: "in_flight",
			Help: "Decisions in progress.",
		}),
	}
	if r == nil {
		m.reg = prometheus.NewRegistry()
		r = m.reg
		m.gatherer = m.reg
	} else if g, ok := r.(prometheus.Gatherer); ok {
		m.gatherer = g
	}
	r.MustRegister(m.decisions, m.denials, m.latency, m.rejected, m.inFlight)
	return m
}

func (m *metrics) observe(resp *Response, err error, d time.Duration) {
	m.decisions.WithLabelValues(resp.Decision).Inc()
	m.latency.WithLabelValues(resp.Decision).Observe(d.Seconds())
	switch {
	case err != nil:
		m.denials.WithLabelValues(errorKind(err)).Inc()
	case !resp.Allowed:
		for _, v := range resp.Violations {
			m.denials.WithLabelValues(v.Rule).Inc()
		}
	}
}

func errorKind(err error) string {
	switch {
	case errors.Is(err, ErrBadRequest):
		return "gate.bad_request"
	case errors.Is(err, ErrUnauthenticated):
		return "gate.unauthenticated"
	default:
		return "gate.undecided"
	}
}
