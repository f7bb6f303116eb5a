package main

import (
	"errors"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ztci/ztci/policy/gate"
)

// pathMetrics serves the gate's Prometheus metrics beside gate.PathAdmit.
const pathMetrics = "/metrics"

// metrics feeds Prometheus from the gate's Observer hook. Labels are
// bounded: outcomes, policy rule ids (a fixed set per policy), error kinds
// and refusal reasons.
type metrics struct {
	reg       *prometheus.Registry
	decisions *prometheus.CounterVec
	denials   *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	refused   *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
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
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "ztci", Subsystem: "gate", Name: "rejected_total",
			Help: "Requests refused before a decision (overloaded, too_large, slow_body, bad_request, content_type).",
		}, []string{"reason"}),
	}
	m.reg.MustRegister(m.decisions, m.denials, m.latency, m.refused)
	return m
}

// Observe implements gate.Observer.
func (m *metrics) Observe(o gate.Observation) {
	if o.Decision == nil {
		m.refused.WithLabelValues(o.Refused).Inc()
		return
	}
	d := o.Decision
	m.decisions.WithLabelValues(d.Outcome).Inc()
	m.latency.WithLabelValues(d.Outcome).Observe(o.Elapsed.Seconds())
	switch {
	case o.Err != nil:
		m.denials.WithLabelValues(errorKind(o.Err)).Inc()
	case !d.Allowed:
		for _, v := range d.Violations {
			m.denials.WithLabelValues(v.Rule).Inc()
		}
	}
}

func errorKind(err error) string {
	switch {
	case errors.Is(err, gate.ErrBadRequest):
		return "gate.bad_request"
	case errors.Is(err, gate.ErrUnauthenticated):
		return "gate.unauthenticated"
	default:
		return "gate.undecided"
	}
}

// handler serves the gate's API and its metrics.
func handler(g *gate.Gate, m *metrics) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", g.Handler())
	mux.Handle("GET "+pathMetrics, promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	return mux
}
