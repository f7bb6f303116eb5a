package itest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// SPIRE is a real SPIRE server and agent started by [StartSPIRE].
type SPIRE struct {
	// TrustDomain is the trust domain both were configured with.
	TrustDomain string
	// SocketPath is the agent's Workload API socket; Addr is the same as a
	// go-spiffe address ("unix:///…").
	SocketPath string
	// AgentID is the agent's SPIFFE ID (from its join token), the parent
	// of the entries [SPIRE.CreateEntry] registers.
	AgentID string

	server, agent string // binaries
	serverSocket  string // the server's admin API socket
	agentProcess  *Process
	serverProcess *Process
	fetchTimeout  time.Duration
	dir           string // private to the test: configs, data, sockets
}

// Addr returns the agent's Workload API address for go-spiffe's
// workloadapi.WithAddr.
func (s *SPIRE) Addr() string { return "unix://" + s.SocketPath }

// spireBinary is [Binary] for the SPIRE binaries (built by .ci/spire, which
// .ci/run calls): a missing one fails t only under ZTCI_REQUIRE_SPIRE=1,
// never under ZTCI_REQUIRE_SERVERS alone.
func spireBinary(t testing.TB, env string) string {
	t.Helper()
	path := os.Getenv(env)
	if path != "" {
		if _, err := os.Stat(path); err == nil {
			return path
		}
	}
	msg := fmt.Sprintf("%s is not set to an existing binary (got %q); run bash .ci/spire to build SPIRE and run its tests", env, path)
	if os.Getenv("ZTCI_REQUIRE_SPIRE") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// SPIREOption configures [StartSPIRE] and [SPIREServerFails].
type SPIREOption func(*spireConfig)

type spireConfig struct {
	upstreamCert, upstreamKey []byte // PEM; nil: SPIRE is its own root
}

// WithUpstreamDisk configures the server's "disk" UpstreamAuthority with a
// self-signed CA certificate and its private key (PEM; written to the
// test's private directory, mode 0600): the server's X.509 CA is then
// signed by that CA and its bundle is that CA's certificate.
func WithUpstreamDisk(certPEM, keyPEM []byte) SPIREOption {
	return func(c *spireConfig) { c.upstreamCert, c.upstreamKey = certPEM, keyPEM }
}

// StartSPIRE starts a SPIRE v1.15.3 server ($ZTCI_SPIRE_SERVER) and agent
// ($ZTCI_SPIRE_AGENT) for trustDomain as separate processes in a private
// temporary directory: the server binds 127.0.0.1 on a free port, keeps its
// entries in SQLite and its keys in memory, and attests the agent with a
// join token it generated; the agent attests workloads with the "unix"
// attestor (uid, gid, path of the caller). It returns when the agent has
// attested and serves its Workload API. Both are killed and the directory
// removed when the test ends. t is skipped when a binary is missing, unless
// ZTCI_REQUIRE_SPIRE=1 (see .ci/spire).
func StartSPIRE(t testing.TB, trustDomain string, opts ...SPIREOption) *SPIRE {
	t.Helper()
	s := &SPIRE{
		TrustDomain:  trustDomain,
		server:       spireBinary(t, "ZTCI_SPIRE_SERVER"),
		agent:        spireBinary(t, "ZTCI_SPIRE_AGENT"),
		fetchTimeout: 60 * time.Second,
	}
	port := s.configureServer(t, opts)
	s.serverProcess = Start(t, exec.Command(s.server, "run", "-config", filepath.Join(s.dir, "server.conf")))
	s.serverProcess.WaitFor(t, 60*time.Second, func(ctx context.Context) bool {
		return exec.CommandContext(ctx, s.server, "healthcheck", "-socketPath", s.serverSocket).Run() == nil
	})
	dir := s.dir

	out := s.run(t, s.server, "token", "generate", "-socketPath", s.serverSocket, "-ttl", "600")
	// The token is on a line of its own: a warning (no SPIFFE ID asked
	// for, which the agent does not need) follows it on stdout.
	var token string
	for _, l := range strings.Split(out, "\n") {
		if tok, ok := strings.CutPrefix(strings.TrimSpace(l), "Token: "); ok {
			token = tok
		}
	}
	if token == "" {
		t.Fatalf("spire-server token generate: unexpected output %q", out)
	}
	s.AgentID = "spiffe://" + trustDomain + "/spire/agent/join_token/" + token

	// insecure_bootstrap: the agent trusts the server's first certificate
	// (no bundle to pin it with). Acceptable here: both are on 127.0.0.1
	// in a directory only this test uses. sync_interval 1s (5s by default)
	// makes entries reach the agent sooner.
	writeFile(t, filepath.Join(dir, "agent.conf"), fmt.Appendf(nil, `agent {
  data_dir = %q
  log_level = "DEBUG"
  server_address = "127.0.0.1"
  server_port = "%d"
  socket_path = %q
  trust_domain = %q
  insecure_bootstrap = true
  join_token = %q
  experimental {
    sync_interval = "1s"
  }
}
plugins {
  KeyManager "memory" {
    plugin_data {}
  }
  NodeAttestor "join_token" {
    plugin_data {}
  }
  WorkloadAttestor "unix" {
    plugin_data {}
  }
}
`, filepath.Join(dir, "agent"), port, s.SocketPath, trustDomain, token))
	s.agentProcess = Start(t, exec.Command(s.agent, "run", "-config", filepath.Join(dir, "agent.conf")))
	s.agentProcess.WaitFor(t, 60*time.Second, func(ctx context.Context) bool {
		return exec.CommandContext(ctx, s.agent, "healthcheck", "-socketPath", s.SocketPath).Run() == nil
	})
	return s
}

// configureServer makes the test's private directory and writes the
// server's configuration there; it returns the server's port.
func (s *SPIRE) configureServer(t testing.TB, opts []SPIREOption) int {
	t.Helper()
	var cfg spireConfig
	for _, o := range opts {
		o(&cfg)
	}
	// Unix socket paths are limited to 108 bytes: t.TempDir's may be longer.
	dir, err := os.MkdirTemp("", "spire")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s.dir = dir
	s.serverSocket = filepath.Join(dir, "server.sock")
	s.SocketPath = filepath.Join(dir, "agent.sock")

	upstream := ""
	if cfg.upstreamCert != nil {
		certPath, keyPath := filepath.Join(dir, "upstream-ca.pem"), filepath.Join(dir, "upstream-ca.key")
		writeFile(t, certPath, cfg.upstreamCert)
		writeFile(t, keyPath, cfg.upstreamKey)
		upstream = fmt.Sprintf(`  UpstreamAuthority "disk" {
    plugin_data {
      cert_file_path = %q
      key_file_path = %q
    }
  }
`, certPath, keyPath)
	}
	port := FreePort(t)
	writeFile(t, filepath.Join(dir, "server.conf"), fmt.Appendf(nil, `server {
  bind_address = "127.0.0.1"
  bind_port = "%d"
  socket_path = %q
  trust_domain = %q
  data_dir = %q
  log_level = "DEBUG"
}
plugins {
  DataStore "sql" {
    plugin_data {
      database_type = "sqlite3"
      connection_string = %q
    }
  }
  KeyManager "memory" {
    plugin_data {}
  }
  NodeAttestor "join_token" {
    plugin_data {}
  }
%s}
`, port, s.serverSocket, s.TrustDomain, filepath.Join(dir, "server"), filepath.Join(dir, "datastore.sqlite3"), upstream))
	return port
}

// SPIREServerFails runs a SPIRE server configured as [StartSPIRE] would
// (no agent), expects it to exit with an error within a minute, and
// returns its output. It fails t if the server becomes healthy instead.
func SPIREServerFails(t testing.TB, trustDomain string, opts ...SPIREOption) string {
	t.Helper()
	s := &SPIRE{TrustDomain: trustDomain, server: spireBinary(t, "ZTCI_SPIRE_SERVER")}
	s.configureServer(t, opts)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, s.server, "run", "-config", filepath.Join(s.dir, "server.conf")).CombinedOutput()
	switch {
	case ctx.Err() != nil:
		t.Fatalf("spire-server kept running for a minute; expected it to refuse its configuration:\n%s", out)
	case err == nil:
		t.Fatalf("spire-server exited without an error; expected it to refuse its configuration:\n%s", out)
	}
	return string(out)
}

