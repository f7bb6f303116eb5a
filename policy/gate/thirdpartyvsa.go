package gate

import (
	"cmp"
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/vsa"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/verify"
)

// MaxThirdPartyVSAs bounds the envelopes [ThirdPartyVSAs.Check] looks at
// for one artifact; the rest are rejected with ErrThirdPartyVSALimit.
const MaxThirdPartyVSAs = 16

// Why [ThirdPartyVSAs.Check] rejected an envelope. A rejection is reported
// ([ThirdPartyVSAReport]), never an error of the decision: a rejected
// summary is simply absent from the policy input.
var (
	// ErrThirdPartyVSA: the third-party summary is not in the policy
	// input. Verification errors (vsa.ErrUnverified and its finer
	// sentinels) are wrapped under it.
	ErrThirdPartyVSA = errors.New("gate: third-party verification summary rejected")
	// ErrThirdPartyVSAUntrusted: the verifier.id it claims is not one the
	// gate pins a key for; nothing was verified.
	ErrThirdPartyVSAUntrusted = fmt.Errorf("%w: untrusted verifier", ErrThirdPartyVSA)
	// ErrThirdPartyVSALimit: more than MaxThirdPartyVSAs envelopes.
	ErrThirdPartyVSALimit = fmt.Errorf("%w: too many envelopes", ErrThirdPartyVSA)
)

// ThirdPartyVSATrust pins one third-party verifier, as slsa-verifier
// verify-vsa takes it: summaries whose verifier.id is VerifierID count only
// when signed by Key (see vsa.ThirdPartyExpectations for Key, KeyID and
// Hash), about the artifact's digest, naming ResourceURI(artifact), with
// result PASSED, covering VerifiedLevels and at most MaxAge old.
type ThirdPartyVSATrust struct {
	VerifierID string
	Key        crypto.PublicKey
	KeyID      string
	Hash       crypto.Hash
	// ResourceURI returns the resourceUri this verifier writes for the
	// artifact name and digest ("<alg>:<value>") the gate decides on; each
	// verifier has its own convention (a package URL, "gce_image://…").
	// Required.
	ResourceURI func(name, digest string) string
	// VerifiedLevels the summary must cover ("SLSA_BUILD_LEVEL_2" is
	// covered by level 2 or higher of the build track). Policy can demand
	// more; this is the floor below which a summary does not reach it.
	VerifiedLevels []string
	// MaxAge is how old a summary may be. Required: a gate never relies on
	// a verification of unbounded age.
	MaxAge time.Duration
}

// ThirdPartyVSAReport is what became of one envelope: the caller's view
// (AttestationInfo, as a Decision lists attestations) and, for a rejected
// one, Err wrapping ErrThirdPartyVSA (nil when verified).
type ThirdPartyVSAReport struct {
	AttestationInfo
	Err error
}

// ThirdPartyVSAs verifies third-party SLSA verification summaries (raw
// DSSE envelopes signed by a pinned key, slsa-verifier's format) about an
// artifact and turns the verified ones into policy input. It holds no
// state beyond its configuration and is safe for concurrent use.
type ThirdPartyVSAs struct {
	byVerifier map[string][]thirdPartyPin
}

// thirdPartyPin is one pin and the id its key is revoked by
// (verify.KeyFingerprint, as [Revocations].Keys names keys).
type thirdPartyPin struct {
	ThirdPartyVSATrust
	keyID string
}

