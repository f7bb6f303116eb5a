package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	vaultapi "github.com/hashicorp/vault/api"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/secretsprov"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/identity/svid"
	"github.com/ztci/ztci/identity/workload"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/vault"
	"github.com/ztci/ztci/verify"
)

// The demo's fixed names. The signer SAN names the release workflow, not the
// branch, so a job on another branch holds a genuine certificate from the
// same workflow: what stops it is policy (protected ref, source ref).
const (
	Repository = "acme/app"
	// RepositoryID is the forge's immutable id of Repository: the secret
	// grant is bound to it, so a repository recreated under the same name
	// gets nothing.
	RepositoryID = "1048576"
	SourceURI    = "git+https://git.example/acme/app"
	Workflow     = ".ztci/release.yml"
	Forge        = "https://git.example"
	SignerSAN    = Forge + "/" + Repository + "/" + Workflow // what oidc.WorkflowSubject makes of the demo's claims
	BuilderID    = "https://ztci.dev/examples/runner@v1"
	BuildType    = "https://ztci.dev/examples/runner/build/v1"
	SecretName   = "deploy-token"
	TrustDomain  = "ztci.example"
	AuditOrigin  = "ztci.example/runner/audit"

	audienceRunner = "ztci-runner"
	audienceGate   = "ztci-gate"
	audienceFulcio = "sigstore"
)

// ErrConfig reports a Services combination that cannot work.
var ErrConfig = errors.New("job: invalid configuration")

// Services points pieces of the flow at real services instead of the
// embedded ones. The zero value runs everything in process.
type Services struct {
	// SPIFFESocket is a SPIFFE Workload API address (unix:///path): the
	// job's X.509-SVID comes from it instead of the embedded SVID issuer.
	SPIFFESocket string
	// Registry is "host[:port]/path": images are pushed there (with the
	// default keychain) instead of the in-process registry.
	Registry string
	// Fulcio, Rekor, TSA and Vault are https URLs (plain http only to a
	// loopback IP address: Validate refuses anything else), without user
	// information: the runner prints them, and so would print a
	// credential in one. Registry has none either.
	//
	// Fulcio is a Fulcio base URL: signing certificates come from it for the
	// job's OIDC token (Fulcio must trust IssuerAddr's issuer). Its
	// certificates must carry an SCT from a CT log in TrustedRoot.
	Fulcio string
	// Rekor is a Rekor v2 base URL: every signature is logged there.
	Rekor string
	// TSA is an RFC 3161 endpoint (…/api/v1/timestamp) used instead of the
	// embedded TSA.
	TSA string
	// TrustedRoot is a trusted_root.json for Fulcio, Rekor or the TSA,
	// trusted in addition to the embedded CA and TSA. Required with them.
	TrustedRoot string
	// Vault is a Vault (or OpenBao) address: the job's secret is read from
	// there by logging in with the job's own OIDC token (JWT auth, role
	// VaultRole; its bound_audiences must include "ztci-runner"), from the
	// KV v2 field VaultKV ("mount/path#field"). The broker's own token, which
	// revokes leases, comes from VAULT_TOKEN. Vault's client also reads
	// VAULT_SKIP_VERIFY and VAULT_AGENT_ADDR from the environment: the
	// runner refuses to start with verification off or with an address
	// other than Vault's.
	Vault     string
	VaultRole string
	VaultKV   string
	// IssuerAddr is the loopback address the OIDC issuer listens on
	// (default 127.0.0.1:0), so that a real Fulcio can be configured for it.
	IssuerAddr string
}

