// Package httpsrv builds the http.Server of every network server the SDK
// ships (the deploy gate, the embedded CA, the TSA): one place for the
// per-connection limits without which a client that opens connections
// and sends nothing, or stalls mid-header or mid-body, holds each for ever.
package httpsrv

import (
	"net/http"
	"time"
)

// New returns an *http.Server for h on addr with a 5 s header (and TLS
// handshake) deadline, a whole-request read deadline of body plus 5 s, a
// write deadline of work plus 5 s (the handler's own bound on a request),
// a 60 s idle keep-alive limit and a 64 KiB header limit. HTTP/2 keeps Go's
// defaults.
func New(addr string, h http.Handler, body, work time.Duration) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       body + 5*time.Second,
		WriteTimeout:      work + 5*time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}
