// Command gate is an HTTP admission service a scheduler calls before it runs
// or deploys an image: it verifies the deploying job's OIDC token, pins the
// image, discovers and verifies its Sigstore attestations (SLSA provenance
// and SBOM) against a trusted root and expectations, evaluates the built-in
// deploy policy and records the decision in a tamper-evident audit log.
//
//	go run ./examples/gate --issuer https://ci.example --trusted-root trusted_root.json \
//	    --signer-san https://git.example/acme/app/.ztci/release.yml \
//	    --builder https://ztci.dev/examples/runner@v1 --source git+https://git.example/acme/app \
//	    --allow-registry registry.example --addr :8443 --tls-cert gate.crt --tls-key gate.key
//
//	POST /v1/admit  {"job_token": "...", "image": "registry.example/acme/app:v1"}
//	             →  {"allowed": true, "decision": "allow", "digest": "sha256:…", …}
//	GET  /healthz
//
// Requests carry job tokens, so the gate serves plain HTTP only on a
// loopback IP address (127.0.0.1, ::1; not the name localhost, which is
// resolved like any other name), for a TLS-terminating proxy on the same
// host or tests; any other --addr needs --tls-cert and --tls-key.
//
// # Metrics
//
// Prometheus metrics (GET /metrics: decisions, denials by policy rule,
// refusals by reason, decision latency) are served only with
// --metrics-addr, on a listener of their own, in plain HTTP and without
// authentication; the API's listener does not serve them. They tell
// whoever reads them which rules deny and how often, and each scrape costs
// CPU, so they are not on the address jobs reach: bind --metrics-addr to
// loopback (127.0.0.1:9090) or to an address only your scraper can reach.
// At most two scrapes are served at once; more get 503. Their labels come from
// bounded sets (outcomes, the built-in policy's rule ids, error kinds and
// refusal reasons): no image name, job or token reaches a label.
//
// # Single-use job tokens
//
// Each job token is accepted once (oidc.WithSingleUse over the in-process
// oidc.MemoryReplayCache, --replay-cache-size token ids): a token
// presented again while it is valid is refused with HTTP 401,
// {"allowed": false, "decision": "error", "error": "gate: job token not
// verified"}, and audited as a deny ("refused: unauthenticated"), like
// every token the gate does not accept; the command also logs a warning.
// A token is spent by the first request whose signature and claims verify,
// whatever becomes of it: allowed, denied, or not decided (a registry that
// does not answer, 503 of a job with too many decisions in flight, a
// client that hung up). To retry, a job mints a new token. Requests the
// gate refuses before it reads the token (415, 413, 408, 400 for a body
// that is not one Request, 503 "overloaded") do not spend it. A token
// without a jti is refused. When the cache is full of unexpired token ids,
// new tokens are refused (fail closed) until some expire: size it to the
// tokens' lifetime times the peak decision rate.
//
// The cache is this process's: replicas behind a load balancer would each
// accept a token once. A fleet shares one replay cache instead, built where
// this command builds its verifier (see tokenVerifier), with
// identity/oidc/natsreplay (a NATS JetStream KV bucket) or
// identity/oidc/pgreplay (a PostgreSQL table), both failing closed:
//
//	rc, err := natsreplay.New(ctx, js, natsreplay.WithReplicas(3))
//	// or: rc, err := pgreplay.New(ctx, pool); defer rc.Close()
//	tokens, err := oidc.NewVerifier(issuer, audience, oidc.WithSingleUse(rc))
//
// This command links neither client. --single-use=false turns the check
// off, for a deployment where something in front of the gate already
// enforces it.
//
// Each flag that lowers what the gate checks (--single-use=false,
// --tlog-threshold 0, --sct-threshold 0, a --metrics-addr that is not a
// loopback IP) is logged as a warning at start, with the flag in the
// "weakened" attribute, so that one left on from a trial is seen.
//
// The audit key (--audit-key) must be a regular file this user owns, not
// a symbolic link, with no group or other permission: the default path is
// in the working directory, where someone else may have planted a key
// first.
//
// `go run ./examples/gate --demo` needs no configuration: it serves the gate
// over an embedded issuer, CA, TSA and registry (policy/gate/gatetest) with
// two attested images, and prints curl commands for an allowed and a denied
// request. The demo trusts a private CA and TSA without a transparency log:
// it is for trying the API, not a configuration to copy.
//
// The decision logic is the public package policy/gate; this command is
// flags, Prometheus metrics fed by the gate's Observer hook through its
// OpenTelemetry seam (policy/gate/gateotel with the OTel SDK's Prometheus
// exporter), the server and graceful shutdown (SIGINT, SIGTERM).
package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/verify"
)