// Validate reports combinations that cannot work, would send tokens in
// the clear, or would print a credential, before anything starts.
func (s Services) Validate() error {
	for _, u := range []struct{ flag, url string }{{"--fulcio", s.Fulcio}, {"--rekor", s.Rekor}, {"--tsa", s.TSA}, {"--vault", s.Vault}} {
		if err := checkServiceURL(u.flag, u.url); err != nil {
			return err
		}
	}
	if s.Vault != "" {
		if os.Getenv("VAULT_TOKEN") == "" {
			return fmt.Errorf("%w: --vault needs the broker's own Vault token in VAULT_TOKEN (it revokes the leases)", ErrConfig)
		}
		if _, _, _, err := parseKV(s.VaultKV); err != nil {
			return err
		}
	}
	if (s.Fulcio != "" || s.Rekor != "" || s.TSA != "") && s.TrustedRoot == "" {
		return fmt.Errorf("%w: --fulcio, --rekor and --tsa need --trusted-root (their keys, for verification)", ErrConfig)
	}
	if s.IssuerAddr != "" && !isLoopback(s.IssuerAddr) {
		return fmt.Errorf("%w: --issuer-addr %q: the embedded issuer serves plain HTTP, so it listens on a loopback address only", ErrConfig, s.IssuerAddr)
	}
	if s.Registry != "" && strings.Count(s.Registry, "/") < 1 {
		return fmt.Errorf("%w: --registry must be host[:port]/repository, got %q", ErrConfig, s.Registry)
	}
	// No user information in the registry either: it is printed, and the
	// registry's credentials come from the default keychain.
	if host, _, _ := strings.Cut(s.Registry, "/"); strings.Contains(host, "@") {
		return fmt.Errorf("%w: --registry must be host[:port]/repository, without user information", ErrConfig)
	}
	return nil
}

// env is everything the runner starts once: trust services, the registry,
// the audit log, the policy, the secrets broker and the deploy gate.
type env struct {
	cfg      Config
	dir      string
	ownDir   bool
	redactor *secrets.Redactor

	issuer    *oidc.Issuer
	issuerSrv *http.Server
	tokens    *oidc.Verifier
	ca        *ca.CA
	tsa       *tsa.TSA
	svids     *svid.Issuer
	sources   *workload.Sources

	regSrv  *http.Server
	regHost string
	repo    string

	auditKey  ed25519.PrivateKey
	auditLog  *audit.Log
	auditPath string

	engine *policy.Engine
	broker *secrets.Broker
	gate   *gate.Gate
	// ledger records which leases each job received, for its secrets
	// provenance; compromised is the gate's deny-list of lease ids.
	ledger      *secrets.LeaseLedger
	compromised *audit.KillSwitch
	// admitted is the gate's index of what it allowed (gate.WithInventory).
	admitted *inventory.Memory

	closers []func() error
}

func newEnv(ctx context.Context, cfg Config) (_ *env, err error) {
	if err := cfg.Services.Validate(); err != nil {
		return nil, err
	}
	e := &env{cfg: cfg, redactor: secrets.NewRedactor()}
	defer func() {
		if err != nil {
			_ = e.close()
		}
	}()
	if cfg.Dir != "" {
		if err := checkPrivateDir(cfg.Dir); err != nil {
			return nil, err
		}
	}
	if e.dir = cfg.Dir; e.dir == "" {
		d, err := os.MkdirTemp("", "ztci-runner-")
		if err != nil {
			return nil, err
		}
		e.dir, e.ownDir = d, true
	}
	if err := e.startAudit(ctx); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	if err := e.startIdentity(ctx); err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	if err := e.startRegistry(); err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	if err := e.startPolicy(ctx); err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	if err := e.startSecrets(); err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	if err := e.startGate(ctx); err != nil {
		return nil, fmt.Errorf("gate: %w", err)
	}
	return e, nil
}

// checkServiceURL refuses a service URL that is not https, but for plain
// http to a loopback IP address (a service on this host): Fulcio receives
// the job's OIDC token, Vault the job's token and the broker's own, and
// whoever sits on a plain-text path reads them and answers in their place.
func checkServiceURL(flag, raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: %s is not a URL", ErrConfig, flag)
	}
	// The runner prints every service URL (progress, --json summary): a
	// credential in one would be printed with it.
	if u.User != nil {
		return fmt.Errorf("%w: %s %q: a URL with user information carries a credential; pass credentials through the environment", ErrConfig, flag, withoutUser(u))
	}
	ip := net.ParseIP(u.Hostname())
	if (u.Scheme == "https" && u.Host != "") || (u.Scheme == "http" && ip != nil && ip.IsLoopback()) {
		return nil
	}
	return fmt.Errorf("%w: %s %q: use https (plain http only to a loopback IP address)", ErrConfig, flag, withoutUser(u))
}

// withoutUser is u without its user information, for errors: u.Redacted
// hides a password but not a token used as the user name.
func withoutUser(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}

