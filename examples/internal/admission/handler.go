package admission

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Paths served by Handler.
const (
	PathAdmit   = "/v1/admit"
	PathHealthz = "/healthz"
	PathMetrics = "/metrics"
)

// Handler serves the gate:
//
//	POST /v1/admit   Request → Response (200 allow/deny, 400, 401, 413, 503)
//	GET  /healthz    200 "ok"
//	GET  /metrics    Prometheus metrics
//
// A body over the limit is 413; when the concurrency limit is reached the
// request is refused at once with 503 and Retry-After; each decision runs
// under the configured timeout.
func (g *Gate) Handler() http.Handler {
	sem := make(chan struct{}, g.cfg.maxInFlight)
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+PathAdmit, func(w http.ResponseWriter, r *http.Request) {
		select {
		case sem <- struct{}{}:
			defer func() { <-sem }()
		default:
			g.metrics.rejected.WithLabelValues("overloaded").Inc()
			w.Header().Set("Retry-After", "1")
			writeJSON(w, http.StatusServiceUnavailable, &Response{Decision: DecisionError, Error: "gate overloaded"})
			return
		}
		g.metrics.inFlight.Inc()
		defer g.metrics.inFlight.Dec()

		var req Request
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, g.cfg.maxBody))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				g.metrics.rejected.WithLabelValues("too_large").Inc()
				writeJSON(w, http.StatusRequestEntityTooLarge, &Response{Decision: DecisionError, Error: "request body too large"})
				return
			}
			g.metrics.rejected.WithLabelValues("bad_request").Inc()
			writeJSON(w, http.StatusBadRequest, &Response{Decision: DecisionError, Error: "request is not one JSON Request object"})
			return
		}
		if dec.More() {
			g.metrics.rejected.WithLabelValues("bad_request").Inc()
			writeJSON(w, http.StatusBadRequest, &Response{Decision: DecisionError, Error: "trailing data after the request"})
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), g.cfg.timeout)
		defer cancel()
		resp, err := g.Decide(ctx, req)
		writeJSON(w, statusFor(err), resp)
	})
	mux.HandleFunc("GET "+PathHealthz, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	if g.metrics.gatherer != nil {
		mux.Handle("GET "+PathMetrics, promhttp.HandlerFor(g.metrics.gatherer, promhttp.HandlerOpts{}))
	}
	return mux
}

func statusFor(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, ErrBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, ErrUnauthenticated):
		return http.StatusUnauthorized
	default:
		return http.StatusServiceUnavailable
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