// defaultGCPercent is the garbage collector's target unless GOGC is set.
// The gate's live heap is small (the compiled policy and bounded caches)
// while each decision allocates tens of KiB, most of it in OPA's evaluator,
// so at Go's default of 100 the collector runs many times a second under
// load. 400 lets the heap grow to five times the live one and, in the load
// test (TestLoad's gogc-400 scenario), cuts CPU per decision by about a
// fifth. GOMEMLIMIT, when set, still caps the heap.
const defaultGCPercent = 400

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stderr, nil)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "gate:", err)
		os.Exit(2)
	}
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

type options struct {
	addr, metricsAddr, issuer, audience      string
	trustedRoot                              string
	tlsCert, tlsKey                          string
	signerSAN, signerIssuer, builder, source string
	refs, registries                         listFlag
	policyData, auditLog, auditKey, origin   string
	tlogs, scts, signedTimestamps            int
	maxBody                                  int64
	maxInFlight, maxInFlightPerJob           int
	timeout                                  time.Duration
	demo                                     bool
	singleUse                                bool
	replayCacheSize                          int
}

// run parses args, serves until ctx ends, then shuts down gracefully. ready,
// when not nil, receives the API's listening address and then, with
// --metrics-addr, the metrics'.
func run(ctx context.Context, args []string, stderr io.Writer, ready chan<- string) error {
	var o options
	fs := flag.NewFlagSet("gate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen address (not loopback: needs --tls-cert and --tls-key)")
	fs.StringVar(&o.metricsAddr, "metrics-addr", "", "listen address of the unauthenticated Prometheus /metrics, plain HTTP (default: no metrics; e.g. 127.0.0.1:9090, never the address jobs reach)")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "PEM certificate chain to serve HTTPS with")
	fs.StringVar(&o.tlsKey, "tls-key", "", "PEM private key of --tls-cert")
	fs.StringVar(&o.issuer, "issuer", "", "OIDC issuer URL of the deploying jobs' tokens (required)")
	fs.StringVar(&o.audience, "audience", "ztci-gate", "audience the job tokens must carry")
	fs.StringVar(&o.trustedRoot, "trusted-root", "", "Sigstore trusted_root.json: CAs, TSAs, logs to trust (required)")
	fs.StringVar(&o.signerSAN, "signer-san", "", "expected certificate SAN of the attestations' signer (required)")
	fs.StringVar(&o.signerIssuer, "signer-issuer", "", "expected OIDC issuer in the signing certificate (default: --issuer)")
	fs.StringVar(&o.builder, "builder", "", "expected SLSA builder id (required)")
	fs.StringVar(&o.source, "source", "", "expected SLSA source repository, e.g. git+https://git.example/acme/app (required)")
	fs.Var(&o.refs, "source-ref", "allowed source ref (repeatable; default refs/heads/main)")
	fs.Var(&o.registries, "allow-registry", "registry host the gate may read images from (repeatable; required)")
	fs.StringVar(&o.policyData, "policy-data", "", "JSON data document for the built-in policy library (replaces the one built from the flags above)")
	fs.StringVar(&o.auditLog, "audit-log", "gate-audit.log", "tamper-evident audit log file")
	fs.StringVar(&o.auditKey, "audit-key", "gate-audit.key", "Ed25519 key (unencrypted PKCS#8 PEM, mode 0600, owned by this user, not a symbolic link) signing the audit log's checkpoints; created if missing")
	fs.StringVar(&o.origin, "audit-origin", "ztci.example/gate/audit", "audit log identity")
	fs.IntVar(&o.tlogs, "tlog-threshold", 1, "transparency log entries each bundle needs (0 for a private CA + TSA without a log)")
	fs.IntVar(&o.scts, "sct-threshold", 1, "signed certificate timestamps each certificate needs (0 for a private CA)")
	fs.IntVar(&o.signedTimestamps, "signed-timestamp-threshold", 0, "RFC 3161 timestamps each bundle needs")
	fs.Int64Var(&o.maxBody, "max-body", gate.DefaultMaxBody, "largest request body in bytes")
	fs.IntVar(&o.maxInFlight, "max-in-flight", gate.DefaultMaxInFlight, "concurrent decisions (more get 503)")
	fs.IntVar(&o.maxInFlightPerJob, "max-in-flight-per-job", gate.DefaultMaxInFlightPerJob, "concurrent decisions of one job (more get 503)")
	fs.DurationVar(&o.timeout, "timeout", gate.DefaultTimeout, "deadline of one decision")
	fs.BoolVar(&o.singleUse, "single-use", true, "accept each job token once: a replay gets 401 (false only when something in front of the gate enforces it)")
	fs.IntVar(&o.replayCacheSize, "replay-cache-size", defaultReplayCacheSize, "live token ids the single-use cache holds; when it is full, new tokens are refused until some expire")
	fs.BoolVar(&o.demo, "demo", false, "serve a self-contained demo (not a configuration to copy): an embedded issuer, CA, TSA and registry (policy/gate/gatetest), with attested images and request files to try")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err := checkTransport(o); err != nil {
		return err
	}
	if o.singleUse && o.replayCacheSize <= 0 {
		return fmt.Errorf("--replay-cache-size %d: must be positive", o.replayCacheSize)
	}
	if o.demo {
		return serveDemo(ctx, o, stderr, ready)
	}
	for flagName, v := range map[string]string{"issuer": o.issuer, "trusted-root": o.trustedRoot, "signer-san": o.signerSAN, "builder": o.builder, "source": o.source} {
		if v == "" {
			return fmt.Errorf("--%s is required", flagName)
		}
	}
	if len(o.registries) == 0 {
		return errors.New("--allow-registry is required (the gate reads only from registries you name)")
	}
	if o.signerIssuer == "" {
		o.signerIssuer = o.issuer
	}
	if len(o.refs) == 0 {
		o.refs = listFlag{"refs/heads/main"}
	}
	return serve(ctx, o, stderr, ready)
}