// NewThirdPartyVSAs checks every pin (a verifier id, a usable key and
// hash, a ResourceURI function, levels, a positive MaxAge) and fails with
// ErrConfig otherwise. A verifier id may be pinned more than once (key
// rotation): a summary counts when one of its pins verifies it.
func NewThirdPartyVSAs(trust ...ThirdPartyVSATrust) (*ThirdPartyVSAs, error) {
	if len(trust) == 0 {
		return nil, fmt.Errorf("%w: NewThirdPartyVSAs needs at least one verifier", ErrConfig)
	}
	t := &ThirdPartyVSAs{byVerifier: make(map[string][]thirdPartyPin, len(trust))}
	for _, tr := range trust {
		if tr.ResourceURI == nil || tr.MaxAge <= 0 {
			return nil, fmt.Errorf("%w: third-party verifier %q needs a ResourceURI function and a positive MaxAge", ErrConfig, tr.VerifierID)
		}
		// The per-artifact fields are placeholders here: what is checked
		// now is what is pinned.
		want := tr.expectations("urn:ztci:placeholder", attest.DigestSet{"sha256": strings.Repeat("0", 64)}, time.Time{})
		if err := want.Validate(); err != nil {
			return nil, fmt.Errorf("%w: third-party verifier %q: %w", ErrConfig, tr.VerifierID, err)
		}
		tr.VerifiedLevels = append([]string(nil), tr.VerifiedLevels...)
		fp, err := verify.KeyFingerprint(tr.Key)
		if err != nil {
			return nil, fmt.Errorf("%w: third-party verifier %q: %w", ErrConfig, tr.VerifierID, err)
		}
		t.byVerifier[tr.VerifierID] = append(t.byVerifier[tr.VerifierID], thirdPartyPin{tr, fp})
	}
	return t, nil
}

func (tr *ThirdPartyVSATrust) expectations(resource string, digests attest.DigestSet, now time.Time) vsa.ThirdPartyExpectations {
	return vsa.ThirdPartyExpectations{Key: tr.Key, KeyID: tr.KeyID, Hash: tr.Hash, SubjectDigests: digests,
		VerifierID: tr.VerifierID, ResourceURI: resource, VerifiedLevels: tr.VerifiedLevels, MaxAge: tr.MaxAge, Now: now}
}

// Check verifies each envelope about art (its Name and Digest,
// "<alg>:<value>") at time now. Each verified summary becomes one
// policy.Attestation with PredicateType vsa.PredicateType and Predicate
// the summary's predicate as verified (verifier.id, timeVerified in UTC,
// resourceUri, policy, verificationResult, verifiedLevels, …; URI-named
// extensions dropped), so a deploy rule can require a verifier and a level:
//
//	some a in input.artifacts[_].attestations
//	a.predicate_type == "https://slsa.dev/verification_summary/v1"
//	a.predicate.verifier.id == "https://verifier.example"
//	"SLSA_BUILD_LEVEL_3" in a.predicate.verifiedLevels
//
// Its Signer is empty: the summary is key-signed, and the key is pinned to
// verifier.id, which is the identity policy reads. The report lists every
// envelope in order, verified or rejected with its reason; a rejected one
// never reaches policy. The only error is ctx's.
func (t *ThirdPartyVSAs) Check(ctx context.Context, now time.Time, art policy.Artifact, envelopes [][]byte) ([]policy.Attestation, []ThirdPartyVSAReport, error) {
	return t.check(ctx, now, art, envelopes, nil)
}

// check is Check with the gate's key revocations (nil: none): a summary
// verified only by a pin whose key keys reports compromised is rejected
// with a [*RevokedError], as an attestation signed by a revoked key is.
func (t *ThirdPartyVSAs) check(ctx context.Context, now time.Time, art policy.Artifact, envelopes [][]byte, keys audit.CompromiseChecker) ([]policy.Attestation, []ThirdPartyVSAReport, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	var atts []policy.Attestation
	report := make([]ThirdPartyVSAReport, 0, len(envelopes))
	for i, env := range envelopes {
		err := ErrThirdPartyVSALimit
		var a policy.Attestation
		var info AttestationInfo
		if i < MaxThirdPartyVSAs {
			a, info, err = t.checkOne(ctx, now, art, env, keys)
		}
		if err != nil {
			// The caller is told the category (attestationText): err may
			// carry what the summary verifier's dependencies wrote.
			report = append(report, ThirdPartyVSAReport{rejected(ctx, AttestationInfo{PredicateType: vsa.PredicateType}, err), err})
			continue
		}
		atts = append(atts, a)
		report = append(report, ThirdPartyVSAReport{AttestationInfo: info})
	}
	return atts, report, nil
}

