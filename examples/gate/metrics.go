package main

import (
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/ztci/ztci/policy/compliance"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gateotel"
)

// pathMetrics is where the metrics listener (--metrics-addr) serves the
// gate's Prometheus metrics; the API's listener does not serve them.
const pathMetrics = "/metrics"

// maxScrapes is how many scrapes are served at once; more get 503. One
// Prometheus scrapes one at a time: the bound caps what anyone else who
// reaches the listener can make it spend.
const maxScrapes = 2

// metrics is the gate's OpenTelemetry seam (gateotel) with the vendor's
// choice made here: the OTel SDK and its Prometheus exporter, serving
// ztci_gate_decisions_total{ztci_gate_decision}, ztci_gate_denials_total
// {ztci_gate_rule}, ztci_gate_decision_duration_seconds and
// ztci_gate_rejected_total{ztci_gate_reason}. Labels are bounded: outcomes,
// policy rule ids (the built-in library's, named up front so that no flood
// of other ids can push them into ztci.other), error kinds and refusal
// reasons.
type metrics struct {
	*gateotel.Observer
	reg *prometheus.Registry
}

var _ gate.Observer = (*metrics)(nil)

func newMetrics() (*metrics, error) {
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo(), otelprom.WithoutTargetInfo())
	if err != nil {
		return nil, fmt.Errorf("metrics: prometheus exporter: %w", err)
	}
	// The library's rule ids, as its control catalog lists them: each
	// keeps a series of its own whatever other ids a policy makes up.
	cat, err := compliance.Builtin()
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	obs, err := gateotel.New(sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp)), gateotel.WithRules(cat.Rules()...))
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return &metrics{Observer: obs, reg: reg}, nil
}

// handler serves the metrics, on a listener of their own: they are not
// for whoever reaches the gate's API.
func (m *metrics) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET "+pathMetrics, promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{MaxRequestsInFlight: maxScrapes}))
	return mux
}
