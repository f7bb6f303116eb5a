package svr

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/internal/clip"
)

// DefaultClockSkew is how far ahead of the consumer's clock a result's
// timeCreated may lie when [Expect.ClockSkew] is zero.
const DefaultClockSkew = time.Minute

// MaxClockSkew is the largest [Expect.ClockSkew]: a skew of days would
// let a result dated days ahead pass as fresh for as long, the hole an
// age-only check has. Clocks that disagree by more need fixing, not a
// wider window.
const MaxClockSkew = time.Hour

// Why [Expect.Check] refused a result. A result that is read but not what
// the consumer expects is a [*MismatchError] wrapping ErrUnexpected and
// exactly one of the finer sentinels below; unusable expectations wrap
// ErrExpectation; a result that does not read is a [*FieldError] wrapping
// ErrInvalid. Whatever the error, the result is not evidence.
var (
	// ErrExpectation: the Expect is unusable (no or a malformed subject
	// digest, no or a malformed verifier id, no positive MaxAge, a
	// negative ClockSkew or one over MaxClockSkew, an empty or malformed
	// accepted revision or
	// required property). Nothing was read.
	ErrExpectation = errors.New("svr: expectation unusable")
	// ErrUnexpected: the result is valid but not what the consumer expects.
	ErrUnexpected = errors.New("svr: result not as expected")
	// ErrSubjectMismatch: the expected digest is in no subject (or, with
	// Expect.Repository, in no subject of that name).
	ErrSubjectMismatch = fmt.Errorf("%w: subject digest mismatch", ErrUnexpected)
	// ErrVerifierMismatch: verifier.id is not the expected one.
	ErrVerifierMismatch = fmt.Errorf("%w: verifier id mismatch", ErrUnexpected)
	// ErrStale: timeCreated is older than Expect.MaxAge.
	ErrStale = fmt.Errorf("%w: result too old", ErrUnexpected)
	// ErrFuture: timeCreated lies more than the clock skew ahead of now.
	ErrFuture = fmt.Errorf("%w: result dated in the future", ErrUnexpected)
	// ErrNotAllowed: the result does not list PropertyAllowed: the policy
	// did not allow (a deny still lists the controls it passed).
	ErrNotAllowed = fmt.Errorf("%w: policy did not allow", ErrUnexpected)
	// ErrPropertyMissing: a property of Expect.Properties is not listed.
	ErrPropertyMissing = fmt.Errorf("%w: required property missing", ErrUnexpected)
	// ErrRevision: the policy revision is not one of
	// Expect.PolicyRevisions (or the result names none).
	ErrRevision = fmt.Errorf("%w: policy revision not accepted", ErrUnexpected)
)

// MismatchError reports a failed expectation: Field names the result's
// field ("subject", "verifier.id", "timeCreated", "properties",
// "verifier.policy"), Want what was expected and Got what the result
// holds (clipped to 64 bytes: it is the signer's text). Err is one of the
// sentinels wrapping ErrUnexpected.
type MismatchError struct {
	Field     string
	Want, Got string
	Err       error
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("%v: %s: want %s, got %q", e.Err, e.Field, e.Want, e.Got)
}

// Unwrap returns Err.
func (e *MismatchError) Unwrap() error { return e.Err }

