package egress_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy/egress"
)

// hostLog is a destination standing for a CDN front: it serves every Host
// it is asked for, and records which.
type hostLog struct {
	mu    sync.Mutex
	hosts []string
}

func (l *hostLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	l.hosts = append(l.hosts, r.Host)
	l.mu.Unlock()
	_, _ = io.WriteString(w, "served "+r.Host+"\n")
}

func (l *hostLog) seen() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.hosts...)
}

// TestReview21TunnelHostHeaderMustNameConnectHost: cleartext HTTP in a
// tunnel to an allowed front must name the CONNECT host in every request;
// a request naming another (domain fronting by Host header), hidden after
// an allowed one, in an absolute URL, behind empty lines, or inside a
// request body the destination would read differently, never reaches the
// destination, and the tunnel's cut is audited.
func TestReview21TunnelHostHeaderMustNameConnectHost(t *testing.T) {
	t.Parallel()
	var front hostLog
	addr := servePlain(t, &front)
	p := fmt.Sprint(port(t, addr))
	rec := &recorder{}
	_, paddr := startProxy(t, testRules(t, port(t, addr)), rec,
		egress.WithResolver(hosts{"cdn.allowed.test": loopback}), internalLoopback())
	authority := "cdn.allowed.test:" + p

	for _, tt := range []struct {
		name string
		send string
	}{
		{"fronted", "GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n"},
		{"fronted after an allowed request",
			"GET / HTTP/1.1\r\nHost: cdn.allowed.test:" + p + "\r\n\r\nGET / HTTP/1.1\r\nHost: evil.example\r\n\r\n"},
		{"absolute URL", "GET http://evil.example/ HTTP/1.1\r\nHost: cdn.allowed.test\r\n\r\n"},
		{"behind empty lines", "\r\n\r\nGET / HTTP/1.1\r\nHost: evil.example\r\n\r\n"},
		{"smuggled in a body", "POST / HTTP/1.1\r\nHost: cdn.allowed.test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n" +
			"0\r\n\r\nGET / HTTP/1.1\r\nHost: evil.example\r\n\r\n"},
		{"no host", "GET / HTTP/1.0\r\n\r\n"},
		{"another port", "GET / HTTP/1.1\r\nHost: cdn.allowed.test:1\r\n\r\n"},
		{"upgrade", "GET / HTTP/1.1\r\nHost: cdn.allowed.test\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n" +
			"GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n"},
		{"request line split over writes", "GET / HT|TP/1.1\r\nHost: evil.example\r\n\r\n"},
		{"request line past the limit", "GET /" + strings.Repeat("a", 40<<10) + " HTTP/1.1\r\nHost: evil.example\r\n\r\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, _, c := rawConnect(t, paddr, authority, basic(tokenA))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			for part := range strings.SplitSeq(tt.send, "|") {
				if _, err := io.WriteString(c, part); err != nil {
					t.Fatal(err)
				}
				time.Sleep(50 * time.Millisecond)
			}
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			br := bufio.NewReader(c)
			// Responses to the allowed requests before the cut may come
			// back; none for another host.
			for {
				r, err := http.ReadResponse(br, nil)
				if err != nil {
					break
				}
				b, _ := io.ReadAll(r.Body)
				if strings.Contains(string(b), "evil") {
					t.Fatalf("the front served %q", b)
				}
			}
		})
	}
	for _, h := range front.seen() {
		if !strings.HasPrefix(h, "cdn.allowed.test") {
			t.Errorf("the front was asked for %q", h)
		}
	}
	deny := rec.waitFor(t, egress.ActionConnect, audit.OutcomeDeny, "egress:"+authority, 10)
	for _, e := range deny {
		if e.Attributes[egress.AttrRule] != egress.RuleHostMismatch || e.Attributes[egress.AttrHTTPHost] == "" {
			t.Errorf("deny event: %+v", e)
		}
	}
	for _, e := range rec.waitFor(t, egress.ActionClose, audit.OutcomeFailure, "egress:"+authority, 10) {
		if e.Attributes[egress.AttrEnd] != egress.EndHostMismatch {
			t.Errorf("close event: %+v", e)
		}
	}
}

// TestReview21TunnelCleartextStillWorks: requests naming the CONNECT host
// (curl tunnelling an http:// URL, keep-alive, a chunked body) are relayed,
// and a protocol that is not HTTP (an SSH banner with a comment) is
// relayed as it is.
func TestReview21TunnelCleartextStillWorks(t *testing.T) {
	t.Parallel()
	var front hostLog
	addr := servePlain(t, &front)
	echo := newEchoServer(t)
	rec := &recorder{}
	_, paddr := startProxy(t, testRules(t, port(t, addr), port(t, echo.addr)), rec,
		egress.WithResolver(hosts{"cdn.allowed.test": loopback, "ssh.allowed.test": loopback}), internalLoopback())
	p := fmt.Sprint(port(t, addr))

	t.Run("keep-alive and a chunked body", func(t *testing.T) {
		resp, _, c := rawConnect(t, paddr, "cdn.allowed.test:"+p, basic(tokenA))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		send := "GET / HTTP/1.1\r\nHost: CDN.allowed.test.:" + p + "\r\n\r\n" +
			"POST /x HTTP/1.1\r\nHost: cdn.allowed.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
		if _, err := io.WriteString(c, send); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		br := bufio.NewReader(c)
		for i := range 2 {
			r, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("response %d: %v", i, err)
			}
			_, _ = io.Copy(io.Discard, r.Body)
		}
	})

	t.Run("curl -p", func(t *testing.T) {
		need(t, "curl")
		out, errOut, err := curl(t, jobEnv(t, proxyURL(paddr, tokenA)), "-p", "http://cdn.allowed.test:"+p+"/")
		if err != nil || out != "served cdn.allowed.test:"+p+"\n" {
			t.Fatalf("curl: %q %q %v", out, errOut, err)
		}
	})

	t.Run("not HTTP", func(t *testing.T) {
		resp, _, c := rawConnect(t, paddr, "ssh.allowed.test:"+fmt.Sprint(port(t, echo.addr)), basic(tokenA))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		banner := "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5\r\n"
		if _, err := io.WriteString(c, banner); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		got := make([]byte, len(banner))
		if _, err := io.ReadFull(c, got); err != nil || string(got) != banner {
			t.Fatalf("echo: %q %v", got, err)
		}
	})
	for _, e := range rec.all() {
		if e.Outcome != audit.OutcomeAllow && e.Outcome != audit.OutcomeSuccess {
			t.Errorf("event: %+v", e)
		}
	}
}
