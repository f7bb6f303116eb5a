package itest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/ztci/ztci/internal/itest"
)

// TestStartOtelCol: the collector accepts an OTLP/JSON log record over HTTP
// and its file exporter writes it out, body and attribute intact.
func TestStartOtelCol(t *testing.T) {
	c := itest.StartOtelCol(t)
	req := `{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"itest"}}]},
	  "scopeLogs":[{"scope":{"name":"itest"},"logRecords":[{"timeUnixNano":"1764921600000000000","severityNumber":9,
	  "body":{"stringValue":"hello collector"},"attributes":[{"key":"k","value":{"stringValue":"v"}}]}]}]}]}`
	resp, err := http.Post("http://"+c.HTTPEndpoint()+"/v1/logs", "application/json", bytes.NewBufferString(req))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /v1/logs: %s: %s", resp.Status, b)
	}
	data := c.WaitFile(t, itest.SignalLogs, 30*time.Second, func(b []byte) bool { return bytes.Contains(b, []byte("hello collector")) })
	var got struct {
		ResourceLogs []struct {
			ScopeLogs []struct {
				LogRecords []struct {
					Body       struct{ StringValue string }
					Attributes []struct {
						Key   string
						Value struct{ StringValue string }
					}
				}
			}
		}
	}
	line, _, _ := bytes.Cut(data, []byte("\n"))
	if err := json.Unmarshal(line, &got); err != nil {
		t.Fatalf("file exporter line: %v\n%s", err, line)
	}
	r := got.ResourceLogs[0].ScopeLogs[0].LogRecords[0]
	if r.Body.StringValue != "hello collector" || len(r.Attributes) != 1 || r.Attributes[0].Value.StringValue != "v" {
		t.Fatalf("record %+v", r)
	}
}
