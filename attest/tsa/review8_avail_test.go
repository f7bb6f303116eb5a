package tsa_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ztci/ztci/attest/tsa"
)

// TestReview8StalledQueriesAreAnsweredAndClosed: served on a server
// without timeouts (http.ListenAndServe), the handler held a connection,
// and the goroutine reading it, for as long as its client kept a query
// unfinished. Each such connection now gets 408 and is closed once
// BodyTimeout passes, and honest queries are stamped meanwhile.
func TestReview8StalledQueriesAreAnsweredAndClosed(t *testing.T) {
	t.Parallel()
	a, err := tsa.New()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")

	const abusive = 32
	conns := make([]net.Conn, abusive)
	for i := range conns {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, "POST /api/v1/timestamp HTTP/1.1\r\nHost: x\r\n"+
			"Content-Type: application/timestamp-query\r\nContent-Length: 1000\r\n\r\n0123456789"); err != nil {
			t.Fatal(err)
		}
		conns[i] = conn
	}

	resp, err := http.Post(srv.URL+"/api/v1/timestamp", "application/timestamp-query", bytes.NewReader(query(t, "x", false, 1)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("honest query while others stall: %d", resp.StatusCode)
	}

	var wg sync.WaitGroup
	var closed atomic.Int32
	for _, conn := range conns {
		wg.Go(func() {
			_ = conn.SetReadDeadline(time.Now().Add(tsa.BodyTimeout + 10*time.Second))
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
}

// TestReview8QueryContentType: a body declared as another type than a
// timestamp query, or coded, is refused with 415; a query without a
// Content-Type is still stamped.
func TestReview8QueryContentType(t *testing.T) {
	t.Parallel()
	a, err := tsa.New()
	if err != nil {
		t.Fatal(err)
	}
	h := a.Handler()
	for _, tt := range []struct {
		name string
		hdr  map[string][]string
		want int
	}{
		{"json", map[string][]string{"Content-Type": {"application/json"}}, http.StatusUnsupportedMediaType},
		{"two types", map[string][]string{"Content-Type": {"application/timestamp-query", "text/plain"}}, http.StatusUnsupportedMediaType},
		{"gzip", map[string][]string{"Content-Type": {"application/timestamp-query"}, "Content-Encoding": {"gzip"}}, http.StatusUnsupportedMediaType},
		{"query", map[string][]string{"Content-Type": {"application/timestamp-query"}}, http.StatusCreated},
		{"none", nil, http.StatusCreated},
	} {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/timestamp", bytes.NewReader(query(t, "x", false, 1)))
		for k, v := range tt.hdr {
			req.Header[k] = v
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tt.want {
			t.Errorf("%s: status %d, want %d: %s", tt.name, rec.Code, tt.want, rec.Body)
		}
	}
}

// TestReview8NewServerBoundsConnections: NewServer sets every
// per-connection limit, and its deadlines leave the handler's own room.
func TestReview8NewServerBoundsConnections(t *testing.T) {
	t.Parallel()
	s := tsa.NewServer(":0", http.NotFoundHandler())
	if s.ReadHeaderTimeout <= 0 || s.IdleTimeout <= 0 || s.MaxHeaderBytes <= 0 {
		t.Errorf("header timeout %v, idle timeout %v, header bytes %d: all must be set", s.ReadHeaderTimeout, s.IdleTimeout, s.MaxHeaderBytes)
	}
	if s.ReadTimeout <= tsa.BodyTimeout {
		t.Errorf("ReadTimeout %v cuts the handler's BodyTimeout %v short of its 408", s.ReadTimeout, tsa.BodyTimeout)
	}
	if s.WriteTimeout <= tsa.RequestTimeout {
		t.Errorf("WriteTimeout %v cuts RequestTimeout %v short", s.WriteTimeout, tsa.RequestTimeout)
	}
}
