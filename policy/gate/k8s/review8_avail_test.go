package k8s_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/k8s"
)

// TestReview8StalledReviewsHoldNoDecisionSlot: the gate's own starvation
// (clients that send headers and a few body bytes, then stall) does not
// reach the webhook. With a single decision slot, 64 connections stalled
// mid-body hold none of it: an honest review is decided meanwhile, the
// decider is never asked about a stalled one, and each stalled connection
// is answered and closed once its read deadline (from the API server's
// timeout parameter) passes. Served with gate.NewServer on a real socket.
func TestReview8StalledReviewsHoldNoDecisionSlot(t *testing.T) {
	t.Parallel()
	g := &fakeGate{}
	w := newWebhook(t, g, &memSink{}, k8s.WithParallelism(1))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := gate.NewServer("", w)
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	addr := ln.Addr().String()

	const abusive = 64
	conns := make([]net.Conn, abusive)
	for i := range conns {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// timeout=3s: the webhook reads the body for at most 1 s.
		if _, err := io.WriteString(conn, "POST /validate?timeout=3s HTTP/1.1\r\nHost: x\r\n"+
			"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"apiVersion\":"); err != nil {
			t.Fatal(err)
		}
		conns[i] = conn
	}

	resp, err := http.Post("http://"+addr+"/validate?timeout=10s", "application/json",
		bytes.NewReader(fixture(t, "deployment-create.json")))
	if err != nil {
		t.Fatal(err)
	}
	var out admissionv1.AdmissionReview
	err = json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if err != nil || out.Response == nil || !out.Response.Allowed {
		t.Fatalf("honest review while others stall: %v %+v", err, out.Response)
	}
	honest := len(g.decided())

	var wg sync.WaitGroup
	var closed atomic.Int32
	for _, conn := range conns {
		wg.Go(func() {
			_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
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
			}
		})
	}
	wg.Wait()
	if n := closed.Load(); n != abusive {
		t.Errorf("%d of %d stalled connections closed", n, abusive)
	}
	if n := len(g.decided()); n != honest {
		t.Errorf("the decider was asked %d times more, about stalled reviews", n-honest)
	}
}