// checkPrivateDir refuses a directory that group or others may write: the
// audit log, the lease journal and the compliance reports go there, and
// whoever else may write it can swap the audit log for another, or plant a
// symbolic link where a report is written. (Windows: not checked.)
//
// It must also be this user's own directory, not a symbolic link to one:
// another user who created it first (a shared /tmp/ztci, made 0755) may
// write it whatever its permission bits, and whoever owns a link (in /tmp,
// anyone) points it elsewhere between this check and the writes.
func checkPrivateDir(dir string) error {
	// Cleaned: a trailing slash would make Lstat follow the link.
	fi, err := os.Lstat(filepath.Clean(dir))
	if err != nil {
		return err
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		return fmt.Errorf("%w: --dir %q is a symbolic link (name the directory itself)", ErrConfig, dir)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%w: --dir %q is not a directory", ErrConfig, dir)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%w: --dir %q has permissions %v: group or others may write it (want 0700)", ErrConfig, dir, fi.Mode().Perm())
	}
	if err := checkOwner(fi); err != nil {
		return fmt.Errorf("%w: --dir %q: %w", ErrConfig, dir, err)
	}
	return nil
}

// isLoopback reports whether addr (host:port) is a loopback IP address.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	ip := net.ParseIP(host)
	return err == nil && ip != nil && ip.IsLoopback()
}

// listenLoopback listens on addr, which must be a loopback address: the
// embedded services speak plain HTTP.
func listenLoopback(addr string) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if !isLoopback(addr) {
		return nil, fmt.Errorf("%w: %q is not a loopback address", ErrConfig, addr)
	}
	return net.Listen("tcp", addr)
}

func (e *env) serve(l net.Listener, h http.Handler) *http.Server {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = srv.Serve(l) }()
	e.closers = append(e.closers, srv.Close)
	return srv
}

func (e *env) startIdentity(ctx context.Context) error {
	l, err := listenLoopback(e.cfg.Services.IssuerAddr)
	if err != nil {
		return err
	}
	issuerURL := "http://" + l.Addr().String()
	iss, err := oidc.NewIssuer(issuerURL, oidc.WithMasker(e.redactor), oidc.WithTTL(10*time.Minute), oidc.WithAudit(e.auditLog), oidc.WithLogger(e.cfg.Logger))
	if err != nil {
		_ = l.Close()
		return err
	}
	e.issuer = iss
	e.issuerSrv = e.serve(l, iss.Handler())
	// The verifier fetches discovery and JWKS over HTTP like any relying
	// party would.
	if e.tokens, err = oidc.NewVerifier(issuerURL, audienceRunner, oidc.WithLogger(e.cfg.Logger)); err != nil {
		return err
	}
	// The job tokens name workflows on the forge: the CA certifies no
	// other URI for them.
	if e.ca, err = ca.New(ca.WithLogger(e.cfg.Logger), ca.WithSubjectDomain(issuerURL, Forge)); err != nil {
		return err
	}
	if e.tsa, err = tsa.New(tsa.WithLogger(e.cfg.Logger)); err != nil {
		return err
	}
	if e.cfg.Services.SPIFFESocket != "" {
		src, err := workload.Open(ctx, e.cfg.Services.SPIFFESocket)
		if err != nil {
			return fmt.Errorf("spiffe workload API %s: %w", e.cfg.Services.SPIFFESocket, err)
		}
		e.sources = src
		e.closers = append(e.closers, src.Close)
		return nil
	}
	td, err := spiffeid.TrustDomainFromString(TrustDomain)
	if err != nil {
		return err
	}
	e.svids, err = svid.NewIssuer(td, svid.WithX509TTL(15*time.Minute), svid.WithMasker(e.redactor), svid.WithLogger(e.cfg.Logger))
	return err
}

func (e *env) startRegistry() error {
	if r := e.cfg.Services.Registry; r != "" {
		e.repo = r
		e.regHost = r[:strings.Index(r, "/")]
		return nil
	}
	l, err := listenLoopback("")
	if err != nil {
		return err
	}
	h := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)), ggcrregistry.WithReferrersSupport(true))
	e.regSrv = e.serve(l, h)
	e.regHost = l.Addr().String()
	e.repo = e.regHost + "/" + Repository
	return nil
}

func (e *env) startAudit(ctx context.Context) error {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	e.auditKey = key
	e.auditPath = filepath.Join(e.dir, "audit.log")
	lg, err := audit.Open(ctx, e.auditPath, AuditOrigin, key, audit.WithLogger(e.cfg.Logger))
	if err != nil {
		return err
	}
	e.auditLog = lg
	e.closers = append(e.closers, lg.Close)
	return nil
}

