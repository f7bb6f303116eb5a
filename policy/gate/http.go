package gate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ztci/ztci/internal/httpsrv"
	"github.com/ztci/ztci/internal/mediatype"
	"github.com/ztci/ztci/internal/strictjson"
)

// Paths served by [Gate.Handler].
const (
	PathAdmit   = "/v1/admit"
	PathHealthz = "/healthz"
)

// Handler serves the gate:
//
//	POST /v1/admit   Request → Decision (200 allow/deny, 400, 401, 408, 413, 415, 503)
//	GET  /healthz    200 "ok"
//
// The order of work is what keeps it available to honest callers when
// others misbehave: the content type is checked ([CheckJSONContent], 415),
// then the whole body is read under a size limit (413, at once for a
// declared Content-Length over it) and a read deadline (408), and only
// then is a decision slot taken (503 with Retry-After when all are busy).
// A client that stalls mid-body therefore holds a connection, never a
// slot. Serve it with [NewServer], whose per-connection deadlines bound
// what a stalled connection can hold. Once the body is read, the handler
// moves the connection's write deadline to cover the decision
// ([Limits].Timeout and a few seconds to audit and answer), whatever the
// server's WriteTimeout: an answer cut off after its allow was audited
// would leave an allow in the log that no caller received. Every answer
// carries X-Content-Type-Options: nosniff.
func (g *Gate) Handler() http.Handler {
	slots := make(chan struct{}, g.cfg.limits.MaxInFlight)
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+PathAdmit, func(w http.ResponseWriter, r *http.Request) {
		req, status, reason := g.readRequest(w, r)
		if status != 0 {
			g.refuse(r.Context(), w, status, reason)
			return
		}
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
		default:
			w.Header().Set("Retry-After", "1")
			g.refuse(r.Context(), w, http.StatusServiceUnavailable, "overloaded")
			return
		}
		// The answer must outlive the decision: a server whose
		// WriteTimeout is shorter than Limits.Timeout (NewServer's is
		// DefaultTimeout's) cut the connection after the allow was
		// audited, so the log held an allow nobody received. Not every
		// ResponseWriter supports deadlines; the server's own then holds.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(g.cfg.limits.Timeout + answerMargin))
		ctx, cancel := context.WithTimeout(r.Context(), g.cfg.limits.Timeout)
		defer cancel()
		d, err := g.Decide(ctx, req)
		if errors.Is(err, ErrJobBusy) {
			w.Header().Set("Retry-After", "1")
		}
		writeJSON(w, statusFor(err), &d)
	})
	mux.HandleFunc("GET "+PathHealthz, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	// Every answer says nosniff: a Decision carries text the request and
	// its attestations chose (violation messages, an artifact's name), and
	// a browser sent to the gate (a link in a CI log) must read it as the
	// JSON it is declared, never sniff it as a page.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		mux.ServeHTTP(w, r)
	})
}

// answerMargin is how long past Limits.Timeout the handler may still write
// its answer: the audit write that may follow the decision deadline
// (auditGrace) and the response itself.
const answerMargin = 5 * time.Second

// refusalMessages are the bodies of refused requests; reasons are the
// Observation.Refused values.
var refusalMessages = map[string]string{
	"content_type": "content type must be application/json",
	"too_large":    "request body too large",
	"slow_body":    "request body not received in time",
	"bad_request":  "request is not one JSON Request object",
	"overloaded":   "gate overloaded",
}

func (g *Gate) refuse(ctx context.Context, w http.ResponseWriter, status int, reason string) {
	g.observe(ctx, Observation{Refused: reason})
	writeJSON(w, status, &Decision{Outcome: OutcomeError, Error: refusalMessages[reason]})
}

// readRequest reads and decodes the body, bounded in size and time. It
// returns a non-zero status and a refusal reason when the request is not
// one well-formed Request.
func (g *Gate) readRequest(w http.ResponseWriter, r *http.Request) (Request, int, string) {
	if CheckJSONContent(r.Header) != nil {
		// The body is not read: closing saves the server draining it.
		w.Header().Set("Connection", "close")
		return Request{}, http.StatusUnsupportedMediaType, "content_type"
	}
	if r.ContentLength > g.cfg.limits.MaxBody {
		// Refused on its declared length, before a byte of it is read
		// (or a 100-continue sent).
		w.Header().Set("Connection", "close")
		return Request{}, http.StatusRequestEntityTooLarge, "too_large"
	}
	rc := http.NewResponseController(w)
	// Not every ResponseWriter supports deadlines (httptest's recorder does
	// not); the server's ReadTimeout still bounds those. The deadline is
	// left in place: the handler reads nothing more, and the server sets
	// its own before the next request on the connection.
	_ = rc.SetReadDeadline(time.Now().Add(g.cfg.limits.BodyTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, g.cfg.limits.MaxBody))
	if err != nil {
		// Without this the server would try to drain the rest of the body
		// after the answer, for keep-alive: exactly what a stalled client
		// wants it to wait for.
		w.Header().Set("Connection", "close")
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return Request{}, http.StatusRequestEntityTooLarge, "too_large"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return Request{}, http.StatusRequestTimeout, "slow_body"
	case err != nil:
		return Request{}, http.StatusBadRequest, "bad_request"
	}
	req, err := DecodeRequest(body)
	if err != nil {
		return Request{}, http.StatusBadRequest, "bad_request"
	}
	return req, 0, ""
}

