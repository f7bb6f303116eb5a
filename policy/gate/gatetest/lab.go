package gatetest

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/attest/tsa"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/verify"
)

// What a Lab's jobs are and what its policy trusts.
const (
	Repository = "acme/app"
	SourceURI  = "git+https://git.example/acme/app"
	Workflow   = ".ztci/release.yml"
	SignerSAN  = "https://git.example/acme/app/.ztci/release.yml"
	Forge      = "https://git.example" // where SignerSAN lives: the subject domain of the Lab's job tokens
	BuilderID  = "https://ztci.dev/examples/runner@v1"
	BuildType  = "https://ztci.dev/examples/runner/build/v1"
	// Audience is the audience of the tokens the Lab's gate accepts.
	Audience = "ztci-gate"
)

// ErrConfig reports an invalid Option.
var ErrConfig = errors.New("gatetest: invalid configuration")

// Job is a job of the Lab's repository: the ref it runs on and whether the
// platform says that ref is protected.
type Job struct {
	Ref       string
	Protected bool
}

// Lab is the environment. It is safe for concurrent use; Close it when done.
type Lab struct {
	log     *slog.Logger
	issuer  *oidc.Issuer
	tokens  *oidc.Verifier
	ca      *ca.CA
	tsa     *tsa.TSA
	regHost string
	servers []*http.Server
	sbom    []byte // nil: the minimal SBOM statements writes
}

// Option configures Start.
type Option func(*config) error

type config struct {
	log  *slog.Logger
	sbom []byte
}

// WithLogger sets the diagnostics logger of the Lab and what it starts
// (default: silent).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrConfig)
		}
		c.log = l
		return nil
	}
}

// WithSBOM sets the CycloneDX document the Lab's jobs sign as the SBOM of
// each image they publish (default: a minimal one naming only the
// application and its commit), for example a real one to measure what
// verifying evidence of a realistic size costs. doc must be a JSON object
// whose bomFormat is "CycloneDX"; the Lab keeps a copy.
func WithSBOM(doc []byte) Option {
	return func(c *config) error {
		var h struct {
			BOMFormat string `json:"bomFormat"`
		}
		if err := json.Unmarshal(doc, &h); err != nil || h.BOMFormat != "CycloneDX" {
			return fmt.Errorf("%w: SBOM is not a CycloneDX JSON document", ErrConfig)
		}
		c.sbom = bytes.Clone(doc)
		return nil
	}
}

// Start starts a Lab: the issuer and the registry listen on 127.0.0.1.
func Start(ctx context.Context, opts ...Option) (_ *Lab, err error) {
	cfg := config{log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrConfig)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	l := &Lab{log: cfg.log, sbom: cfg.sbom}
	defer func() {
		if err != nil {
			_ = l.Close()
		}
	}()
	issuerLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	issuerURL := "http://" + issuerLn.Addr().String()
	if l.issuer, err = oidc.NewIssuer(issuerURL, oidc.WithTTL(10*time.Minute), oidc.WithLogger(cfg.log)); err != nil {
		_ = issuerLn.Close()
		return nil, err
	}
	l.serve(issuerLn, l.issuer.Handler())
	// The gate fetches discovery and JWKS over HTTP like any relying party.
	if l.tokens, err = oidc.NewVerifier(issuerURL, Audience, oidc.WithLogger(cfg.log)); err != nil {
		return nil, err
	}
	if l.ca, err = ca.New(ca.WithLogger(cfg.log), ca.WithSubjectDomain(issuerURL, Forge)); err != nil {
		return nil, err
	}
	if l.tsa, err = tsa.New(tsa.WithLogger(cfg.log)); err != nil {
		return nil, err
	}
	regLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	l.regHost = regLn.Addr().String()
	l.serve(regLn, ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)), ggcrregistry.WithReferrersSupport(true)))
	return l, ctx.Err()
}

func (l *Lab) serve(ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = srv.Serve(ln) }()
	l.servers = append(l.servers, srv)
}