func serve(ctx context.Context, o options, stderr io.Writer, ready chan<- string) (err error) {
	trust, err := verify.LoadTrustedRoot(o.trustedRoot)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	warnWeakened(ctx, logger, o)
	signer := verify.Identity{SAN: o.signerSAN, Issuer: o.signerIssuer}
	vopts := []verify.Option{verify.WithTlogThreshold(o.tlogs), verify.WithSCTThreshold(o.scts),
		verify.WithSignedTimestampThreshold(o.signedTimestamps), verify.WithResultCache(4096)}
	prov, err := verify.New(trust, verify.Expectation{Signer: signer, PredicateType: attest.PredicateSLSAProvenanceV1,
		Provenance: &verify.Provenance{BuilderID: o.builder, SourceRepository: o.source}}, vopts...)
	if err != nil {
		return err
	}
	sbom, err := verify.New(trust, verify.Expectation{Signer: signer, PredicateType: attest.PredicateCycloneDX}, vopts...)
	if err != nil {
		return err
	}
	tokens, err := tokenVerifier(o, o.issuer, o.audience, logger)
	if err != nil {
		return err
	}
	src, err := policySource(o)
	if err != nil {
		return err
	}
	engine, err := policy.New(ctx, src)
	if err != nil {
		return err
	}
	defer engine.Close()
	key, err := loadOrCreateKey(o.auditKey)
	if err != nil {
		return fmt.Errorf("audit key: %w", err)
	}
	// An existing audit log must be this user's: whoever owns it (one
	// planted first in a shared working directory) rewrites it at will.
	if err := checkOwnedIfExists(o.auditLog); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	// The logger shows, among others, entries a crash left unsigned that
	// the log adopts when it reopens.
	lg, err := audit.Open(ctx, o.auditLog, o.origin, key, audit.WithLogger(logger))
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	defer func() { err = errors.Join(err, lg.Close()) }()
	m, err := newMetrics()
	if err != nil {
		return err
	}
	g, err := gate.New(tokens, map[string]*verify.Verifier{attest.PredicateSLSAProvenanceV1: prov, attest.PredicateCycloneDX: sbom}, engine, lg,
		gate.WithRegistries(o.registries...), gate.WithObserver(m),
		gate.WithLimits(gate.Limits{MaxBody: o.maxBody, MaxInFlight: o.maxInFlight, MaxInFlightPerJob: o.maxInFlightPerJob, Timeout: o.timeout}),
		gate.WithLogger(logger))
	if err != nil {
		return err
	}
	return listenAndServe(ctx, o, g.Handler(), m.handler(), ready)
}