// ErrUnsupportedContent: the request's headers do not declare its body as
// JSON text as sent (see [CheckJSONContent]). HTTP 415.
var ErrUnsupportedContent = errors.New("gate: request body must be application/json, UTF-8, without content coding")

// CheckJSONContent checks that the headers h declare a body this package
// reads as it is declared: exactly one Content-Type, application/json (any
// case), with no parameter but charset=utf-8, and no Content-Encoding but
// identity. Anything else is an error wrapping [ErrUnsupportedContent].
// [Gate.Handler] and the Kubernetes webhook (policy/gate/k8s) call it
// before reading a body.
//
// A proxy, a log or a WAF in front of the gate reads a body by its headers;
// the gate reads UTF-8 JSON, uncompressed. A second Content-Type (net/http
// reads the first, others the last), a charset=utf-16 or a gzip coding the
// gate ignores is a request that means one thing to them and another to
// the gate, so it is refused rather than guessed at.
func CheckJSONContent(h http.Header) error {
	cts := h.Values("Content-Type")
	if len(cts) != 1 {
		return fmt.Errorf("%w: %d Content-Type headers", ErrUnsupportedContent, len(cts))
	}
	mt, params, err := mime.ParseMediaType(cts[0])
	if err != nil || mt != "application/json" {
		return fmt.Errorf("%w: content type %q", ErrUnsupportedContent, cts[0])
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return fmt.Errorf("%w: content type parameter %s=%q", ErrUnsupportedContent, k, v)
		}
	}
	if !mediatype.PlainJSON(cts[0]) {
		return fmt.Errorf("%w: content type %q", ErrUnsupportedContent, cts[0])
	}
	for _, ce := range h.Values("Content-Encoding") {
		if !strings.EqualFold(strings.Trim(ce, " \t"), "identity") {
			return fmt.Errorf("%w: content encoding %q", ErrUnsupportedContent, ce)
		}
	}
	return nil
}

// requestSchema is the Request's member names, from its JSON tags, for the
// ambiguity check.
var requestSchema = sync.OnceValue(func() *strictjson.Schema { return strictjson.SchemaOf(reflect.TypeFor[Request]()) })

// DecodeRequest parses one JSON Request object, strictly: a Request member
// name in another case ("JOB_TOKEN", "Image") is refused (encoding/json
// alone would take it as the real one), no object at any depth (the
// bundles included) may hold two members whose names are equal ignoring
// case (exact repeats included), and unknown members and trailing data are
// errors. Two parsers that disagree about which "image" counts is how a
// request says one thing to the gate and another to whoever logs it. The
// bundles are checked against each other's names only, not the Request's:
// their own schema is verify's to enforce. The body must be UTF-8 (RFC
// 8259): encoding/json would silently turn each invalid byte of a string
// into U+FFFD, so the gate would decide on a name no other reader sees.
func DecodeRequest(b []byte) (Request, error) {
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return Request{}, fmt.Errorf("%w: request is not a JSON object", ErrBadRequest)
	}
	if !utf8.Valid(b) {
		return Request{}, fmt.Errorf("%w: request is not UTF-8", ErrBadRequest)
	}
	// The decoder below refuses what is not valid JSON, so the cheaper
	// unvalidated walk is enough: its verdict holds for whatever decodes.
	if err := requestSchema().CheckUnvalidated(b); err != nil {
		return Request{}, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	var req Request
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return Request{}, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Request{}, fmt.Errorf("%w: trailing data after the request", ErrBadRequest)
	}
	return req, nil
}

// NewServer returns an *http.Server for h with the per-connection limits a
// gate exposed to a network needs: header and whole-request read deadlines,
// a write deadline that covers the decision timeout, an idle keep-alive
// limit and a header size limit. Without them a client that opens
// connections and sends nothing holds them for ever.
func NewServer(addr string, h http.Handler) *http.Server {
	return httpsrv.New(addr, h, DefaultBodyTimeout, DefaultTimeout)
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
