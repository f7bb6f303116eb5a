package attest

import (
	"bytes"
	"context"
	"io"
	"net/http"
)

// maxInProcessResponse bounds what an in-process handler may return.
const maxInProcessResponse = 4 << 20

// InProcessTransport returns an http.RoundTripper that serves every request
// with h, without a network: it lets sigstore-go's HTTP clients (timestamp
// authority, Fulcio) talk to the embedded TSA and CA handlers unchanged.
// The request's host is ignored.
//
// A request whose context can end is served in a goroutine of its own, and
// RoundTrip returns the context's error as soon as it ends, even if h has
// not returned (h sees the same context end; its answer is then dropped).
// A panic in h is re-raised in the caller's goroutine if h finishes first.
func InProcessTransport(h http.Handler) http.RoundTripper {
	return inProcess{h}
}

type inProcess struct{ h http.Handler }

type served struct {
	resp     *http.Response
	panicked bool
	panicVal any
}

func (t inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx := r.Context()
	if ctx.Done() == nil {
		return t.serve(r), nil
	}
	done := make(chan served, 1) // never blocks the handler's goroutine
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- served{panicked: true, panicVal: p}
			}
		}()
		done <- served{resp: t.serve(r)}
	}()
	select {
	case s := <-done:
		if s.panicked {
			panic(s.panicVal)
		}
		return s.resp, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// serve runs h on r and returns its recorded answer.
func (t inProcess) serve(r *http.Request) *http.Response {
	w := &recorder{header: http.Header{}, status: http.StatusOK}
	if r.Body != nil {
		defer r.Body.Close()
	}
	t.h.ServeHTTP(w, r)
	return &http.Response{
		Status:        http.StatusText(w.status),
		StatusCode:    w.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.header,
		Body:          io.NopCloser(&w.body),
		ContentLength: int64(w.body.Len()),
		Request:       r,
	}
}

type recorder struct {
	header      http.Header
	status      int
	wroteHeader bool
	body        bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.header }

func (w *recorder) WriteHeader(code int) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = code, true
	}
}

func (w *recorder) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if w.body.Len()+len(b) > maxInProcessResponse {
		return 0, http.ErrContentLength
	}
	return w.body.Write(b)
}

// callerContext sends each request under ctx as well as under the
// request's own context (which carries the client's timeout): the request
// ends when either does. It is for sigstore-go's timestamp and Fulcio
// clients, which make their requests without the caller's context.
type callerContext struct {
	ctx  context.Context
	base http.RoundTripper
}

func (t callerContext) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.ctx.Done() == nil {
		return t.base.RoundTrip(r)
	}
	ctx, cancel := context.WithCancelCause(t.ctx)
	stop := context.AfterFunc(r.Context(), func() { cancel(context.Cause(r.Context())) })
	release := func() { stop(); cancel(nil) }
	resp, err := t.base.RoundTrip(r.WithContext(ctx))
	if err != nil {
		release()
		return nil, err
	}
	resp.Body = &releaseBody{ReadCloser: resp.Body, release: release}
	return resp, nil
}

// releaseBody releases a request's context when its answer is closed.
type releaseBody struct {
	io.ReadCloser
	release func()
}

func (b *releaseBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}