// warnWeakened logs a warning for each flag that lowers what the gate
// checks: each is right for some deployments (a proxy that enforces single
// use, a private CA and TSA without logs), and none may be left on from a
// trial unnoticed. The flag is in the "weakened" attribute.
func warnWeakened(ctx context.Context, log *slog.Logger, o options) {
	if !o.singleUse {
		log.WarnContext(ctx, "job tokens are not single-use: a copied token is accepted again until it expires", "weakened", "single-use")
	}
	if o.tlogs == 0 {
		log.WarnContext(ctx, "attestations need no transparency log entry", "weakened", "tlog-threshold")
	}
	if o.scts == 0 {
		log.WarnContext(ctx, "signing certificates need no signed certificate timestamp", "weakened", "sct-threshold")
	}
	// The metrics are unauthenticated plain HTTP: on an address that is
	// not a loopback IP, whoever reaches it reads which rules deny.
	if host, _, err := net.SplitHostPort(o.metricsAddr); o.metricsAddr != "" && (err != nil || net.ParseIP(host) == nil || !net.ParseIP(host).IsLoopback()) {
		log.WarnContext(ctx, "the unauthenticated metrics listen on an address that is not a loopback IP: only your scraper may reach it", "weakened", "metrics-addr")
	}
}

// checkTransport refuses to send job tokens in the clear over a network:
// plain HTTP only on a loopback address, and a certificate needs its key.
func checkTransport(o options) error {
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if o.tlsCert != "" {
		return nil
	}
	host, _, err := net.SplitHostPort(o.addr)
	if err != nil {
		return fmt.Errorf("--addr: %w", err)
	}
	// An IP literal only: the name localhost is resolved like any other
	// (hosts file, then DNS and its search domains) and may not be
	// loopback on this host.
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--addr %q is not a loopback address: requests carry job tokens, so serve them over TLS (--tls-cert, --tls-key)", o.addr)
	}
	return nil
}

// scheme is the URL scheme the gate serves.
func (o options) scheme() string {
	if o.tlsCert != "" {
		return "https"
	}
	return "http"
}

