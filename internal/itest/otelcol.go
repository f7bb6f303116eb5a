package itest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// OtelCol is an OpenTelemetry Collector started by [StartOtelCol]: an OTLP
// receiver (gRPC and HTTP) on 127.0.0.1 whose logs, metrics and traces
// pipelines each end in a file exporter, so a test reads back what arrived.
type OtelCol struct {
	// HTTPPort serves OTLP/HTTP: POST /v1/logs, /v1/metrics, /v1/traces.
	HTTPPort int
	// GRPCPort serves OTLP/gRPC.
	GRPCPort int
	dir      string
	p        *Process
}

// Signals of a collector pipeline, the names [OtelCol.File] takes.
const (
	SignalLogs    = "logs"
	SignalMetrics = "metrics"
	SignalTraces  = "traces"
)

// HTTPEndpoint is the OTLP/HTTP endpoint, "127.0.0.1:port", as the SDK's
// OTLP HTTP exporters take it (with their insecure option: plain HTTP on
// loopback).
func (c *OtelCol) HTTPEndpoint() string { return Addr(c.HTTPPort) }

// File is the path of the file the collector writes signal to: OTLP/JSON,
// one export request per line (the collector's file exporter).
func (c *OtelCol) File(signal string) string { return filepath.Join(c.dir, signal+".jsonl") }

// Kill sends SIGKILL to the collector and waits for it to exit.
func (c *OtelCol) Kill() { c.p.Kill() }

// WaitFile polls the file of signal until done returns true for its
// contents, and returns them; it fails t after timeout.
func (c *OtelCol) WaitFile(t testing.TB, signal string, timeout time.Duration, done func(data []byte) bool) []byte {
	t.Helper()
	var data []byte
	deadline := time.Now().Add(timeout)
	for {
		b, err := os.ReadFile(c.File(signal))
		if err == nil && done(b) {
			return b
		}
		if err == nil {
			data = b
		}
		if time.Now().After(deadline) {
			t.Fatalf("otelcol: %s file did not reach the expected state in %v; it holds %d bytes:\n%.4000s\ncollector output:\n%s",
				signal, timeout, len(data), data, c.p.Output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// otelcolConfig is the collector's configuration: OTLP in on loopback, a
// short batch, one file per signal, and no telemetry listener of its own
// (which would otherwise bind :8888).
const otelcolConfig = `receivers:
  otlp:
    protocols:
      grpc:
        endpoint: %[1]s
      http:
        endpoint: %[2]s
processors:
  batch:
    timeout: 100ms
exporters:
  file/logs:
    path: %[3]s
    flush_interval: 100ms
  file/metrics:
    path: %[4]s
    flush_interval: 100ms
  file/traces:
    path: %[5]s
    flush_interval: 100ms
service:
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [file/logs]
    metrics:
      receivers: [otlp]
      processors: [batch]
      exporters: [file/metrics]
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [file/traces]
`

// StartOtelCol starts the collector at $ZTCI_OTELCOL (built by
// .ci/install-servers.sh from internal/itest/otelcol-builder.yaml; skipping
// t when it is unset, see [Binary]) on free ports of 127.0.0.1. It returns
// once the OTLP/HTTP receiver accepts connections; the process is killed
// when the test ends.
func StartOtelCol(t testing.TB) *OtelCol {
	t.Helper()
	bin := Binary(t, "ZTCI_OTELCOL")
	dir := t.TempDir()
	c := &OtelCol{HTTPPort: FreePort(t), GRPCPort: FreePort(t), dir: dir}
	cfg := filepath.Join(dir, "config.yaml")
	body := fmt.Sprintf(otelcolConfig, Addr(c.GRPCPort), Addr(c.HTTPPort),
		c.File(SignalLogs), c.File(SignalMetrics), c.File(SignalTraces))
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	c.p = Start(t, exec.Command(bin, "--config=file:"+cfg))
	c.p.WaitTCP(t, c.HTTPEndpoint(), 30*time.Second)
	return c
}
