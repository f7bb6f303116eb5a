// Package itest starts the real servers that ztci's integration tests run
// against (Fulcio, Rekor v1 and v2, the TSA, registries, NATS, PostgreSQL,
// the OpenTelemetry Collector, SPIRE) on 127.0.0.1.
//
// .ci/run builds or installs each server (.ci/install-servers.sh) and
// exports its path in an environment variable: ZTCI_FULCIO, ZTCI_REKOR (v2),
// ZTCI_TSA, ZTCI_DOCKER_REGISTRY, ZTCI_NATS_SERVER, ZTCI_POSTGRES_BIN,
// ZTCI_OTELCOL, and for Rekor v1 ZTCI_REKOR_V1_SERVER,
// ZTCI_TRILLIAN_LOG_SERVER, ZTCI_TRILLIAN_LOG_SIGNER, ZTCI_TRILLIAN_PG_SCHEMA
// and ZTCI_REDIS_SERVER. A test that
// needs a server skips with a clear message when the variable is unset, unless
// ZTCI_REQUIRE_SERVERS=1, as in CI, where a missing server fails the test.
//
// SPIRE ([StartSPIRE]: ZTCI_SPIRE_SERVER, ZTCI_SPIRE_AGENT) has its own
// switch: a missing SPIRE fails only under ZTCI_REQUIRE_SPIRE=1 (set by
// .ci/run, which builds it through .ci/spire), so a developer who set up
// the other servers by hand is not made to build SPIRE (~10 minutes cold).
package itest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Binary returns the path in environment variable env, or skips t (fails it
// under ZTCI_REQUIRE_SERVERS=1) when the variable is unset or the file is
// missing.
func Binary(t testing.TB, env string) string {
	t.Helper()
	path := os.Getenv(env)
	if path != "" {
		if _, err := os.Stat(path); err == nil {
			return path
		}
	}
	msg := fmt.Sprintf("%s is not set to an existing binary (got %q); run bash .ci/run to install the integration-test servers", env, path)
	if os.Getenv("ZTCI_REQUIRE_SERVERS") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago,
// chosen at random below the kernel's ephemeral range: a port the kernel
// handed out for ":0" may be handed out again, to another test's listener
// or to any outgoing connection, before the server the test starts on it
// binds it (a TSA failed to start with "address already in use").
func FreePort(t testing.TB) int {
	t.Helper()
	return freePorts(t, 1)[0]
}

// Addr returns "127.0.0.1:port".
func Addr(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// Process is a server started by Start.
type Process struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
}

// Output returns what the process has printed so far.
func (p *Process) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

func (p *Process) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

// Start runs the command and stops it (SIGKILL, then waits) when the test
// ends. Its output is logged if the test fails.
func Start(t testing.TB, cmd *exec.Cmd) *Process {
	t.Helper()
	p := &Process{cmd: cmd, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p, p
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("output of %s:\n%s", cmd.Path, p.Output())
		}
	})
	return p
}

// Kill sends SIGKILL to the process and waits until it has exited; the
// test's cleanup then has nothing left to stop.
func (p *Process) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// WaitHTTP polls url until it answers with a status below 500, the process
// exits, or the timeout passes.
func (p *Process) WaitHTTP(t testing.TB, url string, timeout time.Duration) {
	t.Helper()
	p.WaitFor(t, timeout, httpBelow(url, 500))
}

// httpOK is ready when url answers 200.
func httpOK(url string) func(context.Context) bool { return httpBelow(url, 201) }

func httpBelow(url string, status int) func(context.Context) bool {
	return func(ctx context.Context) bool {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode < status
	}
}

// WaitTCP polls addr until it accepts a connection.
func (p *Process) WaitTCP(t testing.TB, addr string, timeout time.Duration) {
	t.Helper()
	p.WaitFor(t, timeout, func(ctx context.Context) bool {
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
}

// WaitFor polls ready every 50ms until it returns true; it fails t if the
// process exits or the timeout passes first.
func (p *Process) WaitFor(t testing.TB, timeout time.Duration, ready func(context.Context) bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			t.Fatalf("%s exited before it was ready:\n%s", p.cmd.Path, p.Output())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		ok := ready(ctx)
		cancel()
		if ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s not ready after %v:\n%s", p.cmd.Path, timeout, p.Output())
}