func (t *ThirdPartyVSAs) checkOne(ctx context.Context, now time.Time, art policy.Artifact, env []byte, keys audit.CompromiseChecker) (policy.Attestation, AttestationInfo, error) {
	claimed := claimedThirdPartyVerifier(env)
	pins := t.byVerifier[claimed]
	if len(pins) == 0 {
		return policy.Attestation{}, AttestationInfo{}, fmt.Errorf("%w: %q", ErrThirdPartyVSAUntrusted, clip.String(claimed, 64))
	}
	alg, value, ok := strings.Cut(art.Digest, ":")
	if !ok || alg == "" || value == "" {
		return policy.Attestation{}, AttestationInfo{}, fmt.Errorf("%w: artifact digest %q is not <alg>:<value>", ErrThirdPartyVSA, clip.String(art.Digest, 80))
	}
	var err, revoked error
	for _, tr := range pins {
		var v *vsa.ThirdPartySummary
		v, err = vsa.VerifyThirdParty(ctx, env, tr.expectations(tr.ResourceURI(art.Name, art.Digest), attest.DigestSet{alg: value}, now))
		if err != nil {
			continue
		}
		// Checked per decision, after verification: another pin (key
		// rotation) may still verify an envelope signed twice.
		if keys != nil && keys.Compromised(tr.keyID) {
			revoked = &RevokedError{Kind: "key", ID: tr.keyID}
			continue
		}
		pred, err := summaryPredicate(v.Summary)
		if err != nil {
			return policy.Attestation{}, AttestationInfo{}, err
		}
		return policy.Attestation{PredicateType: vsa.PredicateType, Predicate: pred},
			AttestationInfo{PredicateType: vsa.PredicateType, Signer: tr.VerifierID + " (key " + v.KeyID + ")", Verified: true}, nil
	}
	return policy.Attestation{}, AttestationInfo{}, fmt.Errorf("%w: %w", ErrThirdPartyVSA, cmp.Or(revoked, err))
}

// summaryPredicate is the verified summary as policy reads it: the
// predicate vsa writes for it, so times are UTC and only the
// specification's fields appear.
func summaryPredicate(s *vsa.Summary) (map[string]any, error) {
	raw, err := vsa.Predicate(*s).PredicateJSON()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrThirdPartyVSA, err)
	}
	var m map[string]any
	if err := decodeExact(raw, &m); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrThirdPartyVSA, err)
	}
	return m, nil
}

// claimedThirdPartyVerifier reads the verifier.id an envelope's payload
// claims, without verifying anything, to pick the pins to verify it with;
// "" when it has none. The claim only routes: the pin's expectations
// require that verifier.id, so a false claim fails verification.
func claimedThirdPartyVerifier(env []byte) string {
	if len(env) > vsa.MaxEnvelopeSize {
		return ""
	}
	var e struct {
		Payload string `json:"payload"`
	}
	if json.Unmarshal(env, &e) != nil {
		return ""
	}
	payload, err := base64.StdEncoding.DecodeString(e.Payload)
	if err != nil {
		if payload, err = base64.URLEncoding.DecodeString(e.Payload); err != nil {
			return ""
		}
	}
	var st struct {
		Predicate struct {
			Verifier struct {
				ID string `json:"id"`
			} `json:"verifier"`
		} `json:"predicate"`
	}
	if json.Unmarshal(payload, &st) != nil {
		return ""
	}
	return st.Predicate.Verifier.ID
}

// WithThirdPartyVSAs makes the gate verify the third-party verification
// summaries a request carries (Request.ThirdPartyVSAs: DSSE envelopes in
// slsa-verifier's format) with t, for the artifact it pinned, and add the
// verified ones to the attestations of each artifact in the policy input
// (the image, or each platform manifest of an index: a summary of the
// index covers them) (see
// [ThirdPartyVSAs.Check] for their shape), so a deploy rule can require
// one. Every envelope is listed in Decision.Attestations, a rejected one
// with its reason, and the decision's audit event counts both
// ("third_party_vsas_verified", "third_party_vsas_rejected"); a rejected
// one never reaches policy. With [WithRevocations], a summary verified
// only by a pin whose key Revocations.Keys marks (by verify.KeyFingerprint)
// is rejected as revoked, on every decision. A request carrying more than
// MaxThirdPartyVSAs, or carrying any to a gate without this option, is a
// bad request.
//
// A decision taken from a trusted ztci VSA ([WithTrustedVSAs]) evaluates
// policy on that summary's facts alone; a policy that requires a
// third-party summary denies there, and the gate falls back to verifying
// the attestations, where the third-party summaries are added.
func WithThirdPartyVSAs(t *ThirdPartyVSAs) Option {
	return func(c *config) error {
		if t == nil {
			return fmt.Errorf("%w: nil ThirdPartyVSAs", ErrConfig)
		}
		c.thirdParty = t
		return nil
	}
}