// policyConfig is the built-in library's configuration for the demo.
func policyConfig(issuer string) policy.LibraryConfig {
	return policy.LibraryConfig{
		Deploy: policy.DeployConfig{
			Signers:    []policy.AllowedSigner{{SAN: SignerSAN, Issuer: issuer}},
			Builders:   []string{BuilderID},
			Sources:    []string{SourceURI},
			SourceRefs: []string{"refs/heads/main"},
			// The deploy secret is a production credential: a build that
			// received it must come from a protected ref, and every build
			// must say which credentials it received.
			ProductionSecrets:        []string{SecretName},
			RequireSecretsProvenance: true,
		},
		Secrets: policy.SecretsConfig{Grants: []policy.SecretGrant{{
			Secret: SecretName, Repositories: []string{Repository}, Refs: []string{"refs/heads/main"},
			Issuers: []string{issuer}, RepositoryIDs: []string{RepositoryID},
		}}},
	}
}

func (e *env) startPolicy(ctx context.Context) error {
	eng, err := policy.New(ctx, policy.BuiltinWith(policyConfig(e.issuer.URL())),
		policy.WithAudit(e.auditLog), policy.WithLogger(e.cfg.Logger))
	if err != nil {
		return err
	}
	e.engine = eng
	e.closers = append(e.closers, eng.Close)
	return nil
}

func (e *env) startSecrets() error {
	journal := filepath.Join(e.dir, "leases")
	if err := os.Mkdir(journal, 0o700); err != nil {
		return err
	}
	var backend secrets.Backend = demoBackend{SecretName: e.cfg.SecretValue}
	label := "demo"
	if addr := e.cfg.Services.Vault; addr != "" {
		vb, err := e.vaultBackend(addr)
		if err != nil {
			return fmt.Errorf("vault: %w", err)
		}
		backend, label = vb, "vault"
	}
	ledger, err := secrets.NewLeaseLedger(label)
	if err != nil {
		return err
	}
	e.ledger = ledger
	// The ledger sees every release decision and every issue and revoke
	// event before the audit log does; a lease it cannot record is refused.
	b, err := secrets.New(ledger.Authorizer(policy.SecretsAuthorizer(e.engine)), backend,
		secrets.WithMasker(e.redactor), secrets.WithAudit(ledger.Sink(e.auditLog)), secrets.WithJournal(journal),
		secrets.WithTTL(10*time.Minute), secrets.WithLogger(e.cfg.Logger))
	if err != nil {
		return err
	}
	e.broker = b
	return nil
}

// trust is what the gate trusts: the embedded CA and TSA, plus the
// operator's trusted root for real services.
func (e *env) trust() (root.TrustedMaterial, error) {
	trJSON, err := attest.NewTrustedRoot().
		AddEmbeddedCA("https://ca.ztci.example", e.ca).
		AddEmbeddedTSA("https://tsa.ztci.example", e.tsa).MarshalJSON()
	if err != nil {
		return nil, err
	}
	embedded, err := verify.ParseTrustedRoot(trJSON)
	if err != nil {
		return nil, err
	}
	mats := []root.TrustedMaterial{embedded}
	if p := e.cfg.Services.TrustedRoot; p != "" {
		tr, err := verify.LoadTrustedRoot(p)
		if err != nil {
			return nil, fmt.Errorf("--trusted-root: %w", err)
		}
		mats = append(mats, tr)
	}
	return verify.NewTrust(mats...)
}

// thresholds is the evidence the gate requires of each bundle.
type thresholds struct{ tlog, sct, signedTimestamps int }

// thresholds lowers the verifier's defaults (a tlog entry, an SCT) only for
// what the embedded services cannot provide: the embedded CA logs to no CT
// log, so its certificates carry no SCT, but a Fulcio certificate must (the
// CT log is in --trusted-root); without Rekor there is no log entry, so an
// RFC 3161 timestamp proves the signing time instead.
func (s Services) thresholds() thresholds {
	t := thresholds{tlog: 1, sct: 1}
	if s.Fulcio == "" {
		t.sct = 0
	}
	if s.Rekor == "" {
		t.tlog, t.signedTimestamps = 0, 1
	}
	return t
}

