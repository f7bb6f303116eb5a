package gate

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/verify"
)

// ErrRevoked: an identity, signer, key or builder the gate relied on is
// marked compromised or revoked. The error is a [*RevokedError].
var ErrRevoked = errors.New("gate: revoked")

// RuleJobRevoked is the rule id of the deny of a job whose identity is
// revoked; the gate decides it before any verification or policy.
const RuleJobRevoked = "gate.job_revoked"

// RevokedError names what was revoked: Kind is "job", "signer", "key",
// "builder" or "lease", ID the identity, SAN, key hint, builder id or lease
// id. ("lease" is reported for a verification summary whose build received
// a compromised credential; on full verification a compromised lease
// reaches policy instead, see [Revocations].)
type RevokedError struct {
	Kind, ID string
}

func (e *RevokedError) Error() string { return fmt.Sprintf("%v: %s %q", ErrRevoked, e.Kind, e.ID) }

// Is makes errors.Is(err, ErrRevoked) hold.
func (e *RevokedError) Is(target error) bool { return target == ErrRevoked }

// Revocations are the deny-lists the gate consults on every decision, after
// verification and whatever any cache holds, so a mark takes effect on the
// next decision: a job identity (its stable ID: SPIFFE ID or issuer#subject,
// or the mark id of its repository or owner, see [audit.MarkIDs]),
// an attestation's signer (the certificate SAN; a mark on a URI SAN
// without "@" also revokes it with any "@<ref>", the ref of the workflow
// that signed), its signing key (the
// verify.KeyFingerprint of the key that verified the bundle, under any
// hint the bundle chose, or that hint; also the pinned key of a
// third-party summary, [WithThirdPartyVSAs]) or the SLSA builder its
// provenance names (a mark on a builder id without "@" also revokes that
// id with any "@<ref>", as a verify.Provenance expectation matches it). A
// nil checker checks nothing. audit.KillSwitch and audit/natskill's Switch
// (with For per kind) implement audit.CompromiseChecker; a checker that
// cannot decide must report true (revoked), as those do.
//
// Leases are secrets lease ids marked compromised: a credential of a
// verified secrets provenance whose lease is marked reaches policy as
// compromised, and the built-in deploy rules deny the build naming the
// lease (deploy.credential_compromised).
type Revocations struct {
	Jobs, Signers, Keys, Builders, Leases audit.CompromiseChecker
}

// WithRevocations makes the gate deny revoked jobs, disregard
// attestations from revoked signers, keys and builders, and mark
// compromised leases for policy.
func WithRevocations(r Revocations) Option {
	return func(c *config) error {
		if r.Jobs == nil && r.Signers == nil && r.Keys == nil && r.Builders == nil && r.Leases == nil {
			return fmt.Errorf("%w: WithRevocations needs at least one checker", ErrConfig)
		}
		if r.Signers != nil {
			r.Signers = signerMarks{r.Signers}
		}
		c.revocations = r
		return nil
	}
}

// signerMarks matches a URI SAN as a builder id is matched: a CI
// workflow's SAN names the ref it ran at (".../release.yml@refs/tags/v1"),
// and a verify.Identity SANRegexp trusts the workflow at refs nobody can
// list in advance, so a mark on the workflow revokes it at every ref,
// wherever the gate checks a signer (full verification, the inputs of a
// trusted summary). An email SAN is matched exactly: before its '@' is
// only a local part.
type signerMarks struct{ audit.CompromiseChecker }

func (m signerMarks) Compromised(san string) bool {
	if !strings.Contains(san, "://") {
		return m.CompromiseChecker.Compromised(san)
	}
	_, revoked := builderRevoked(m.CompromiseChecker, san)
	return revoked
}

func (r Revocations) checkJob(id identity.Identity) error {
	if r.Jobs == nil {
		return nil
	}
	// The job's own id, its repository's and its owner's (audit.MarkIDs):
	// a mark on the repository revokes each of its jobs.
	for _, mid := range audit.MarkIDs(id.AuditActor()) {
		if r.Jobs.Compromised(mid) {
			return &RevokedError{Kind: "job", ID: mid}
		}
	}
	return nil
}

// check refuses a verified attestation whose signer, key or builder is
// revoked.
func (r Revocations) check(vr *verify.Result) error {
	s := vr.Signer
	switch {
	case r.Signers != nil && s.SAN != "" && r.Signers.Compromised(s.SAN):
		return &RevokedError{Kind: "signer", ID: s.SAN}
	case r.Keys != nil && s.KeyHint != "" && r.Keys.Compromised(s.KeyHint):
		return &RevokedError{Kind: "key", ID: s.KeyHint}
	// The key that verified the bundle, whatever hint the bundle chose:
	// trust material may answer any hint with one key.
	case r.Keys != nil && s.KeyFingerprint != "" && r.Keys.Compromised(s.KeyFingerprint):
		return &RevokedError{Kind: "key", ID: s.KeyFingerprint}
	}
	if r.Builders != nil && vr.Statement != nil && strings.HasPrefix(vr.Statement.PredicateType, "https://slsa.dev/provenance/") {
		f, err := verify.ReadProvenance(vr.Statement)
		if err != nil {
			return fmt.Errorf("%w: provenance does not read, so its builder cannot be checked: %w", ErrRevoked, err)
		}
		if id, revoked := builderRevoked(r.Builders, f.BuilderID); revoked {
			return &RevokedError{Kind: "builder", ID: id}
		}
	}
	return nil
}

// builderRevoked reports whether the builder id names a revoked builder,
// and by which mark. A builder is matched as verify matches a
// verify.Provenance expectation: an id with "@<ref>" is also the builder
// before the "@" (slsa-github-generator style), so a mark on the builder
// an expectation names revokes it at every ref, as the expectation
// accepts it at every ref.
func builderRevoked(c audit.CompromiseChecker, id string) (string, bool) {
	if c.Compromised(id) {
		return id, true
	}
	if base, _, ok := strings.Cut(id, "@"); ok && c.Compromised(base) {
		return base, true
	}
	return "", false
}

// denyRevokedJob decides and audits the deny of a revoked job.
func (g *Gate) denyRevokedJob(ctx context.Context, id identity.Identity, req Request, d *Decision, cause error) error {
	d.Violations = []policy.Violation{{Rule: RuleJobRevoked, Message: cause.Error(), Value: id.ID()}}
	ev := g.event(id, resource(req), audit.OutcomeDeny, "job identity revoked")
	ev.Violations = d.Rules()
	markDryRun(req, &ev)
	if err := g.audit(ctx, ev); err != nil {
		return err
	}
	d.AuditID = ev.ID
	return nil
}
