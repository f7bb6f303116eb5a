package k8s

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"slices"
	"time"
	"unicode/utf8"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ztci/ztci/internal/strictjson"
	"github.com/ztci/ztci/policy/gate"
)

// ServeHTTP serves the webhook: POST an AdmissionReview (application/json),
// get an AdmissionReview whose response echoes the request's uid. TLS is the
// server's configuration (the API server only calls webhooks over HTTPS);
// serve it with per-connection limits, e.g. [gate.NewServer].
//
// A decision — allow or deny — is always HTTP 200 with a valid
// AdmissionReview. So is the refusal of a body that is valid JSON naming a
// request uid but is not one well-formed AdmissionReview v1 request (a
// member this webhook does not know, say): a deny with reason
// [ReasonBadReview] echoing that uid, which the API server takes as a deny
// whatever the webhook's failurePolicy. A v1beta1 review (a webhook
// registered with admissionReviewVersions: ["v1beta1"]) is such a
// refusal, answered as v1beta1: the API server reads no other version.
// With [WithCallerCertificates], a request whose TLS connection presented
// no client certificate of the configured roots gets 403 before anything
// else is read. A body with no readable uid gets 400 (413 if too large,
// 408 if not received before the review's deadline, 415 for a body not
// declared as plain JSON — see [gate.CheckJSONContent] — and 405 for
// another method) and no review: the API server then applies the
// webhook's failurePolicy, which must be Fail.
//
// Once the body is read, the connection's write deadline is moved to
// cover the decisions, their audit write and the answer, whatever the
// server's WriteTimeout.
//
// The API server tells the webhook how long it will wait (the "timeout"
// query parameter, from timeoutSeconds); the review, audit write included,
// ends a second before that (a quarter of it, when under 4 s), and the
// decisions early enough to leave the audit write its share (see
// [WithTimeout]), so the deny of a slow decision or a slow audit sink
// still arrives in time.
func (w *Webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", http.MethodPost)
		http.Error(rw, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !w.trustedCaller(r) {
		// Not the API server: nothing of the request is read or decided.
		w.cfg.log.WarnContext(r.Context(), "admission review from an unauthenticated caller refused", "remote", r.RemoteAddr)
		rw.Header().Set("Connection", "close")
		http.Error(rw, "client certificate required", http.StatusForbidden)
		return
	}
	if err := gate.CheckJSONContent(r.Header); err != nil {
		// The body is not read: closing saves the server draining it.
		rw.Header().Set("Connection", "close")
		http.Error(rw, err.Error(), http.StatusUnsupportedMediaType)
		return
	}
	if r.ContentLength > w.cfg.maxBody {
		rw.Header().Set("Connection", "close")
		http.Error(rw, "request body too large", http.StatusRequestEntityTooLarge)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), w.answerTime(r))
	defer cancel()
	if d, ok := ctx.Deadline(); ok {
		// Not every ResponseWriter supports deadlines; the server's
		// ReadTimeout and WriteTimeout still bound those.
		rc := http.NewResponseController(rw)
		_ = rc.SetReadDeadline(time.Now().Add(w.decisionTime(ctx)))
		// The answer must outlive the decisions and their audit write: a
		// server WriteTimeout shorter than WithTimeout (gate.NewServer's
		// is gate.DefaultTimeout's) cut the connection after the review
		// was audited, and the API server applied its failurePolicy to a
		// review the webhook's log records as decided.
		_ = rc.SetWriteDeadline(d.Add(answerMargin))
	}
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, w.cfg.maxBody))
	if err != nil {
		rw.Header().Set("Connection", "close")
		status := http.StatusBadRequest
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			status = http.StatusRequestEntityTooLarge
		} else if errors.Is(err, os.ErrDeadlineExceeded) {
			status = http.StatusRequestTimeout
		}
		http.Error(rw, "request body not read", status)
		return
	}
	review, err := DecodeReview(body)
	if err != nil {
		w.cfg.log.DebugContext(ctx, "admission review refused", "err", err)
		uid, ok := readableUID(body)
		if !ok {
			http.Error(rw, "not an admission.k8s.io/v1 AdmissionReview request", http.StatusBadRequest)
			return
		}
		version := replyVersion(body)
		bad := result{reason: ReasonBadReview, message: "not a well-formed admission.k8s.io/v1 AdmissionReview request"}
		if version != ReviewAPIVersion {
			bad.message = version + " reviews are not read: register the webhook with admissionReviewVersions: [\"v1\"]"
		}
		writeReview(rw, version, w.audited(ctx, &admissionv1.AdmissionRequest{UID: uid}, bad))
		return
	}
	writeReview(rw, ReviewAPIVersion, w.Review(ctx, review.Request))
}

