package secretsprov

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"time"
	"unicode"

	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/internal/clip"
)

// PredicateType is the in-toto predicate type of secrets provenance.
const PredicateType = "https://ztci.dev/secrets-provenance/v1"

// Bounds of a predicate; [Parse] and [Provenance.PredicateJSON] refuse
// anything larger.
const (
	// MaxSize is the largest predicate document [Parse] reads, in bytes.
	MaxSize = 1 << 20
	// MaxCredentials is the most credentials one predicate lists.
	MaxCredentials = 4096
	// MaxFieldLen is the longest string field, in bytes.
	MaxFieldLen = 1024
)

// Provenance is the secrets provenance of one build: the job that ran it
// and every credential that job received. It holds names, ids and times,
// never a secret value or anything computed from one.
type Provenance struct {
	Job         Job          `json:"job"`
	Credentials []Credential `json:"credentials"`
}

// Job is the job a secrets provenance speaks for. [New] fills it from the
// job's verified identity, so a build step cannot name another job.
type Job struct {
	// ID is the runner's id of the job (secrets.JobSpec.ID), unique per run
	// attempt. Required.
	ID string `json:"id"`
	// Identity is the verified identity's stable id
	// (identity.Identity.ID). Required.
	Identity string `json:"identity"`
	// SPIFFEID is the job's workload SPIFFE ID, when it has one.
	SPIFFEID string `json:"spiffeId,omitempty"`
	// Repository is the source repository of the identity's claims.
	Repository string `json:"repository,omitempty"`
	// Ref is the git ref the job ran on. Required.
	Ref string `json:"ref"`
	// RefProtected is the platform's word, in the verified identity, that
	// Ref is protected.
	RefProtected bool `json:"refProtected"`
	// RunID identifies the run (run id and attempt), when the identity
	// names one.
	RunID string `json:"runId,omitempty"`
}

// Credential is one credential a job received: which lease, from which
// backend, of which secret, released by which decision, and when it was
// issued and revoked. There is deliberately no field for the value.
type Credential struct {
	// LeaseID is the backend's id of the lease (not secret). Required,
	// unique within a predicate.
	LeaseID string `json:"leaseId"`
	// Backend labels the secrets backend that issued it, e.g. "vault" or
	// "aws-sts/prod". Required.
	Backend string `json:"backend"`
	// Secret is the secret's name, e.g. "deploy/token". Required.
	Secret string `json:"secret"`
	// DecisionID identifies the release decision in the audit trail (the
	// broker's secrets.lease.issue event). Required.
	DecisionID string `json:"decisionId"`
	// PolicyRevision names the policy that released it, when the
	// authorizer named one.
	PolicyRevision string `json:"policyRevision,omitempty"`
	// IssuedOn is when the lease was issued. Required.
	IssuedOn time.Time `json:"issuedOn"`
	// RevokedOn is when the lease was revoked; nil while it is live (a
	// provenance signed before the job ended).
	RevokedOn *time.Time `json:"revokedOn,omitempty"`
}

// Run is what the runner knows of a job beyond its verified identity.
type Run struct {
	// JobID is the runner's id of the job (secrets.JobSpec.ID). Required.
	JobID string
	// SPIFFEID is the job's X.509-SVID SPIFFE ID, for a job whose verified
	// identity is an OIDC token. It must agree with an identity that has
	// a SPIFFE ID of its own.
	SPIFFEID string
}