// verifiers returns the gate's bundle verifiers: SLSA provenance from the
// release workflow, built by our builder from our source; the SBOM; and
// the secrets provenance.
func (e *env) verifiers(resultCache bool) (map[string]*verify.Verifier, error) {
	trust, err := e.trust()
	if err != nil {
		return nil, err
	}
	signer := verify.Identity{SAN: SignerSAN, Issuer: e.issuer.URL()}
	t := e.cfg.Services.thresholds()
	opts := []verify.Option{verify.WithTlogThreshold(t.tlog), verify.WithSCTThreshold(t.sct),
		verify.WithSignedTimestampThreshold(t.signedTimestamps), verify.WithLogger(e.cfg.Logger)}
	if resultCache {
		opts = append(opts, verify.WithResultCache(1024))
	}
	prov, err := verify.New(trust, verify.Expectation{
		Signer: signer, PredicateType: attest.PredicateSLSAProvenanceV1,
		Provenance: &verify.Provenance{BuilderID: BuilderID, BuildType: BuildType, SourceRepository: SourceURI},
	}, opts...)
	if err != nil {
		return nil, err
	}
	sbom, err := verify.New(trust, verify.Expectation{Signer: signer, PredicateType: attest.PredicateCycloneDX}, opts...)
	if err != nil {
		return nil, err
	}
	sp, err := verify.New(trust, verify.Expectation{Signer: signer, PredicateType: secretsprov.PredicateType}, opts...)
	if err != nil {
		return nil, err
	}
	return map[string]*verify.Verifier{attest.PredicateSLSAProvenanceV1: prov, attest.PredicateCycloneDX: sbom, secretsprov.PredicateType: sp}, nil
}

func (e *env) startGate(ctx context.Context) (err error) {
	if e.compromised, err = audit.NewKillSwitch(e.auditLog, audit.WithLogger(e.cfg.Logger)); err != nil {
		return err
	}
	e.admitted = inventory.NewMemory()
	e.gate, err = e.newGate(ctx, true, e.auditLog, gate.WithRevocations(gate.Revocations{Leases: e.compromised}), gate.WithInventory(e.admitted))
	return err
}

// gatePolicy is the deploy gate's own engine: the gate audits each decision
// with its context (image, digest, verification), so the engine does not.
func (e *env) gatePolicy(ctx context.Context) (*policy.Engine, error) {
	eng, err := policy.New(ctx, policy.BuiltinWith(policyConfig(e.issuer.URL())), policy.WithLogger(e.cfg.Logger))
	if err != nil {
		return nil, err
	}
	e.closers = append(e.closers, eng.Close)
	return eng, nil
}

// gateReplayCacheSize is how many live deploy-token ids the gate's
// single-use cache holds; when it is full, new tokens are refused until
// some expire (fail closed). Size it to the tokens' lifetime times the
// peak decision rate.
const gateReplayCacheSize = 10_000

// newGate returns a deploy gate over the environment's trust, policy and
// registry, auditing to sink.
func (e *env) newGate(ctx context.Context, resultCache bool, sink audit.Sink, opts ...gate.Option) (*gate.Gate, error) {
	vs, err := e.verifiers(resultCache)
	if err != nil {
		return nil, err
	}
	eng, err := e.gatePolicy(ctx)
	if err != nil {
		return nil, err
	}
	// Deploy tokens are single-use: one copied from a job's log, a proxy
	// or a retry queue is refused (and audited) the second time, whatever
	// became of the first request. The replay cache is this process's;
	// gate replicas behind a load balancer share identity/oidc/natsreplay
	// or identity/oidc/pgreplay instead (see examples/gate).
	gateTokens, err := oidc.NewVerifier(e.issuer.URL(), audienceGate, oidc.WithLogger(e.cfg.Logger),
		oidc.WithSingleUse(oidc.NewMemoryReplayCache(gateReplayCacheSize, nil)))
	if err != nil {
		return nil, err
	}
	opts = append([]gate.Option{gate.WithRegistries(e.regHost), gate.WithLogger(e.cfg.Logger)}, opts...)
	return gate.New(gateTokens, vs, eng, sink, opts...)
}