// Entry is a registration entry for [SPIRE.CreateEntry].
type Entry struct {
	// SPIFFEID is the workload's ID, in the server's trust domain.
	SPIFFEID string
	// Selectors pick the workloads that get it ("unix:uid:1000", see
	// [UIDSelector]).
	Selectors []string
	// FederatesWith lists trust domains ("spiffe://other.test") whose
	// bundles, set with [SPIRE.SetFederatedBundle], the agent also serves
	// to the workload.
	FederatesWith []string
}

// CreateEntry registers e under the agent and returns its entry ID. The
// agent learns of it at its next sync: use [SPIRE.WaitX509SVID] before
// fetching.
func (s *SPIRE) CreateEntry(t testing.TB, e Entry) string {
	t.Helper()
	args := []string{"entry", "create", "-socketPath", s.serverSocket, "-parentID", s.AgentID, "-spiffeID", e.SPIFFEID, "-output", "json"}
	for _, sel := range e.Selectors {
		args = append(args, "-selector", sel)
	}
	for _, td := range e.FederatesWith {
		args = append(args, "-federatesWith", td)
	}
	out := s.run(t, s.server, args...)
	var resp struct {
		Results []struct {
			Status struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			} `json:"status"`
			Entry struct {
				ID string `json:"id"`
			} `json:"entry"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &resp); err != nil || len(resp.Results) != 1 ||
		resp.Results[0].Status.Code != 0 || resp.Results[0].Entry.ID == "" {
		t.Fatalf("spire-server entry create %s: %v\n%s", e.SPIFFEID, err, out)
	}
	return resp.Results[0].Entry.ID
}

// SetFederatedBundle makes the server trust bundlePEM (PEM certificates)
// as the X.509 bundle of the foreign trustDomain ("spiffe://other.test"),
// as `spire-server bundle set` does for a federation.
func (s *SPIRE) SetFederatedBundle(t testing.TB, trustDomain string, bundlePEM []byte) {
	t.Helper()
	path, err := os.CreateTemp(s.dir, "bundle-*.pem")
	if err != nil {
		t.Fatal(err)
	}
	path.Close()
	writeFile(t, path.Name(), bundlePEM)
	s.run(t, s.server, "bundle", "set", "-socketPath", s.serverSocket, "-id", trustDomain, "-format", "pem", "-path", path.Name())
}

// X509BundlePEM returns the server's own trust domain's X.509 bundle (its
// CA certificates, PEM) as `spire-server bundle show` prints it: what a
// federated peer configures to trust this trust domain.
func (s *SPIRE) X509BundlePEM(t testing.TB) []byte {
	t.Helper()
	return []byte(s.run(t, s.server, "bundle", "show", "-socketPath", s.serverSocket, "-format", "pem"))
}

// WaitX509SVID polls the agent's Workload API, as this process's user,
// with spire-agent's own client until it serves an X.509-SVID for every one
// of spiffeIDs, and fails t after a minute. The first SVID of a fresh agent
// takes about five seconds.
func (s *SPIRE) WaitX509SVID(t testing.TB, spiffeIDs ...string) {
	t.Helper()
	deadline := time.Now().Add(s.fetchTimeout)
	var out []byte
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		out, _ = exec.CommandContext(ctx, s.agent, "api", "fetch", "x509", "-socketPath", s.SocketPath, "-timeout", "4s").CombinedOutput()
		cancel()
		if hasAll(string(out), spiffeIDs) {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("SPIRE agent did not serve %v within %v; last answer:\n%s\nagent output:\n%s", spiffeIDs, s.fetchTimeout, out, s.agentProcess.Output())
}

// hasAll reports whether out names every ID as "SPIFFE ID: <id>" on a line
// of its own (spire-agent api fetch x509's format).
func hasAll(out string, ids []string) bool {
	lines := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		if id, ok := strings.CutPrefix(strings.TrimSpace(l), "SPIFFE ID:"); ok {
			lines[strings.TrimSpace(id)] = true
		}
	}
	for _, id := range ids {
		if !lines[id] {
			return false
		}
	}
	return true
}

// UIDSelector is the "unix" workload attestor's selector for this
// process's user.
func UIDSelector() string { return "unix:uid:" + strconv.Itoa(os.Getuid()) }

func (s *SPIRE) run(t testing.TB, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var stderr strings.Builder
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", filepath.Base(bin), strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