// Close stops the Lab's servers.
func (l *Lab) Close() error {
	var errs []error
	for _, s := range l.servers {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// IssuerURL is the Lab's OIDC issuer.
func (l *Lab) IssuerURL() string { return l.issuer.URL() }

// Registry is the registry host ("127.0.0.1:port") the Lab's gate reads.
func (l *Lab) Registry() string { return l.regHost }

// Claims are the CI claims of a job of the Lab's repository, with a fresh
// run id and commit.
func (l *Lab) Claims(j Job) identity.Claims {
	return identity.Claims{
		Platform: "ztci", Repository: Repository, Ref: j.Ref, RefProtected: j.Protected,
		Commit: randomHex(20), Workflow: Workflow, WorkflowRef: Repository + "/" + Workflow + "@" + j.Ref,
		Job: "release", RunID: randomHex(4), RunAttempt: "1", Event: "push", Actor: "dev-alice", Runner: "hosted",
	}
}

// Token mints a job token for the gate's audience.
func (l *Lab) Token(ctx context.Context, j Job) (oidc.Token, error) {
	return l.issuer.Mint(ctx, oidc.Job{Subject: SignerSAN, Claims: l.Claims(j)}, Audience)
}

// TrustedRootJSON is a trusted_root.json for the Lab's CA and TSA.
func (l *Lab) TrustedRootJSON() ([]byte, error) {
	return attest.NewTrustedRoot().
		AddEmbeddedCA("https://ca.ztci.example", l.ca).
		AddEmbeddedTSA("https://tsa.ztci.example", l.tsa).MarshalJSON()
}

// Verifiers are the gate's bundle verifiers: SLSA provenance signed by the
// release workflow and built by BuilderID from SourceURI, and the SBOM.
// resultCache turns verify's result cache on.
func (l *Lab) Verifiers(resultCache bool) (gate.Verifiers, error) {
	trJSON, err := l.TrustedRootJSON()
	if err != nil {
		return nil, err
	}
	trust, err := verify.ParseTrustedRoot(trJSON)
	if err != nil {
		return nil, err
	}
	signer := verify.Identity{SAN: SignerSAN, Issuer: l.issuer.URL()}
	// The Lab's CA logs nowhere: the RFC 3161 timestamp proves the time.
	opts := []verify.Option{verify.WithTlogThreshold(0), verify.WithSCTThreshold(0),
		verify.WithSignedTimestampThreshold(1), verify.WithLogger(l.log)}
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
	return gate.Verifiers{attest.PredicateSLSAProvenanceV1: prov, attest.PredicateCycloneDX: sbom}, nil
}

// PolicyConfig is the built-in library's configuration for the Lab: the
// release workflow as signer, BuilderID, SourceURI, refs/heads/main.
func (l *Lab) PolicyConfig() policy.LibraryConfig {
	return policy.LibraryConfig{Deploy: policy.DeployConfig{
		Signers:    []policy.AllowedSigner{{SAN: SignerSAN, Issuer: l.issuer.URL()}},
		Builders:   []string{BuilderID},
		Sources:    []string{SourceURI},
		SourceRefs: []string{"refs/heads/main"},
	}}
}

// Policy returns a new engine with the Lab's policy, without auditing (the
// gate audits each decision). Close it when done.
func (l *Lab) Policy(ctx context.Context) (*policy.Engine, error) {
	return policy.New(ctx, policy.BuiltinWith(l.PolicyConfig()), policy.WithLogger(l.log))
}

// Gate returns a new deploy gate over the Lab's token issuer, trust, policy
// and registry, auditing to sink, with verify's result cache on. Options
// come after the Lab's own (registry restriction, logger). The gate's policy
// engine is closed with ctx.
func (l *Lab) Gate(ctx context.Context, sink audit.Sink, opts ...gate.Option) (*gate.Gate, error) {
	return l.GateWith(ctx, true, sink, opts...)
}

// GateWith is Gate with verify's result cache on or off.
func (l *Lab) GateWith(ctx context.Context, resultCache bool, sink audit.Sink, opts ...gate.Option) (*gate.Gate, error) {
	vs, err := l.Verifiers(resultCache)
	if err != nil {
		return nil, err
	}
	eng, err := l.Policy(ctx)
	if err != nil {
		return nil, err
	}
	context.AfterFunc(ctx, func() { _ = eng.Close() })
	opts = append([]gate.Option{gate.WithRegistries(l.regHost), gate.WithLogger(l.log)}, opts...)
	return gate.New(l.tokens, vs, eng, sink, opts...)
}

// Published is an image a job built, attested and attached.
type Published struct {
	Image   string   // tag reference
	Name    string   // repository
	Digest  string   // "sha256:<hex>"
	Bundles [][]byte // the Sigstore bundles attached to it
}

// Publish does what a release job on j does: it builds an image holding a
// small artifact, pushes it under tag, signs SLSA provenance (from the job's
// verified identity) and a CycloneDX SBOM, and attaches both.
func (l *Lab) Publish(ctx context.Context, j Job, tag string) (*Published, error) {
	id, ref, err := l.releaseJob(ctx, j, tag)
	if err != nil {
		return nil, err
	}
	img, err := imageWith(fmt.Appendf(nil, "#!/bin/sh\necho 'built from %s@%s'\n", j.Ref, id.Claims.Commit))
	if err != nil {
		return nil, err
	}
	if err := remote.Write(ref, img, remote.WithContext(ctx)); err != nil {
		return nil, err
	}
	d, err := img.Digest()
	if err != nil {
		return nil, err
	}
	p := &Published{Image: ref.String(), Name: ref.Context().Name(), Digest: d.String()}
	if p.Bundles, err = l.attestImage(ctx, id, ref, img); err != nil {
		return nil, err
	}
	return p, nil
}

// releaseJob is what a release job on j starts with: its verified
// identity (from a token the lab's issuer mints) and the tag it pushes.
func (l *Lab) releaseJob(ctx context.Context, j Job, tag string) (identity.Identity, name.Tag, error) {
	tok, err := l.Token(ctx, j)
	if err != nil {
		return identity.Identity{}, name.Tag{}, err
	}
	id, err := l.tokens.Verify(ctx, tok.Reveal())
	if err != nil {
		return identity.Identity{}, name.Tag{}, fmt.Errorf("gatetest: verify the job token: %w", err)
	}
	ref, err := name.NewTag(l.regHost + "/" + Repository + ":" + tag)
	return id, ref, err
}

// attestImage signs, as the job id, SLSA provenance and a CycloneDX SBOM
// about img (pushed to ref's repository) and attaches both to img's digest.
func (l *Lab) attestImage(ctx context.Context, id identity.Identity, ref name.Tag, img v1.Image) ([][]byte, error) {
	stmts, err := statements(id, ref, img, l.sbom)
	if err != nil {
		return nil, err
	}
	signer, err := attest.NewCASigner(l.ca.IssuerFor(id), attest.WithEmbeddedTimestampAuthority(l.tsa.Handler()), attest.WithLogger(l.log))
	if err != nil {
		return nil, err
	}
	d, err := img.Digest()
	if err != nil {
		return nil, err
	}
	var bundles [][]byte
	for _, st := range stmts {
		b, err := attest.Sign(ctx, signer, st)
		if err != nil {
			return nil, err
		}
		if _, err := attach.Bundle(ctx, ref.Context().Digest(d.String()), b, attach.WithLogger(l.log)); err != nil {
			return nil, err
		}
		bundles = append(bundles, b)
	}
	return bundles, nil
}

// statements are what the job signs about the image: SLSA provenance and
// bom as its SBOM, or a minimal SBOM when bom is nil.
func statements(id identity.Identity, ref name.Tag, img v1.Image, bom []byte) ([]*attest.Statement, error) {
	d, err := img.Digest()
	if err != nil {
		return nil, err
	}
	size, err := img.Size()
	if err != nil {
		return nil, err
	}
	mt, err := img.MediaType()
	if err != nil {
		return nil, err
	}
	subj, err := attest.SubjectFromOCI(ref.Context().Name(), attest.OCIDescriptor{MediaType: string(mt), Digest: d.String(), Size: size})
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	prov, err := attest.JobProvenance(id, attest.Build{BuilderID: BuilderID, BuildType: BuildType, SourceURI: SourceURI,
		StartedOn: now.Add(-time.Second), FinishedOn: now})
	if err != nil {
		return nil, err
	}
	pst, err := attest.NewStatement([]attest.ResourceDescriptor{subj}, prov)
	if err != nil {
		return nil, err
	}
	if bom == nil {
		bom = fmt.Appendf(nil, `{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"metadata":{"component":{"type":"application","name":"app","version":"%s"}}}`, id.Claims.Commit[:12])
	}
	sst, err := attest.NewStatement([]attest.ResourceDescriptor{subj}, attest.CycloneDX(bom))
	if err != nil {
		return nil, err
	}
	return []*attest.Statement{pst, sst}, nil
}

// imageWith is a one-layer OCI image holding artifact as /app.
func imageWith(artifact []byte) (v1.Image, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "app", Mode: 0o755, Size: int64(len(artifact)), ModTime: time.Unix(0, 0)}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(artifact); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	return mutate.AppendLayers(base, static.NewLayer(buf.Bytes(), types.OCILayer))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}
