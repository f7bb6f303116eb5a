package egress

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// errHostMismatch: a cleartext HTTP request in a tunnel names another host
// than the CONNECT request did (or none, or cannot be read, or asks to
// switch protocols). The tunnel is cut before the request is relayed.
var errHostMismatch = errors.New("egress: HTTP request in the tunnel names another host")

// unreadableRequest, switchingRequest and noHost are what a close
// record's AttrHTTPHost says of a tunnel cut for an HTTP request the proxy
// could not read, one that asked to switch protocols (Upgrade, CONNECT),
// or one that named no host.
const (
	unreadableRequest = "(unreadable)"
	switchingRequest  = "(upgrade)"
	noHost            = "(none)"
)

// startsHTTPRequest reads a tunnel's first line (after any empty lines,
// which servers skip) and reports whether a server could take it for an
// HTTP/1 request line: it holds "HTTP/" (in any case). Reading stops at
// the line's end, at a control byte no request line holds (another
// protocol), or after limit bytes; a line still open then counts as HTTP,
// so that a request cannot hide past the limit. read is everything
// consumed, to be relayed unchanged.
func startsHTTPRequest(r io.Reader, limit int) (read []byte, isHTTP bool, err error) {
	var buf bytes.Buffer
	b := make([]byte, 4096)
	start := 0 // where the first non-empty line starts
	for {
		n, rerr := r.Read(b)
		buf.Write(b[:n])
		line := buf.Bytes()
		for start < len(line) && (line[start] == '\r' || line[start] == '\n') {
			start++
		}
		for i := start; i < len(line); i++ {
			c := line[i]
			if c == '\n' || (c < 0x20 && c != '\t' && c != '\r') || c == 0x7f {
				return buf.Bytes(), containsFold(line[start:i], "http/"), nil
			}
		}
		switch {
		case buf.Len() >= limit:
			return buf.Bytes(), true, nil
		case rerr != nil:
			return buf.Bytes(), containsFold(line[start:], "http/"), rerr
		}
	}
}

// containsFold reports whether b holds s (lower case ASCII) in any ASCII
// case.
func containsFold(b []byte, s string) bool {
	return bytes.Contains(bytes.ToLower(b), []byte(s))
}

// relayRequests relays a tunnel's cleartext HTTP/1 requests from the job
// (src) to the destination (dst), one at a time: each is parsed (its
// header bounded by maxHead), checked and written again by net/http, so
// that the destination reads the same requests, framed the same way, as
// the proxy did (no request smuggled inside another's body). Every
// request must name the CONNECT destination dst: its Host header and,
// in absolute form, its URL (a CDN front routes by Host: another name
// reaches a site policy never allowed). A request that names another
// host, none, cannot be read, or asks to switch protocols (whose bytes
// the proxy could no longer read as requests) ends the relay with
// errHostMismatch, and the request is not relayed; host is the name, as
// auditServerName writes it. n counts the bytes written to the
// destination.
func (p *Proxy) relayRequests(dstConn net.Conn, src io.Reader, dst Destination, maxHead int64) (n int64, host string, err error) {
	lr := &io.LimitedReader{R: src, N: maxHead}
	br := bufio.NewReader(lr)
	w := &countWriter{w: dstConn, idle: p.cfg.limits.IdleTimeout}
	for {
		lr.N = maxHead
		// Empty lines between requests are skipped, as servers do.
		err := skipEmptyLines(br)
		var req *http.Request
		if err == nil {
			req, err = http.ReadRequest(br)
		}
		switch {
		case err == nil:
		case lr.N <= 0:
			// A header over the limit: its end was never read.
			return w.n, unreadableRequest, errHostMismatch
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			// The job finished (a request it broke off is not relayed).
			return w.n, "", nil
		case errors.As(err, new(*net.OpError)) || errors.Is(err, os.ErrDeadlineExceeded):
			// The connection failed, timed out or was cut.
			return w.n, "", err
		default:
			return w.n, unreadableRequest, errors.Join(errHostMismatch, err)
		}
		lr.N = math.MaxInt64 // the body, read as the request is written
		if !plainRequest(req) {
			return w.n, unreadableRequest, errHostMismatch
		}
		if h, ok := requestHost(req, dst); !ok {
			return w.n, h, errHostMismatch
		}
		if _, ok := req.Header["User-Agent"]; !ok {
			req.Header["User-Agent"] = []string{""} // Write adds none
		}
		if err := req.Write(w); err != nil {
			return w.n, "", err
		}
	}
}

// plainRequest reports whether req is an HTTP/1 request whose target
// net/http writes again as it read it: a path, "*" (OPTIONS), or an
// absolute http(s) URL. Other forms ("a:0", an authority of a method
// other than CONNECT) would reach the destination as another request.
func plainRequest(req *http.Request) bool {
	u := req.URL
	switch {
	case req.ProtoMajor != 1:
		return false
	case strings.HasPrefix(req.RequestURI, "/"):
		return u.Scheme == "" && u.Host == ""
	case req.RequestURI == "*":
		return req.Method == http.MethodOptions
	}
	return (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.Opaque == "" && u.User == nil
}

// requestHost reports whether req names dst (host and port: a Host
// without a port names dst's); if not, host is what it names, for the
// audit record.
func requestHost(req *http.Request, dst Destination) (host string, ok bool) {
	if req.Method == http.MethodConnect || upgradeRequest(req.Header) {
		return switchingRequest, false
	}
	names := []string{req.Host}
	if hs := req.Header["Host"]; len(hs) == 1 {
		names = append(names, hs[0])
	}
	for _, name := range names {
		d, err := ParseDestination(name, dst.Port)
		switch {
		case name == "":
			return noHost, false
		case err != nil || d != dst:
			return auditServerName(name), false
		}
	}
	return "", true
}

// skipEmptyLines discards CR and LF bytes before a request.
func skipEmptyLines(br *bufio.Reader) error {
	for {
		c, err := br.ReadByte()
		if err != nil {
			return err
		}
		if c != '\r' && c != '\n' {
			return br.UnreadByte()
		}
	}
}

// countWriter counts the bytes written to w and bounds each write by the
// idle timeout.
type countWriter struct {
	w    net.Conn
	idle time.Duration
	n    int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	_ = c.w.SetWriteDeadline(time.Now().Add(c.idle))
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// idleReader reads a tunnel's job side for relayRequests with the
// deadlines pipe uses: it waits as long as the tunnel moves bytes in
// either direction (last), and records its own.
type idleReader struct {
	c    net.Conn
	last *atomic.Int64
	idle time.Duration
}

func (r *idleReader) Read(b []byte) (int, error) {
	for {
		_ = r.c.SetReadDeadline(time.Now().Add(r.idle / 2))
		n, err := r.c.Read(b)
		if n > 0 {
			r.last.Store(time.Now().UnixNano())
			return n, err
		}
		if errors.Is(err, os.ErrDeadlineExceeded) && time.Since(time.Unix(0, r.last.Load())) < r.idle {
			continue
		}
		return n, err
	}
}
