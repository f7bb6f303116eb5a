package tsa

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/ztci/ztci/internal/httpsrv"
)

// Bounds of [TSA.Handler] and [NewServer].
const (
	// BodyTimeout bounds reading a timestamp query's body, from when the
	// handler starts reading it. A client that has not sent the whole
	// query by then gets 408 and its connection is closed.
	BodyTimeout = 5 * time.Second
	// RequestTimeout bounds stamping one query once it is read (a KMS
	// signer, the audit sink); when it passes the query fails with 503.
	RequestTimeout = 30 * time.Second
)

// readQuery reads the body of a timestamp query, bounded in size and time,
// or returns the status and message of its refusal.
func readQuery(w http.ResponseWriter, r *http.Request) ([]byte, int, string) {
	if !queryContentType(r.Header) {
		// The body is not read: closing saves the server draining it.
		w.Header().Set("Connection", "close")
		return nil, http.StatusUnsupportedMediaType, "content type must be application/timestamp-query"
	}
	if r.ContentLength > maxQuery {
		w.Header().Set("Connection", "close")
		return nil, http.StatusBadRequest, fmt.Sprintf("query larger than %d bytes", maxQuery)
	}
	// Not every ResponseWriter supports deadlines (the in-process transport
	// of attest does not); NewServer's ReadTimeout still bounds a served
	// connection.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(BodyTimeout))
	body, err := io.ReadAll(io.LimitReader(r.Body, maxQuery+1))
	if err != nil || len(body) > maxQuery {
		// Without this the server would drain the rest of the body after
		// the answer, for keep-alive: what a stalled client wants.
		w.Header().Set("Connection", "close")
	}
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, http.StatusRequestTimeout, "query not received in time"
	case err != nil:
		return nil, http.StatusBadRequest, "cannot read request"
	}
	// A query over maxQuery is refused by Timestamp, as before.
	return body, 0, ""
}

// queryContentType reports whether h declares a body this handler reads as
// it is declared: no Content-Type, or one, application/timestamp-query, and
// no content coding but identity.
func queryContentType(h http.Header) bool {
	switch cts := h.Values("Content-Type"); len(cts) {
	case 0:
	case 1:
		if mt, _, err := mime.ParseMediaType(cts[0]); err != nil || mt != "application/timestamp-query" {
			return false
		}
		// mime trims Unicode spaces ("application/timestamp-query\u00a0"),
		// which a proxy reading the type as spelt does not: it would take
		// the body for another type.
		if mt, _, _ := strings.Cut(cts[0], ";"); !strings.EqualFold(strings.Trim(mt, " \t"), "application/timestamp-query") {
			return false
		}
	default:
		return false
	}
	for _, ce := range h.Values("Content-Encoding") {
		if !strings.EqualFold(strings.Trim(ce, " \t"), "identity") {
			return false
		}
	}
	return true
}

// NewServer returns an *http.Server for h (a [TSA.Handler]) with the
// per-connection limits a timestamp authority exposed to a network needs:
// header (and TLS handshake) and whole-request read deadlines, a write
// deadline that covers [RequestTimeout], an idle keep-alive limit and a
// header size limit. Without them (http.ListenAndServe, a bare
// http.Server) a client that opens connections and sends nothing, or stalls
// mid-header, holds each for ever. Set TLSConfig, or call ServeTLS, as
// usual; HTTP/2 keeps Go's defaults.
func NewServer(addr string, h http.Handler) *http.Server {
	return httpsrv.New(addr, h, BodyTimeout, RequestTimeout)
}