// Expect is what a consumer of a result (a later deploy step, an admission
// controller) requires before it relies on it in place of verifying the
// artifact itself. Subject, VerifierID and MaxAge are required: the zero
// Expect refuses every result. [PropertyAllowed] is always required and
// cannot be waived; Properties adds to it.
//
// Expect checks the result, not its signature: pass [Expect.Check] only
// the Statement of a bundle that verified with a verifier pinned to the
// one identity (key or certificate identity) that signs for VerifierID,
// one such verifier per Expect. A verifier that accepts several gates'
// identities lets any of them sign a result naming another's verifier.id.
type Expect struct {
	// Subject is the digest of the artifact about to be used, e.g. the
	// image manifest's "sha256:…" as attest.ParseDigest reads it. It must
	// be the digest of one of the result's subjects. A result naming
	// several subjects (a gate's result about the platform manifests of an
	// index it verified) is accepted for each of them: it states the same
	// about every one. Required.
	Subject attest.Digest
	// Repository, when set, is the name the matching subject must carry:
	// a gate writes the repository of the image it decided on in full
	// ("registry.example/team/app", go-containerregistry's
	// name.Repository.Name()). Set it when the policy's answer may depend
	// on the repository (an allow list of registries), so that a result
	// about the same manifest in another repository is not accepted.
	Repository string
	// VerifierID must equal verifier.id exactly: the gate the consumer
	// trusts (policy/gate's SVRIssuer.VerifierID). Required.
	VerifierID string
	// MaxAge is how old a result may be: timeCreated earlier than now
	// minus MaxAge is refused (ErrStale). Required, positive.
	MaxAge time.Duration
	// ClockSkew is how far ahead of now timeCreated may lie (ErrFuture);
	// zero means DefaultClockSkew, negative or over MaxClockSkew is
	// refused. A check of the age
	// alone reads a result dated years ahead as the freshest there is.
	ClockSkew time.Duration
	// PolicyRevisions, when not empty, are the policy revisions accepted
	// (the verifier policy's AnnotationPolicyRevision, as
	// [Result.PolicyRevision] reads it); a result naming none is then
	// refused (ErrRevision).
	PolicyRevisions []string
	// Properties are further properties the result must list, e.g. the
	// compliance controls the consumer relies on, beside PropertyAllowed.
	Properties []string
	// Now is the consumer's clock; nil means time.Now.
	Now func() time.Time
}

// Validate reports an unusable Expect (wrapping ErrExpectation) without
// reading a result; Check applies it first. Call it at configuration
// time to fail early.
func (e Expect) Validate() error {
	switch {
	case e.Subject == (attest.Digest{}):
		return fmt.Errorf("%w: no subject digest", ErrExpectation)
	case e.VerifierID == "":
		return fmt.Errorf("%w: no verifier id", ErrExpectation)
	case !uriForm.MatchString(e.VerifierID) || !visible(e.VerifierID):
		return fmt.Errorf("%w: verifier id %q is not an absolute URI of visible characters", ErrExpectation, quote(e.VerifierID))
	case e.MaxAge <= 0:
		return fmt.Errorf("%w: MaxAge must be positive", ErrExpectation)
	case e.ClockSkew < 0:
		return fmt.Errorf("%w: negative ClockSkew", ErrExpectation)
	case e.ClockSkew > MaxClockSkew:
		return fmt.Errorf("%w: ClockSkew %v over MaxClockSkew (%v)", ErrExpectation, e.ClockSkew, MaxClockSkew)
	}
	if _, err := attest.ParseDigest(e.Subject.String()); err != nil {
		return fmt.Errorf("%w: subject digest: %w", ErrExpectation, err)
	}
	for _, rev := range e.PolicyRevisions {
		if !validRevision(rev) {
			return fmt.Errorf("%w: accepted policy revision %q is not 1 to %d printable bytes", ErrExpectation, quote(rev), maxRevision)
		}
	}
	for _, p := range e.Properties {
		if !validProperty(p) {
			return fmt.Errorf("%w: required property %q is not a valid property", ErrExpectation, quote(p))
		}
	}
	return nil
}

