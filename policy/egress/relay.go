package egress

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// tunnel answers a CONNECT with 200, then relays bytes both ways until both
// sides have finished, the connection idles out or it is cut. When check
// is not nil (a host name, not an IP literal) and the job's first bytes
// are a TLS ClientHello, its server name must be check's host (or
// absent), or the tunnel is cut before a byte reaches the destination;
// when they are a cleartext HTTP request line, every request must name
// check (see relayRequests), or the tunnel is cut before that request
// reaches it.
func (p *Proxy) tunnel(w http.ResponseWriter, r *http.Request, c *conn, up net.Conn, check *Destination) relayResult {
	hj, ok := w.(http.Hijacker)
	if !ok {
		_ = up.Close()
		refuse(w, r, http.StatusInternalServerError, "", "the server cannot hijack connections (use HTTP/1.1)")
		return relayResult{err: errors.New("response writer cannot hijack")}
	}
	client, brw, err := hj.Hijack()
	if err != nil {
		_ = up.Close()
		return relayResult{err: err}
	}
	defer client.Close()
	defer up.Close()
	if !c.attach(client) {
		return relayResult{}
	}
	// The server's header deadline must not end the tunnel.
	_ = client.SetDeadline(time.Time{})
	if _, err := io.WriteString(client, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return relayResult{err: err}
	}

	var res relayResult
	var last atomic.Int64
	last.Store(time.Now().UnixNano())
	// Bytes the client sent right after its CONNECT (a pipelined TLS
	// ClientHello) are in the server's read buffer.
	var pre []byte
	if n := brw.Reader.Buffered(); n > 0 {
		b, _ := brw.Reader.Peek(n)
		pre = bytes.Clone(b)
	}

	var (
		wg       sync.WaitGroup
		upN      int64
		upErr    error
		closeAll sync.Once
	)
	abort := func() {
		closeAll.Do(func() {
			_ = client.Close()
			_ = up.Close()
		})
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		var eof, cleartext bool
		if check != nil {
			sniHost := check.Host
			if len(pre) == 0 {
				// Server-first protocols (SSH, SMTP) leave the job silent
				// while the destination talks: wait as long as the
				// tunnel is not idle.
				pre, upErr = p.firstBytes(client, &last)
				if upErr != nil && upErr != io.EOF {
					abort()
					return
				}
			}
			_ = client.SetReadDeadline(time.Now().Add(p.cfg.limits.IdleTimeout))
			var name string
			pre, name, upErr = peekServerName(io.MultiReader(bytes.NewReader(pre), client))
			switch {
			case errors.Is(upErr, errUnreadableHello):
				res.sni, upErr = "(unreadable)", nil
				c.cut(EndSNIMismatch)
				return
			case name != "" && !sameHost(name, sniHost):
				res.sni = auditServerName(name)
				c.cut(EndSNIMismatch)
				return
			}
			if (upErr == nil || upErr == io.EOF) && len(pre) > 0 && !looksLikeTLS(pre[0]) {
				pre, cleartext, upErr = startsHTTPRequest(io.MultiReader(bytes.NewReader(pre), client), p.cfg.limits.MaxHeaderBytes)
			}
			switch {
			case cleartext:
				// The bytes already read are parsed again as requests.
				src := io.MultiReader(bytes.NewReader(pre), &idleReader{c: client, last: &last, idle: p.cfg.limits.IdleTimeout})
				var host string
				upN, host, upErr = p.relayRequests(up, src, *check, int64(p.cfg.limits.MaxHeaderBytes))
				if errors.Is(upErr, errHostMismatch) {
					res.httpHost, upErr = host, nil
					c.cut(EndHostMismatch)
					return
				}
				if upErr != nil || !closeWrite(up) {
					abort()
				}
				return
			case upErr == io.EOF:
				eof, upErr = true, nil
			case upErr != nil:
				abort()
				return
			}
		}
		if len(pre) > 0 {
			if _, err := up.Write(pre); err != nil {
				upErr = err
				abort()
				return
			}
			upN += int64(len(pre))
		}
		if !eof {
			var n int64
			n, upErr = p.pipe(up, client, &last)
			upN += n
		}
		if upErr != nil || !closeWrite(up) {
			abort()
		}
	}()
	down, downErr := p.pipe(client, up, &last)
	if downErr != nil || !closeWrite(client) {
		abort()
	}
	wg.Wait()
	res.up = upN
	res.down = down
	// A read or write on a connection the proxy closed itself (after the
	// other direction ended or failed, or a cut, which cutReason reports)
	// is not a failure of its own.
	for _, err := range []error{upErr, downErr} {
		if !errors.Is(err, net.ErrClosed) {
			res.err = errors.Join(res.err, err)
		}
	}
	return res
}

