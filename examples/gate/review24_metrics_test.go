package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/ztci/ztci/policy/gate"
)

// startDemo runs `gate --demo` with args and returns the addresses it
// listens on (the API's, then the metrics' when --metrics-addr is set) and
// the request files it wrote.
func startDemo(t *testing.T, listeners int, args ...string) (addrs, files []string) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	var out safeBuffer
	ready, errc := make(chan string, 2), make(chan error, 1)
	go func() { errc <- run(ctx, append([]string{"--demo", "--addr", "127.0.0.1:0"}, args...), &out, ready) }()
	for range listeners {
		select {
		case a := <-ready:
			addrs = append(addrs, a)
		case err := <-errc:
			cancel()
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	for _, f := range strings.Fields(out.String()) {
		if strings.HasPrefix(f, "@") {
			files = append(files, strings.TrimPrefix(f, "@"))
		}
	}
	if len(files) != 2 {
		t.Fatalf("demo printed %q", out.String())
	}
	return addrs, files
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestReview24MetricsOffTheAdmitListener: the listener jobs reach serves
// the API only. /metrics (which rules deny, how often, how long decisions
// take) was served there to anyone, unauthenticated; it is now served only
// on --metrics-addr, and not at all without it.
func TestReview24MetricsOffTheAdmitListener(t *testing.T) {
	t.Parallel()
	t.Run("metrics-addr", func(t *testing.T) {
		t.Parallel()
		addrs, files := startDemo(t, 2, "--metrics-addr", "127.0.0.1:0")
		api, mtr := "http://"+addrs[0], "http://"+addrs[1]
		b, err := os.ReadFile(files[1])
		if err != nil {
			t.Fatal(err)
		}
		if status, resp := post(t, api, b); status != http.StatusOK || resp.Allowed {
			t.Fatalf("deny.json: %d %+v", status, resp)
		}
		if status, body := get(t, api+pathMetrics); status != http.StatusNotFound || strings.Contains(body, "ztci_gate") {
			t.Errorf("GET %s on the API listener: %d %q, want 404 without metrics", pathMetrics, status, body)
		}
		status, body := get(t, mtr+pathMetrics)
		if want := `ztci_gate_denials_total{ztci_gate_rule="deploy.unprotected_ref"} 1`; status != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("GET %s on --metrics-addr: %d, want %q in\n%s", pathMetrics, status, want, body)
		}
		// The metrics listener serves nothing else: no admission there.
		resp, err := http.Post(mtr+gate.PathAdmit, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("POST %s on --metrics-addr: %d, want 404", gate.PathAdmit, resp.StatusCode)
		}
	})
	t.Run("default", func(t *testing.T) {
		t.Parallel()
		addrs, _ := startDemo(t, 1)
		if status, body := get(t, "http://"+addrs[0]+pathMetrics); status != http.StatusNotFound || strings.Contains(body, "ztci_gate") {
			t.Errorf("GET %s without --metrics-addr: %d %q, want 404", pathMetrics, status, body)
		}
	})
}

// TestReview24MetricLabelsBounded: what a caller chooses (image names,
// tokens, bodies) never becomes a label value, so requests cannot create
// time series at will.
func TestReview24MetricLabelsBounded(t *testing.T) {
	t.Parallel()
	addrs, _ := startDemo(t, 2, "--metrics-addr", "127.0.0.1:0")
	api := "http://" + addrs[0]
	for _, img := range []string{"registry.example/attacker-a:x", "attacker-b@sha256:" + strings.Repeat("a", 64), "attacker-c"} {
		post(t, api, body(t, gate.Request{JobToken: gate.NewToken("attacker-token"), Image: img}))
	}
	resp, err := http.Post(api+gate.PathAdmit, "application/json", strings.NewReader(`{"attacker-d":1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	status, metrics := get(t, "http://"+addrs[1]+pathMetrics)
	if status != http.StatusOK || !strings.Contains(metrics, "ztci_gate_") {
		t.Fatalf("GET %s: %d\n%s", pathMetrics, status, metrics)
	}
	if strings.Contains(metrics, "attacker") {
		t.Errorf("a caller's string became a label:\n%s", metrics)
	}
}
