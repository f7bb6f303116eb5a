package attest

import (
	"bytes"
	"io"
	"net/http"
)

// maxInProcessResponse bounds what an in-process handler may return.
const maxInProcessResponse = 4 << 20

// InProcessTransport returns an http.RoundTripper that serves every request
// with h in the calling goroutine, without a network: it lets sigstore-go's
// HTTP clients (timestamp authority, Fulcio) talk to the embedded TSA and CA
// handlers unchanged. The request's host is ignored.
func InProcessTransport(h http.Handler) http.RoundTripper {
	return inProcess{h}
}

type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
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
	}, nil
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