// firstBytes waits for the job's first bytes in a tunnel, for as long as
// the tunnel is not idle (last, see pipe).
func (p *Proxy) firstBytes(client net.Conn, last *atomic.Int64) ([]byte, error) {
	idle := p.cfg.limits.IdleTimeout
	b := make([]byte, 4096)
	for {
		_ = client.SetReadDeadline(time.Now().Add(idle / 2))
		n, err := client.Read(b)
		switch {
		case n > 0:
			return b[:n], nil
		case errors.Is(err, os.ErrDeadlineExceeded) && time.Since(time.Unix(0, last.Load())) < idle:
		case err != nil:
			return nil, err
		}
	}
}

// closeWrite passes a finished direction's EOF on (a TCP half-close). A
// connection that cannot half-close reports false and the tunnel closes
// whole, or the other side would wait for an EOF until the idle timeout.
func closeWrite(c net.Conn) bool {
	cw, ok := c.(interface{ CloseWrite() error })
	return ok && cw.CloseWrite() == nil
}

// spliceChunk is how much pipe hands the kernel at once: io.CopyN between
// two TCP connections splices (no copy through user space) up to this
// many bytes, then pipe moves the deadlines forward. A receiver that takes
// longer than the idle timeout to accept one chunk is cut.
const spliceChunk = 1 << 20

// pipe copies src to dst until src's EOF (nil error), an error, or no
// traffic in either direction (last) for Limits.IdleTimeout. Between TCP
// connections the kernel splices; otherwise the bytes go through a buffer
// of Limits.BufferSize.
//
// A splice reports progress only when it returns, so reads wake every half
// idle period to record that bytes moved (last): the other direction,
// waiting for its own bytes, reads last to tell a busy tunnel from an idle
// one. A tunnel is closed between one and one and a half idle periods
// after its last byte.
func (p *Proxy) pipe(dst, src net.Conn, last *atomic.Int64) (int64, error) {
	idle := p.cfg.limits.IdleTimeout
	var total int64
	_, dstTCP := dst.(*net.TCPConn)
	_, srcTCP := src.(*net.TCPConn)
	splice := dstTCP && srcTCP
	var buf []byte
	if !splice {
		buf = make([]byte, p.cfg.limits.BufferSize)
	}
	for {
		now := time.Now()
		writeBy := now.Add(idle)
		_ = src.SetReadDeadline(now.Add(idle / 2))
		_ = dst.SetWriteDeadline(writeBy)
		var n int64
		var err error
		if splice {
			n, err = io.CopyN(dst, src, spliceChunk)
		} else {
			// Hide dst's ReadFrom so that buf, not a buffer of its own, is used.
			n, err = io.CopyBuffer(struct{ io.Writer }{dst}, io.LimitReader(src, spliceChunk), buf)
			if err == nil && n < spliceChunk {
				err = io.EOF
			}
		}
		total += n
		now = time.Now()
		if n > 0 {
			last.Store(now.UnixNano())
		}
		switch {
		case err == nil:
		case err == io.EOF:
			return total, nil
		case errors.Is(err, os.ErrDeadlineExceeded) && now.Before(writeBy) && now.Sub(time.Unix(0, last.Load())) < idle:
			// The read woke up (the write deadline is still ahead) and the
			// tunnel moved bytes within the idle period: carry on.
		default:
			return total, err
		}
	}
}

// forward relays one absolute-form http:// request over up, a fresh
// connection to the checked address, and the response back. The upstream
// connection is not reused: each request is decided and audited on its own.
func (p *Proxy) forward(w http.ResponseWriter, r *http.Request, c *conn, up net.Conn) (res relayResult) {
	idle := p.cfg.limits.IdleTimeout
	cc := &countingConn{Conn: up, idle: idle}
	defer cc.Close()
	defer func() {
		res.up, res.down = cc.up.Load(), cc.down.Load()
		// ReverseProxy panics (http.ErrAbortHandler) when the response fails
		// after its header went to the job: the destination or the job broke
		// off, or the connection was cut. Unrecovered, the panic would skip
		// the close record (bytes, end) of a connection that moved data; the
		// caller writes it, then panics again.
		if v := recover(); v != nil {
			res.abort = v
			if res.err == nil {
				res.err = errors.New("the response broke off after its header was relayed")
			}
		}
	}()
	rc := http.NewResponseController(w)
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			u := *r.URL
			u.User = nil
			pr.Out.URL = &u
			pr.Out.Host = r.Host
			pr.Out.Close = true
			pr.Out.Header.Del("Proxy-Authorization")
			pr.Out.Header.Del("Proxy-Connection")
			// A request's trailers are not forwarded: Request.Clone left
			// their values behind but kept their names, which Request.Write
			// declares upstream ("Trailer: Proxy-Authorization").
			pr.Out.Trailer = nil
			if pr.Out.Body != nil && pr.Out.Body != http.NoBody {
				pr.Out.Body = &idleBody{ReadCloser: pr.Out.Body, rc: rc, idle: idle}
			}
		},
		Transport: oneConn{cc},
		// Only the proxy names a refusal's rule: a destination's response
		// carrying HeaderRule would pass its own 403 (or anything) off as
		// the proxy's policy decision to the job and its tooling. The
		// trailer loses it too, with the hop-by-hop fields: ReverseProxy
		// strips those from the header only and relayed a trailer
		// (declared or not) as it came.
		ModifyResponse: func(resp *http.Response) error {
			resp.Header.Del(HeaderRule)
			scrubTrailer(resp.Trailer)
			resp.Body = &trailerScrub{ReadCloser: resp.Body, resp: resp}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			res.err = err
			if c.cutReason() != "" {
				refuse(w, r, http.StatusServiceUnavailable, "", "the connection was cut")
				return
			}
			refuse(w, r, http.StatusBadGateway, "", "the destination's response could not be relayed")
		},
		ErrorLog: slog.NewLogLogger(p.cfg.log.Handler(), slog.LevelDebug),
	}
	rp.ServeHTTP(&idleWriter{ResponseWriter: w, rc: rc, idle: idle}, r)
	return res
}