// New returns the secrets provenance of the job run with the verified
// identity id: the job's identity, ref, ref protection, repository and run
// come from id, so a build step cannot claim a protected ref it was not
// started on; run and creds supply what only the runner knows. The
// credentials are copied, their times put in UTC and sorted by issue time
// and lease id. The result is validated; errors wrap [ErrInvalid].
func New(id identity.Identity, run Run, creds []Credential) (*Provenance, error) {
	if id.IsZero() {
		return nil, fmt.Errorf("%w: no verified identity", ErrInvalid)
	}
	c := id.Claims
	sid := run.SPIFFEID
	if !id.SPIFFEID.IsZero() {
		if sid != "" && sid != id.SPIFFEID.String() {
			return nil, fmt.Errorf("%w: SPIFFE ID %q is not the identity's %q", ErrInvalid, clip.String(sid, 64), id.SPIFFEID)
		}
		sid = id.SPIFFEID.String()
	}
	runID := c.RunID
	if runID != "" && c.RunAttempt != "" {
		runID += "/" + c.RunAttempt
	}
	p := &Provenance{
		Job: Job{ID: run.JobID, Identity: id.ID(), SPIFFEID: sid, Repository: c.Repository,
			Ref: c.Ref, RefProtected: c.RefProtected, RunID: runID},
		Credentials: make([]Credential, len(creds)),
	}
	for i, cr := range creds {
		cr.IssuedOn = cr.IssuedOn.UTC()
		if cr.RevokedOn != nil {
			t := cr.RevokedOn.UTC()
			cr.RevokedOn = &t
		}
		p.Credentials[i] = cr
	}
	slices.SortStableFunc(p.Credentials, func(a, b Credential) int {
		return cmp.Or(a.IssuedOn.Compare(b.IssuedOn), cmp.Compare(a.LeaseID, b.LeaseID))
	})
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// PredicateType returns [PredicateType]; with PredicateJSON it makes a
// *Provenance an attest.Predicate.
func (p *Provenance) PredicateType() string { return PredicateType }

// PredicateJSON validates p and returns its JSON, one compact object, only
// if [Parse] reads it back (it is run on it: more than [MaxSize] bytes is
// [ErrTooLarge]). Errors wrap [ErrInvalid] (and so
// attest.ErrInvalidPredicate).
func (p *Provenance) PredicateJSON() (json.RawMessage, error) {
	if p == nil {
		return nil, fmt.Errorf("%w: nil provenance", ErrInvalid)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	// Validate checks the model, not its encoding: 4096 credentials of
	// long fields pass it and exceed MaxSize, which Parse refuses. What is
	// signed must read back, by Parse's rules, not a copy of them.
	if _, err := Parse(b); err != nil {
		return nil, err
	}
	return b, nil
}

// Validate checks the rules the JSON schema states: required fields set,
// strings within [MaxFieldLen] bytes of valid UTF-8 without control
// characters (C0, DEL or C1), a SPIFFE ID that parses, at most
// [MaxCredentials] credentials with distinct lease ids, times within years
// 0001–9999 and no revocation before its issue. Errors wrap [ErrInvalid].
func (p *Provenance) Validate() error {
	j := &p.Job
	for _, f := range []struct {
		name, v  string
		required bool
	}{
		{"job.id", j.ID, true}, {"job.identity", j.Identity, true}, {"job.ref", j.Ref, true},
		{"job.spiffeId", j.SPIFFEID, false}, {"job.repository", j.Repository, false}, {"job.runId", j.RunID, false},
	} {
		if err := checkField(f.name, f.v, f.required); err != nil {
			return err
		}
	}
	if j.SPIFFEID != "" {
		if _, err := spiffeid.FromString(j.SPIFFEID); err != nil {
			return fmt.Errorf("%w: job.spiffeId %q: %w", ErrInvalid, clip.String(j.SPIFFEID, 64), err)
		}
	}
	if p.Credentials == nil {
		return fmt.Errorf("%w: credentials is required (an empty list says the job received none)", ErrMissingField)
	}
	if len(p.Credentials) > MaxCredentials {
		return fmt.Errorf("%w: %d credentials, at most %d", ErrTooLarge, len(p.Credentials), MaxCredentials)
	}
	seen := make(map[string]bool, len(p.Credentials))
	for i := range p.Credentials {
		if err := p.Credentials[i].validate(i); err != nil {
			return err
		}
		id := p.Credentials[i].LeaseID
		if seen[id] {
			return fmt.Errorf("%w: credentials[%d]: lease id %q listed twice", ErrInvalid, i, clip.String(id, 64))
		}
		seen[id] = true
	}
	return nil
}

func (c *Credential) validate(i int) error {
	at := fmt.Sprintf("credentials[%d].", i)
	for _, f := range []struct {
		name, v  string
		required bool
	}{
		{"leaseId", c.LeaseID, true}, {"backend", c.Backend, true}, {"secret", c.Secret, true},
		{"decisionId", c.DecisionID, true}, {"policyRevision", c.PolicyRevision, false},
	} {
		if err := checkField(at+f.name, f.v, f.required); err != nil {
			return err
		}
	}
	if c.IssuedOn.IsZero() {
		return fmt.Errorf("%w: %sissuedOn is required", ErrMissingField, at)
	}
	if !writable(c.IssuedOn) {
		return fmt.Errorf("%w: %sissuedOn %v is outside years 0001-9999 (UTC)", ErrInvalid, at, c.IssuedOn.UTC())
	}
	if r := c.RevokedOn; r != nil {
		if r.IsZero() || !writable(*r) {
			return fmt.Errorf("%w: %srevokedOn %v is not a time in years 0001-9999 (UTC)", ErrInvalid, at, r.UTC())
		}
		if r.Before(c.IssuedOn) {
			return fmt.Errorf("%w: %srevokedOn %s is before issuedOn %s", ErrInvalid, at,
				r.UTC().Format(time.RFC3339Nano), c.IssuedOn.UTC().Format(time.RFC3339Nano))
		}
	}
	return nil
}

// checkField refuses an empty required field and any field too long, not
// UTF-8 or holding a control character (Cc: C0, DEL and C1, whose U+0085
// breaks a line and U+009B starts a terminal's escape sequence): these
// strings reach logs, audit events and policy messages.
func checkField(name, v string, required bool) error {
	switch {
	case v == "" && required:
		return fmt.Errorf("%w: %s is required", ErrMissingField, name)
	case len(v) > MaxFieldLen:
		return fmt.Errorf("%w: %s is %d bytes, at most %d", ErrInvalid, name, len(v), MaxFieldLen)
	}
	for i, r := range v {
		if r == 0xFFFD && !validAt(v, i) || unicode.IsControl(r) {
			return fmt.Errorf("%w: %s holds a control character or invalid UTF-8 at byte %d", ErrInvalid, name, i)
		}
	}
	return nil
}

// validAt reports whether the U+FFFD decoded at v[i] was written as such
// rather than being the decoder's stand-in for an invalid byte.
func validAt(v string, i int) bool {
	return len(v) >= i+3 && v[i:i+3] == "\uFFFD"
}

func writable(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 1 && y <= 9999
}
