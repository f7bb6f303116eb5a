package k8s

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
)

// ServeHTTP serves the webhook: POST an AdmissionReview (application/json),
// get an AdmissionReview whose response echoes the request's uid. TLS is the
// server's configuration (the API server only calls webhooks over HTTPS);
// serve it with per-connection limits, e.g. [gate.NewServer].
//
// A decision — allow or deny — is always HTTP 200 with a valid
// AdmissionReview. A body that is not one well-formed AdmissionReview v1
// request gets 400 (413 if too large, 415 for another content type, 405 for
// another method) and no review: the API server then applies the webhook's
// failurePolicy, which must be Fail.
//
// The API server tells the webhook how long it will wait (the "timeout"
// query parameter, from timeoutSeconds); the decisions end 2 s before that
// when it is shorter than [WithTimeout], so the deny of a slow decision
// still arrives in time.
func (w *Webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", http.MethodPost)
		http.Error(rw, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		http.Error(rw, "content type must be application/json", http.StatusUnsupportedMediaType)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), w.deadline(r))
	defer cancel()
	if d, ok := ctx.Deadline(); ok {
		// Not every ResponseWriter supports deadlines; the server's
		// ReadTimeout still bounds those.
		_ = http.NewResponseController(rw).SetReadDeadline(d)
	}
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, w.cfg.maxBody))
	if err != nil {
		rw.Header().Set("Connection", "close")
		status := http.StatusBadRequest
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			status = http.StatusRequestEntityTooLarge
		}
		http.Error(rw, "request body not read", status)
		return
	}
	review, err := DecodeReview(body)
	if err != nil {
		w.cfg.log.DebugContext(ctx, "admission review refused", "err", err)
		http.Error(rw, "not an admission.k8s.io/v1 AdmissionReview request", http.StatusBadRequest)
		return
	}
	resp := w.Review(ctx, review.Request)
	out := admissionv1.AdmissionReview{Response: resp}
	out.APIVersion, out.Kind = ReviewAPIVersion, ReviewKind
	rw.Header().Set("Content-Type", "application/json")
	rw.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(rw).Encode(&out)
}

// deadline is the decision time of one HTTP review: the configured timeout,
// shortened to the API server's own timeout less a margin when that is
// less. The parameter can only shorten it, so a forged value costs its
// sender a deny and nothing more.
func (w *Webhook) deadline(r *http.Request) time.Duration {
	d := w.cfg.timeout
	if t, err := time.ParseDuration(r.URL.Query().Get("timeout")); err == nil && t > 0 {
		// A timeout at or below the margin still leaves the decisions a
		// moment; they will most likely be denied as timed out.
		left := max(t-serverMargin, t/4)
		d = min(d, left)
	}
	return d
}