// newSigner returns the job's signer: a short-lived certificate for its
// verified identity from the embedded CA (or Fulcio), a timestamp from the
// embedded TSA (or the given one), and Rekor when configured.
func (e *env) newSigner(ctx context.Context, job jobRun) (attest.Signer, error) {
	opts := []attest.Option{attest.WithLogger(e.cfg.Logger)}
	if u := e.cfg.Services.TSA; u != "" {
		opts = append(opts, attest.WithTimestampAuthority(u))
	} else {
		opts = append(opts, attest.WithEmbeddedTimestampAuthority(e.tsa.Handler()))
	}
	if u := e.cfg.Services.Rekor; u != "" {
		opts = append(opts, attest.WithRekor(u, 2))
	}
	if u := e.cfg.Services.Fulcio; u != "" {
		tokens := attest.TokenSourceFunc(func(ctx context.Context) (string, error) {
			t, err := e.mint(ctx, job.claims, audienceFulcio)
			if err != nil {
				return "", err
			}
			return t.Reveal(), nil
		})
		return attest.NewFulcioSigner(u, tokens, opts...)
	}
	return attest.NewCASigner(e.ca.IssuerForToken(job.token), opts...)
}

func (e *env) close() error {
	var errs []error
	for i := len(e.closers) - 1; i >= 0; i-- {
		errs = append(errs, e.closers[i]())
	}
	if e.ownDir && !e.cfg.KeepDir {
		errs = append(errs, os.RemoveAll(e.dir))
	}
	return errors.Join(errs...)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// demoBackend serves fixed values but grants them for the TTL the broker
// asks for, so leases are short-lived (secrets.Static grants no TTL).
// Revoke has nothing to end at the backend: the broker wipes the lease's
// value and refuses reads after it.
type demoBackend map[string]string

func (b demoBackend) Issue(_ context.Context, req secrets.Request) (secrets.Grant, error) {
	v, ok := b[req.Name]
	if !ok {
		return secrets.Grant{}, fmt.Errorf("%w: %q", secrets.ErrNotFound, req.Name)
	}
	return secrets.Grant{Value: secrets.NewValue(v), TTL: req.TTL}, nil
}

func (demoBackend) Revoke(context.Context, string) error { return nil }

func (e *env) vaultBackend(addr string) (secrets.Backend, error) {
	conf := vaultapi.DefaultConfig()
	if conf.Error != nil {
		return nil, conf.Error
	}
	conf.Address = addr
	// DefaultConfig also read VAULT_SKIP_VERIFY and VAULT_AGENT_ADDR from
	// the environment: the first turns certificate verification off, the
	// second replaces the address Validate checked. Either would send the
	// broker's token and the job's OIDC token to whoever answers, because
	// a shell or an image exported it for a development Vault.
	if tr, ok := conf.HttpClient.Transport.(*http.Transport); !ok || tr.TLSClientConfig == nil || tr.TLSClientConfig.InsecureSkipVerify {
		return nil, fmt.Errorf("%w: --vault: TLS certificate verification is off (VAULT_SKIP_VERIFY): the runner sends tokens to Vault only over a verified connection", ErrConfig)
	}
	client, err := vaultapi.NewClient(conf) // reads VAULT_TOKEN
	if err != nil {
		return nil, err
	}
	if want, err := url.Parse(addr); err != nil || client.Address() != want.String() {
		return nil, fmt.Errorf("%w: --vault: the Vault client would talk to another address (VAULT_AGENT_ADDR is set?): the runner talks only to --vault", ErrConfig)
	}
	mount, path, field, err := parseKV(e.cfg.Services.VaultKV)
	if err != nil {
		return nil, err
	}
	role := e.cfg.Services.VaultRole
	if role == "" {
		role = "ci"
	}
	return vault.New(client, vault.JWTAuth{Role: role},
		map[string]vault.Source{SecretName: vault.KV(mount, path, field)}, vault.WithLogger(e.cfg.Logger))
}

// parseKV splits "mount/path#field" (default "secret/ci/deploy#token").
func parseKV(s string) (mount, path, field string, err error) {
	if s == "" {
		s = "secret/ci/deploy#token"
	}
	loc, field, ok := strings.Cut(s, "#")
	mount, path, ok2 := strings.Cut(loc, "/")
	if !ok || !ok2 || mount == "" || path == "" || field == "" {
		return "", "", "", fmt.Errorf("%w: --vault-kv must be mount/path#field, got %q", ErrConfig, s)
	}
	return mount, path, field, nil
}