// Check reads the result of st, the Statement of a verified bundle (see
// [Expect]), and returns it only when it is what e expects, in this order:
//
//  1. e is usable ([Expect.Validate], ErrExpectation);
//  2. st is a valid Statement carrying a valid result ([FromStatement]);
//  3. e.Subject is the digest of one of st's subjects, named
//     e.Repository when that is set (ErrSubjectMismatch);
//  4. verifier.id is e.VerifierID (ErrVerifierMismatch);
//  5. timeCreated is no earlier than now minus e.MaxAge (ErrStale) and no
//     later than now plus the clock skew (ErrFuture);
//  6. the result lists PropertyAllowed (ErrNotAllowed), then each of
//     e.Properties (ErrPropertyMissing);
//  7. with e.PolicyRevisions, the result's policy revision is one of them
//     (ErrRevision).
//
// On any error the Result is nil and nothing about the artifact is
// established.
func (e Expect) Check(st *attest.Statement) (*Result, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	if st != nil {
		if err := st.Validate(); err != nil {
			return nil, fieldErr("statement", ErrInvalid, "%w", err)
		}
	}
	r, err := FromStatement(st)
	if err != nil {
		return nil, err
	}
	if err := e.match(st.Subject, r); err != nil {
		return nil, err
	}
	return r, nil
}

func (e Expect) match(subjects []attest.ResourceDescriptor, r *Result) error {
	alg, want := e.Subject.Algorithm, e.Subject.Value
	if !slices.ContainsFunc(subjects, func(rd attest.ResourceDescriptor) bool {
		return rd.Digest[alg] == want && (e.Repository == "" || rd.Name == e.Repository)
	}) {
		w := e.Subject.String()
		if e.Repository != "" {
			w = e.Repository + "@" + w
		}
		return &MismatchError{Field: "subject", Want: w, Got: subjectList(subjects), Err: ErrSubjectMismatch}
	}
	if r.Verifier.ID != e.VerifierID {
		return &MismatchError{Field: "verifier.id", Want: e.VerifierID, Got: quote(r.Verifier.ID), Err: ErrVerifierMismatch}
	}
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	t := now()
	skew := e.ClockSkew
	if skew == 0 {
		skew = DefaultClockSkew
	}
	// Sub saturates, so a timeCreated of year 1 or 9999 is out of any
	// window short of the largest Duration.
	switch created := r.TimeCreated; {
	case t.Sub(created) > e.MaxAge:
		return &MismatchError{Field: "timeCreated", Want: "no earlier than " + t.Add(-e.MaxAge).UTC().Format(time.RFC3339),
			Got: created.UTC().Format(time.RFC3339Nano), Err: ErrStale}
	case created.Sub(t) > skew:
		return &MismatchError{Field: "timeCreated", Want: "no later than " + t.Add(skew).UTC().Format(time.RFC3339),
			Got: created.UTC().Format(time.RFC3339Nano), Err: ErrFuture}
	}
	if !r.Has(PropertyAllowed) {
		return &MismatchError{Field: "properties", Want: PropertyAllowed, Got: propertyList(r.Properties), Err: ErrNotAllowed}
	}
	for _, p := range e.Properties {
		if !r.Has(p) {
			return &MismatchError{Field: "properties", Want: p, Got: propertyList(r.Properties), Err: ErrPropertyMissing}
		}
	}
	if len(e.PolicyRevisions) > 0 {
		if rev := r.PolicyRevision(); !slices.Contains(e.PolicyRevisions, rev) {
			return &MismatchError{Field: "verifier.policy", Want: "one of " + strings.Join(e.PolicyRevisions, ", "), Got: quote(rev), Err: ErrRevision}
		}
	}
	return nil
}

// subjectList names the subjects' digests, clipped.
func subjectList(subjects []attest.ResourceDescriptor) string {
	var b strings.Builder
	for _, rd := range subjects {
		for _, alg := range slices.Sorted(maps.Keys(rd.Digest)) {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(clip.String(rd.Name, 64) + "@" + alg + ":" + clip.String(rd.Digest[alg], 128))
			if b.Len() > 64 {
				return clip.String(b.String(), 64)
			}
		}
	}
	return clip.String(b.String(), 64)
}

// propertyList names the properties, clipped.
func propertyList(ps []string) string {
	var b strings.Builder
	for _, p := range ps {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p)
		if b.Len() > 64 {
			break
		}
	}
	return clip.String(b.String(), 64)
}