// errThirdPartyUnchecked: the third-party summaries could not be checked
// (the decision's context ended); the cause is withheld (see withhold).
var errThirdPartyUnchecked = fmt.Errorf("%w: third-party VSAs not checked", ErrUndecided)

// thirdPartyTally counts a request's third-party summaries for its audit
// event.
type thirdPartyTally struct{ verified, rejected int }

// addThirdPartyVSAs verifies the request's third-party summaries for art
// (the pinned artifact) and adds the verified ones to its attestations and
// to those of each artifact policy decides on (arts: art itself, or the
// platform manifests of an index, which a summary of the index covers).
// Attestations may be shared with other decisions (the facts memo), so
// they are replaced, never appended to in place.
func (g *Gate) addThirdPartyVSAs(ctx context.Context, req Request, art *policy.Artifact, arts []policy.Artifact, d *Decision) (thirdPartyTally, error) {
	if len(req.ThirdPartyVSAs) == 0 {
		return thirdPartyTally{}, nil
	}
	if err := g.checkThirdPartyRequest(req); err != nil {
		return thirdPartyTally{}, err
	}
	tp := g.cfg.thirdParty
	envs := make([][]byte, len(req.ThirdPartyVSAs))
	for i, e := range req.ThirdPartyVSAs {
		envs[i] = e
	}
	atts, report, err := tp.check(ctx, g.cfg.now(), *art, envs, g.cfg.revocations.Keys)
	if err != nil {
		return thirdPartyTally{}, withhold(errThirdPartyUnchecked, "third-party VSAs not checked; the request is undecided", err)
	}
	art.Attestations = slices.Concat(art.Attestations, atts)
	for i := range arts {
		arts[i].Attestations = slices.Concat(arts[i].Attestations, atts)
	}
	t := thirdPartyTally{verified: len(atts), rejected: len(report) - len(atts)}
	for _, r := range report {
		if r.Err != nil {
			g.cfg.log.DebugContext(ctx, "third-party VSA rejected", "err", r.Err)
		}
		d.Attestations = append(d.Attestations, r.AttestationInfo)
	}
	return t, nil
}

// checkThirdPartyRequest refuses a request whose third-party summaries
// this gate cannot take: some given to a gate without WithThirdPartyVSAs,
// or more than MaxThirdPartyVSAs. decideFor calls it before any path
// decides: a trusted VSA decides without looking at them, and must not
// allow a request that full verification refuses.
func (g *Gate) checkThirdPartyRequest(req Request) error {
	switch {
	case len(req.ThirdPartyVSAs) == 0:
		return nil
	case g.cfg.thirdParty == nil:
		return fmt.Errorf("%w: third_party_vsas given, but this gate trusts no third-party verifier", ErrBadRequest)
	case len(req.ThirdPartyVSAs) > MaxThirdPartyVSAs:
		return fmt.Errorf("%w: at most %d third_party_vsas", ErrBadRequest, MaxThirdPartyVSAs)
	}
	return nil
}

// audit adds the tally to a decision's audit attributes, when the request
// carried third-party summaries.
func (t thirdPartyTally) audit(attrs map[string]string) {
	if t.verified+t.rejected == 0 {
		return
	}
	attrs["third_party_vsas_verified"] = strconv.Itoa(t.verified)
	attrs["third_party_vsas_rejected"] = strconv.Itoa(t.rejected)
}
