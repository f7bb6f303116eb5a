package ca_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/identity"
)

// stallBody opens a connection to addr, sends the headers of a POST with a
// body of 1000 bytes declared, then 10 of them, and stops there.
func stallBody(t *testing.T, addr, path, contentType string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.WriteString(conn, "POST "+path+" HTTP/1.1\r\nHost: x\r\nContent-Type: "+contentType+
		"\r\nContent-Length: 1000\r\n\r\n0123456789")
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

// TestReview8StalledBodiesAreAnsweredAndClosed: the handler served as the
// package documentation used to show (http.Handle on a server without
// timeouts) held a connection, and the goroutine reading it, for as long as
// its client kept a body unfinished. Each such connection now gets 408 and
// is closed once BodyTimeout passes, honest requests are answered
// meanwhile, and the authenticator never sees a stalled request.
func TestReview8StalledBodiesAreAnsweredAndClosed(t *testing.T) {
	t.Parallel()
	c, err := ca.New()
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	srv := httptest.NewServer(c.Handler(ca.AuthenticatorFunc(func(context.Context, string) (identity.Identity, error) {
		calls.Add(1)
		return identity.Identity{}, errors.New("no")
	})))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")

	const abusive = 32
	conns := make([]net.Conn, abusive)
	for i := range conns {
		conns[i] = stallBody(t, addr, "/api/v2/signingCert", "application/json")
		defer conns[i].Close()
	}

	// Honest requests are answered while the abusive ones stall.
	resp, err := http.Get(srv.URL + "/api/v2/trustBundle")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("trustBundle: %d", resp.StatusCode)
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/api/v2/signingCert", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer t")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("signingCert with a refused token: %d, want 401", resp.StatusCode)
	}

	// Each stalled connection is answered and closed within the body
	// deadline (plus a margin for a loaded machine), not held open.
	var wg sync.WaitGroup
	var closed atomic.Int32
	for _, conn := range conns {
		wg.Go(func() {
			_ = conn.SetReadDeadline(time.Now().Add(ca.BodyTimeout + 10*time.Second))
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Errorf("stalled connection: no answer: %v", err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestTimeout {
				t.Errorf("stalled connection: status %d, want 408", resp.StatusCode)
			}
			if _, err := br.ReadByte(); err == io.EOF {
				closed.Add(1)
			} else {
				t.Errorf("stalled connection left open after its answer: %v", err)
			}
		})
	}
	wg.Wait()
	if n := closed.Load(); n != abusive {
		t.Errorf("%d of %d stalled connections closed", n, abusive)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("authenticator called %d times, want once (the honest request)", n)
	}
}

// TestReview8NonJSONRefusedUnread: a body declared as another type than
// JSON, or coded, is refused with 415 before it is read or a token looked
// at; no Content-Type is still read as JSON (Fulcio's own clients send
// application/json, others may send none).
func TestReview8NonJSONRefusedUnread(t *testing.T) {
	t.Parallel()
	c, err := ca.New()
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	h := c.Handler(ca.AuthenticatorFunc(func(context.Context, string) (identity.Identity, error) {
		calls.Add(1)
		return identity.Identity{}, errors.New("no")
	}))
	for _, tt := range []struct {
		name string
		hdr  map[string][]string
		want int
	}{
		{"text/plain", map[string][]string{"Content-Type": {"text/plain"}}, http.StatusUnsupportedMediaType},
		{"form", map[string][]string{"Content-Type": {"application/x-www-form-urlencoded"}}, http.StatusUnsupportedMediaType},
		{"utf-16", map[string][]string{"Content-Type": {"application/json; charset=utf-16"}}, http.StatusUnsupportedMediaType},
		{"two types", map[string][]string{"Content-Type": {"application/json", "text/plain"}}, http.StatusUnsupportedMediaType},
		{"gzip", map[string][]string{"Content-Type": {"application/json"}, "Content-Encoding": {"gzip"}}, http.StatusUnsupportedMediaType},
		{"json", map[string][]string{"Content-Type": {"application/json; charset=UTF-8"}}, http.StatusUnauthorized},
		{"none", nil, http.StatusUnauthorized},
	} {
		req := httptest.NewRequest(http.MethodPost, "/api/v2/signingCert", strings.NewReader(`{}`))
		req.Header.Set("Authorization", "Bearer t")
		for k, v := range tt.hdr {
			req.Header[k] = v
		}
		before := calls.Load()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tt.want {
			t.Errorf("%s: status %d, want %d: %s", tt.name, rec.Code, tt.want, rec.Body)
		}
		if tt.want == http.StatusUnsupportedMediaType && calls.Load() != before {
			t.Errorf("%s: the authenticator was asked about a refused body", tt.name)
		}
	}
}

// TestReview8NewServerBoundsConnections: NewServer sets every
// per-connection limit, and its deadlines leave the handler's own room.
func TestReview8NewServerBoundsConnections(t *testing.T) {
	t.Parallel()
	s := ca.NewServer(":0", http.NotFoundHandler())
	if s.ReadHeaderTimeout <= 0 || s.IdleTimeout <= 0 || s.MaxHeaderBytes <= 0 {
		t.Errorf("header timeout %v, idle timeout %v, header bytes %d: all must be set", s.ReadHeaderTimeout, s.IdleTimeout, s.MaxHeaderBytes)
	}
	if s.ReadTimeout <= ca.BodyTimeout {
		t.Errorf("ReadTimeout %v cuts the handler's BodyTimeout %v short of its 408", s.ReadTimeout, ca.BodyTimeout)
	}
	if s.WriteTimeout <= ca.RequestTimeout {
		t.Errorf("WriteTimeout %v cuts RequestTimeout %v short", s.WriteTimeout, ca.RequestTimeout)
	}
}
