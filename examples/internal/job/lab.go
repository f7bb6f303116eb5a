package job

import (
	"context"
	"fmt"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/verify"
)

// Lab is the runner's embedded environment without the narration: the
// trust services, registry, policy and audit log, for the gate's tests and
// load test. Close it when done.
type Lab struct{ e *env }

// StartLab starts the environment (cfg.Out is not used).
func StartLab(ctx context.Context, cfg Config) (*Lab, error) {
	if cfg.SecretValue == "" {
		cfg.SecretValue = "s3cr3t-" + randomHex(16)
	}
	if cfg.Logger == nil {
		cfg.Logger = discard()
	}
	e, err := newEnv(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &Lab{e: e}, nil
}

// Close stops everything the lab started.
func (l *Lab) Close() error { return l.e.close() }

// AuditLog is the lab's audit log.
func (l *Lab) AuditLog() *audit.Log { return l.e.auditLog }

// Registry is the registry host the gate may read from.
func (l *Lab) Registry() string { return l.e.regHost }

// Gate returns a new deploy gate over the lab's trust, policy and registry,
// auditing to sink. resultCache turns verify's result cache on; pass
// gate.WithImageOptions(image.WithCache(0, 0)) for a gate that
// re-discovers and re-verifies every time.
func (l *Lab) Gate(ctx context.Context, resultCache bool, sink audit.Sink, opts ...gate.Option) (*gate.Gate, error) {
	return l.e.newGate(ctx, resultCache, sink, opts...)
}

// Policy returns a new engine with the gate's policy (built-in library and
// the demo's configuration), without auditing. Close it when done.
func (l *Lab) Policy(ctx context.Context) (*policy.Engine, error) {
	return policy.New(ctx, policy.BuiltinWith(policyConfig(l.e.issuer.URL())))
}

// Published is an image a job built, attested and attached.
type Published struct {
	Image   string   // tag reference
	Name    string   // repository
	Digest  string   // "sha256:<hex>"
	Bundles [][]byte // the Sigstore bundles attached to it
}

// Publish runs the build and attest steps of a job on ref (e.g.
// "refs/heads/main") and pushes the image under tag.
func (l *Lab) Publish(ctx context.Context, ref string, protected bool, tag string) (*Published, error) {
	j, err := l.e.newJob(ctx, jobSpec{name: "lab", ref: ref, protected: protected, tag: tag})
	if err != nil {
		return nil, err
	}
	tagRef, img, artifact, err := l.e.build(ctx, j)
	if err != nil {
		return nil, err
	}
	signer, err := l.e.newSigner(ctx, *j)
	if err != nil {
		return nil, err
	}
	stmts, err := statements(ctx, j, tagRef, img, artifact)
	if err != nil {
		return nil, err
	}
	d, err := img.Digest()
	if err != nil {
		return nil, err
	}
	p := &Published{Image: tagRef.String(), Name: tagRef.Context().Name(), Digest: d.String()}
	for _, st := range stmts {
		b, err := attest.Sign(ctx, signer, st)
		if err != nil {
			return nil, err
		}
		if _, err := attach.Bundle(ctx, tagRef, b); err != nil {
			return nil, err
		}
		p.Bundles = append(p.Bundles, b)
	}
	return p, nil
}

// GateToken mints a token for the gate's audience for a job on ref.
func (l *Lab) GateToken(ctx context.Context, ref string, protected bool) (oidc.Token, error) {
	return l.e.issuer.Mint(ctx, oidc.Job{Subject: SignerSAN, Claims: jobClaims(jobSpec{name: "deploy", ref: ref, protected: protected}, randomHex(4), randomHex(20))}, audienceGate)
}

// newJob establishes a job's identity: token minted and verified.
func (e *env) newJob(ctx context.Context, spec jobSpec) (*jobRun, error) {
	j := &jobRun{spec: spec, runID: randomHex(4), commit: randomHex(20)}
	j.claims = jobClaims(spec, j.runID, j.commit)
	tok, err := e.issuer.Mint(ctx, oidc.Job{Subject: SignerSAN, Claims: j.claims}, audienceRunner)
	if err != nil {
		return nil, err
	}
	if j.identity, err = e.tokens.Verify(ctx, tok.Reveal()); err != nil {
		return nil, fmt.Errorf("verify job token: %w", err)
	}
	return j, nil
}

func jobClaims(spec jobSpec, runID, commit string) identity.Claims {
	return identity.Claims{
		Platform: "ztci", Repository: Repository, Ref: spec.ref, RefProtected: spec.protected,
		Commit: commit, Workflow: Workflow, WorkflowRef: Repository + "/" + Workflow + "@" + spec.ref,
		Job: spec.name, RunID: runID, RunAttempt: "1", Event: "push", Actor: "dev-alice", Runner: "hosted",
	}
}

// IssuerURL is the lab's OIDC issuer.
func (l *Lab) IssuerURL() string { return l.e.issuer.URL() }

// TrustedRootJSON is a trusted_root.json for the lab's CA and TSA.
func (l *Lab) TrustedRootJSON() ([]byte, error) {
	return attest.NewTrustedRoot().
		AddEmbeddedCA("https://ca.ztci.example", l.e.ca).
		AddEmbeddedTSA("https://tsa.ztci.example", l.e.tsa).MarshalJSON()
}

// Verifiers are the bundle verifiers the lab's gates use.
func (l *Lab) Verifiers(resultCache bool) (map[string]*verify.Verifier, error) {
	return l.e.verifiers(resultCache)
}