// trustedCaller reports whether r may be answered: always without
// WithCallerCertificates, else only when its TLS connection presented a
// client certificate, valid now for client authentication, that chains to
// the configured roots (through the intermediates it presented) and, when
// names are configured, names one of them.
func (w *Webhook) trustedCaller(r *http.Request) bool {
	if w.cfg.callerRoots == nil {
		return true
	}
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return false
	}
	inter := x509.NewCertPool()
	for _, c := range r.TLS.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	leaf := r.TLS.PeerCertificates[0]
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: w.cfg.callerRoots, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return false
	}
	if len(w.cfg.callerNames) == 0 {
		return true
	}
	return slices.Contains(w.cfg.callerNames, leaf.Subject.CommonName) ||
		slices.ContainsFunc(leaf.DNSNames, func(n string) bool { return slices.Contains(w.cfg.callerNames, n) })
}

// writeReview answers with resp in an AdmissionReview of apiVersion.
func writeReview(rw http.ResponseWriter, apiVersion string, resp *admissionv1.AdmissionResponse) {
	out := admissionv1.AdmissionReview{Response: resp}
	out.APIVersion, out.Kind = apiVersion, ReviewKind
	rw.Header().Set("Content-Type", "application/json")
	rw.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(rw).Encode(&out)
}

// readableUID is request.uid of a body DecodeReview refused, when the body
// is one valid UTF-8 JSON document naming one (exact member names, the
// first if repeated). It is only ever echoed in a deny: a uid that is not
// the API server's makes it discard the answer, which fails closed too.
func readableUID(body []byte) (types.UID, bool) {
	if !utf8.Valid(body) || !json.Valid(body) {
		return "", false
	}
	raw, ok := strictjson.Lookup(body, "request", "uid")
	var uid string
	if !ok || json.Unmarshal(raw, &uid) != nil || uid == "" || len(uid) > maxUID {
		return "", false
	}
	return types.UID(uid), true
}

// reviewV1beta1 is the AdmissionReview version the API server sends a
// webhook registered with admissionReviewVersions: ["v1beta1", …]. Its
// JSON has the shape of v1's.
const reviewV1beta1 = "admission.k8s.io/v1beta1"

// replyVersion is the apiVersion of the deny that answers body, a review
// DecodeReview refused: the review's own when it is v1beta1, else v1. The
// API server reads an answer as the version it asked in and cannot read a
// v1 answer to a v1beta1 review: it would apply the failurePolicy instead
// (under Ignore, admit what this webhook denied). knative's and
// controller-runtime's webhooks answer in the request's version too.
func replyVersion(body []byte) string {
	raw, ok := strictjson.Lookup(body, "apiVersion")
	var v string
	if ok && json.Unmarshal(raw, &v) == nil && v == reviewV1beta1 {
		return reviewV1beta1
	}
	return ReviewAPIVersion
}

// answerTime is the time one HTTP review has until its answer is due, audit
// write included: the configured timeout and the audit grace, shortened to
// the API server's own timeout less a margin when that is less. The
// parameter can only shorten it, so a forged value costs its sender a deny
// and nothing more.
func (w *Webhook) answerTime(r *http.Request) time.Duration {
	d := w.cfg.timeout + auditGrace
	if t, err := time.ParseDuration(r.URL.Query().Get("timeout")); err == nil && t > 0 {
		d = min(d, t-min(serverMargin, t/4))
	}
	return d
}