// notTrailers are the fields a forwarded response's trailer loses: the
// proxy's own HeaderRule and the hop-by-hop fields, which the proxy
// strips from the header (RFC 9110 7.6.1, and Proxy-Connection).
var notTrailers = []string{
	HeaderRule, "Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// scrubTrailer deletes notTrailers from t.
func scrubTrailer(t http.Header) {
	for _, k := range notTrailers {
		t.Del(k)
	}
}

// trailerScrub scrubs a response's trailer once its body has read it: the
// body fills resp.Trailer at its end, after ModifyResponse, and
// ReverseProxy copies it to the job after Close.
type trailerScrub struct {
	io.ReadCloser
	resp *http.Response
}

func (b *trailerScrub) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		scrubTrailer(b.resp.Trailer)
	}
	return n, err
}

func (b *trailerScrub) Close() error {
	err := b.ReadCloser.Close()
	scrubTrailer(b.resp.Trailer)
	return err
}

// maxResponseHeaderBytes bounds the header block of a destination's
// response to a forwarded request (http.ReadResponse has no bound of its
// own: a destination could otherwise make the proxy buffer headers until
// it runs out of memory).
const maxResponseHeaderBytes = 1 << 20

// errResponseHeaderTooLarge: a destination's response header block is over
// maxResponseHeaderBytes.
var errResponseHeaderTooLarge = errors.New("egress: the destination's response header is too large")

// oneConn is a RoundTripper over a single, already dialed connection.
type oneConn struct{ c net.Conn }

func (t oneConn) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := req.Write(t.c); err != nil {
		return nil, err
	}
	// The limit covers the status line and header; the body is read
	// through the same reader once it is lifted.
	lr := &io.LimitedReader{R: t.c, N: maxResponseHeaderBytes}
	br := bufio.NewReader(lr)
	for {
		resp, err := http.ReadResponse(br, req)
		switch {
		case err != nil && lr.N <= 0:
			return nil, errResponseHeaderTooLarge
		case err != nil:
			return nil, err
		case resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols:
			// An interim response (100 Continue to the job's Expect, 103
			// Early Hints) precedes the real one, as http.Transport
			// skips it; relayed as the response, it would end the
			// exchange with an empty 200. The header limit counts them.
			continue
		}
		lr.N = math.MaxInt64
		return resp, nil
	}
}

// countingConn counts bytes each way and moves its deadline forward on
// every read and write, so only an idle connection times out.
type countingConn struct {
	net.Conn
	idle     time.Duration
	up, down atomic.Int64
}

func (c *countingConn) Read(b []byte) (int, error) {
	_ = c.SetDeadline(time.Now().Add(c.idle))
	n, err := c.Conn.Read(b)
	c.down.Add(int64(n))
	return n, err
}

func (c *countingConn) Write(b []byte) (int, error) {
	_ = c.SetDeadline(time.Now().Add(c.idle))
	n, err := c.Conn.Write(b)
	c.up.Add(int64(n))
	return n, err
}

// idleBody bounds each read of the job's request body by the idle timeout.
type idleBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	idle time.Duration
}

func (b *idleBody) Read(p []byte) (int, error) {
	_ = b.rc.SetReadDeadline(time.Now().Add(b.idle))
	return b.ReadCloser.Read(p)
}

// idleWriter bounds each write of the response to the job by the idle
// timeout.
type idleWriter struct {
	http.ResponseWriter
	rc   *http.ResponseController
	idle time.Duration
}

func (w *idleWriter) Write(p []byte) (int, error) {
	_ = w.rc.SetWriteDeadline(time.Now().Add(w.idle))
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the server's writer (to flush).
func (w *idleWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