// listenAndServe serves the API h on o.addr (over TLS with o's
// certificate) and, with o.metricsAddr, the metrics mh on a listener of
// their own, until ctx ends or one of them fails; then it stops both and
// waits (bounded) for requests in flight. run checked the transport
// (checkTransport) before anything was built.
func listenAndServe(ctx context.Context, o options, h, mh http.Handler, ready chan<- string) error {
	l, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	var ml net.Listener
	if o.metricsAddr != "" {
		if ml, err = net.Listen("tcp", o.metricsAddr); err != nil {
			return errors.Join(fmt.Errorf("--metrics-addr: %w", err), l.Close())
		}
	}
	errc := make(chan error, 2)
	servers := []*http.Server{o.server(ctx, o.addr, h)}
	go func() {
		if o.tlsCert != "" {
			errc <- servers[0].ServeTLS(l, o.tlsCert, o.tlsKey)
			return
		}
		errc <- servers[0].Serve(l)
	}()
	if ready != nil {
		ready <- l.Addr().String()
	}
	if ml != nil {
		servers = append(servers, o.server(ctx, o.metricsAddr, mh))
		go func() { errc <- servers[1].Serve(ml) }()
		if ready != nil {
			ready <- ml.Addr().String()
		}
	}
	running := len(servers)
	select {
	case err = <-errc:
		running--
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), o.timeout+5*time.Second)
	defer cancel()
	for _, srv := range servers {
		err = errors.Join(err, srv.Shutdown(shutdownCtx))
	}
	for ; running > 0; running-- {
		if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
	}
	return err
}

// server is gate.NewServer's per-connection limits, with the decision
// timeout this command was given.
func (o options) server(ctx context.Context, addr string, h http.Handler) *http.Server {
	srv := gate.NewServer(addr, h)
	srv.ReadTimeout = gate.DefaultBodyTimeout + 5*time.Second
	srv.WriteTimeout = o.timeout + 10*time.Second
	srv.BaseContext = func(net.Listener) context.Context { return context.WithoutCancel(ctx) }
	return srv
}

// policySource is the built-in library with its configuration: the JSON
// data document of --policy-data, or the typed configuration built from the
// expectation flags.
func policySource(o options) (policy.Source, error) {
	if o.policyData != "" {
		b, err := os.ReadFile(o.policyData)
		if err != nil {
			return nil, err
		}
		var d map[string]any
		if err := json.Unmarshal(b, &d); err != nil {
			return nil, fmt.Errorf("--policy-data: %w", err)
		}
		return policy.Merge(policy.Builtin(), policy.Data(d)), nil
	}
	return policy.BuiltinWith(policy.LibraryConfig{Deploy: policy.DeployConfig{
		Signers:    []policy.AllowedSigner{{SAN: o.signerSAN, Issuer: o.signerIssuer}},
		Builders:   []string{o.builder},
		Sources:    []string{o.source},
		SourceRefs: o.refs,
	}}), nil
}

// ErrUnsafeAuditFile: the audit key file is not one only this user
// controls (a symbolic link, not a regular file, another user's, or
// readable by group or others), or the audit log is another user's; the
// gate refuses to sign or write its audit log with it.
var ErrUnsafeAuditFile = errors.New("gate: unsafe audit file")

// checkKeyFileInfo refuses a key file that is not a regular file or that
// group or others may read (Windows: permission bits are not checked).
func checkKeyFileInfo(path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: %s is not a regular file (%v)", ErrUnsafeAuditFile, path, fi.Mode().Type())
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%w: %s: permissions %v, want 0600 (the key is unencrypted)", ErrUnsafeAuditFile, path, fi.Mode().Perm())
	}
	return nil
}

// loadOrCreateKey reads a PKCS#8 Ed25519 key, or creates one (0600). The
// key is stored unencrypted: whoever reads the file can sign checkpoints
// of the audit log, so, as attest/ca refuses its key, a file that group or
// others may read is refused, and so are a symbolic link, anything but a
// regular file (a FIFO would block the start forever) and, on Unix, a file
// another user owns: the default path is in the working directory, where
// someone else may have planted one first (keep the key in a secrets
// manager or a KMS for production, and pass it through a 0600 file).
func loadOrCreateKey(path string) (ed25519.PrivateKey, error) {
	f, err := openKeyFile(path)
	if errors.Is(err, os.ErrNotExist) {
		_, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, err
		}
		if err := errors.Join(pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}), f.Sync(), f.Close()); err != nil {
			return nil, err
		}
		return key, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, errors.New("not a PEM PRIVATE KEY")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, err
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("key is %T, want Ed25519", k)
	}
	return key, nil
}
