package egress_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/policy/egress"
)

// forwardRaw serves one forwarded request through a proxy to an upstream
// that answers raw, and returns the job's response with its body read
// (so its trailer is in) and what the upstream read of the request.
func forwardRaw(t *testing.T, request, answer string) (*http.Response, string) {
	t.Helper()
	seen := make(chan string, 1)
	up := serveTCP(t, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		var raw bytes.Buffer
		req, err := http.ReadRequest(bufio.NewReader(io.TeeReader(c, &raw)))
		if err != nil {
			seen <- "unreadable: " + err.Error()
			return
		}
		_, _ = io.Copy(io.Discard, req.Body)
		seen <- raw.String()
		_, _ = io.WriteString(c, answer)
	})
	_, paddr := startProxy(t, testRules(t, port(t, up)), &recorder{},
		egress.WithResolver(hosts{"up.allowed.test": loopback}), internalLoopback())
	c, err := net.Dial("tcp", paddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, request, port(t, up), basic(tokenA))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(resp.Body); err != nil {
		t.Fatal(err)
	}
	return resp, <-seen
}

// TestReview22ForwardedTrailerCannotForgeProxyFields: a destination's
// chunked response whose trailer, declared or not, carries
// X-Ztci-Egress-Rule, Proxy-Authenticate or Connection reaches the job
// without them (the header lost them already), so a destination cannot
// pass its answer off as the proxy's refusal after the body; an ordinary
// trailer still arrives.
func TestReview22ForwardedTrailerCannotForgeProxyFields(t *testing.T) {
	t.Parallel()
	get := "GET http://up.allowed.test:%d/ HTTP/1.1\r\nHost: x\r\nProxy-Authorization: %s\r\n\r\n"
	forged := egress.HeaderRule + ": " + egress.RuleDefaultDeny + "\r\nProxy-Authenticate: Basic realm=\"ztci-egress\"\r\n" +
		"Connection: close\r\nProxy-Connection: close\r\nX-Checksum: abc\r\n\r\n"
	for name, declare := range map[string]string{
		"declared":   "Trailer: " + egress.HeaderRule + ", Proxy-Authenticate, Connection, X-Checksum\r\n",
		"undeclared": "",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			answer := "HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n" + declare + "\r\n5\r\nforge\r\n0\r\n" + forged
			resp, _ := forwardRaw(t, get, answer)
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("status %d, want the destination's 403", resp.StatusCode)
			}
			for _, k := range []string{egress.HeaderRule, "Proxy-Authenticate", "Connection", "Proxy-Connection"} {
				if v := resp.Trailer.Values(k); len(v) != 0 {
					t.Errorf("the destination's %s trailer reached the job: %q", k, v)
				}
				if v := resp.Header.Values(k); len(v) != 0 && k != "Connection" {
					t.Errorf("the destination's %s reached the job's header: %q", k, v)
				}
			}
			for _, k := range resp.Header.Values("Trailer") {
				if strings.Contains(strings.ToLower(k), "ztci") || strings.Contains(strings.ToLower(k), "proxy-") {
					t.Errorf("the job was told to expect a trailer %q", k)
				}
			}
			if got := resp.Trailer.Get("X-Checksum"); got != "abc" {
				t.Errorf("an ordinary trailer was lost: X-Checksum %q, trailer %v", got, resp.Trailer)
			}
		})
	}
}

// TestReview22ForwardedRequestTrailerNotForwarded: a job's chunked
// request whose trailer declares and carries Proxy-Authorization (its
// token) reaches the destination without the trailer and without its
// declaration.
func TestReview22ForwardedRequestTrailerNotForwarded(t *testing.T) {
	t.Parallel()
	req := "POST http://up.allowed.test:%d/ HTTP/1.1\r\nHost: x\r\nProxy-Authorization: %[2]s\r\n" +
		"Transfer-Encoding: chunked\r\nTrailer: Proxy-Authorization, X-Ztci-Egress-Rule\r\n\r\n" +
		"2\r\nhi\r\n0\r\nProxy-Authorization: %[2]s\r\nX-Ztci-Egress-Rule: x\r\n\r\n"
	resp, seen := forwardRaw(t, req, "HTTP/1.1 204 No Content\r\n\r\n")
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("status %d, want 204; upstream read %q", resp.StatusCode, seen)
	}
	low := strings.ToLower(seen)
	for _, bad := range []string{"proxy-authorization", "trailer:", "x-ztci", strings.ToLower(tokenA)} {
		if strings.Contains(low, bad) {
			t.Errorf("the destination read %q: %q", bad, seen)
		}
	}
}
