package vsa

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/internal/clip"
)

// PredicateType is the SLSA Verification Summary Attestation v1 predicate
// type this package writes and reads.
const PredicateType = "https://slsa.dev/verification_summary/v1"

// MaxSize bounds the predicate (or Statement) this package reads.
const MaxSize = 1 << 20

// AnnotationPolicyRevision is the policy descriptor annotation that carries
// the revision of the policy that decided (policy.Decision.Revision), so a
// consumer can accept named revisions; see [Summary.PolicyRevision].
const AnnotationPolicyRevision = "ztci.dev/policy-revision"

// Annotations ztci writes on each inputAttestations entry, so that a
// consumer can apply its own revocations and its own policy to what the
// verifier relied on. Third-party summaries do not carry them.
//
//   - AnnotationPredicateType: the attestation's predicate type (a string).
//   - AnnotationSigner, AnnotationKeyHint: the certificate identity (SAN)
//     or the key that signed the bundle (strings; absent when unknown).
//     The gate writes a key as the verify.KeyFingerprint of the key that
//     verified the bundle, never the hint the bundle chose (which is not
//     signed), so a consumer revokes and counts keys by it.
//   - AnnotationBuilder: for SLSA provenance, the builder id (a string).
//   - AnnotationLeases: for secrets provenance, the lease id of every
//     credential the build received (an array of strings; empty when it
//     received none). A consumer that checks leases must not rely on a
//     secrets provenance input without it.
//   - AnnotationPolicyInput: the attestation as the verifier's policy read
//     it (a JSON object: the encoding of a policy.Attestation, without the
//     raw predicate), so that a consumer can evaluate its own rules on the
//     same facts.
const (
	AnnotationPredicateType = "ztci.dev/predicate-type"
	AnnotationSigner        = "ztci.dev/signer"
	AnnotationKeyHint       = "ztci.dev/key-hint"
	AnnotationBuilder       = "ztci.dev/builder"
	AnnotationLeases        = "ztci.dev/leases"
	AnnotationPolicyInput   = "ztci.dev/policy-input"
)

// Result is the verification result: [Passed] or [Failed].
type Result string

// The two results the specification allows.
const (
	Passed Result = "PASSED"
	Failed Result = "FAILED"
)

// Verifier identifies who verified: ID is a URI, Version optionally maps
// component names to versions.
type Verifier struct {
	ID      string
	Version map[string]string
}

// Summary is one VSA predicate: the verifier, when it verified, which
// resource, against which policy, which attestations it relied on, the
// result and the SLSA levels it verified.
type Summary struct {
	Verifier     Verifier
	TimeVerified time.Time
	// ResourceURI identifies the verified resource, e.g. a package URL
	// (pkg:oci/app@sha256%3A…?repository_url=registry.example/app).
	ResourceURI string
	// Policy is what the subject was verified against; URI is required.
	// Revision, when known, rides in the AnnotationPolicyRevision
	// annotation.
	Policy attest.ResourceDescriptor
	// InputAttestations are the attestations relied on; each has a digest.
	InputAttestations []attest.ResourceDescriptor
	Result            Result
	// VerifiedLevels holds at most one level per SLSA track
	// ("SLSA_BUILD_LEVEL_3"), custom values not starting with "SLSA_", and
	// "FAILED" only with Result Failed. Never nil in a parsed summary.
	VerifiedLevels []string
	// DependencyLevels counts transitive dependencies per level.
	DependencyLevels map[string]int
	// SLSAVersion is "<major>.<minor>" with major 1, or empty.
	SLSAVersion string
}

// The predicate's JSON. Member names are the specification's.
type predicateJSON struct {
	Verifier           verifierJSON                `json:"verifier"`
	TimeVerified       string                      `json:"timeVerified"`
	ResourceURI        string                      `json:"resourceUri"`
	Policy             attest.ResourceDescriptor   `json:"policy"`
	InputAttestations  []attest.ResourceDescriptor `json:"inputAttestations,omitempty"`
	VerificationResult Result                      `json:"verificationResult"`
	VerifiedLevels     []string                    `json:"verifiedLevels"`
	DependencyLevels   map[string]int              `json:"dependencyLevels,omitempty"`
	SLSAVersion        string                      `json:"slsaVersion,omitempty"`
}

type verifierJSON struct {
	ID      string            `json:"id"`
	Version map[string]string `json:"version,omitempty"`
}

// PolicyRevision is the revision of the policy the summary names: the
// AnnotationPolicyRevision annotation when it is a string, otherwise
// "sha256:<hex>" of the policy digest, otherwise "".
func (s *Summary) PolicyRevision() string {
	if r, ok := s.Policy.Annotations[AnnotationPolicyRevision].(string); ok && r != "" {
		return r
	}
	if h := s.Policy.Digest[attest.AlgSHA256]; h != "" {
		return attest.AlgSHA256 + ":" + h
	}
	return ""
}

// Validate checks s against the specification's rules (see the package
// documentation); errors are [*FieldError]s wrapping ErrInvalid.
func (s *Summary) Validate() error {
	if err := checkURI("verifier.id", s.Verifier.ID); err != nil {
		return err
	}
	for k := range s.Verifier.Version {
		if k == "" {
			return fieldErr("verifier.version", ErrBadValue, "empty component name")
		}
	}
	if s.TimeVerified.IsZero() {
		return fieldErr("timeVerified", ErrMissingField, "")
	}
	if y := s.TimeVerified.UTC().Year(); y < 1 || y > 9999 {
		return fieldErr("timeVerified", ErrBadValue, "year %d is outside RFC 3339", y)
	}
	if err := checkURI("resourceUri", s.ResourceURI); err != nil {
		return err
	}
	if err := checkURI("policy.uri", s.Policy.URI); err != nil {
		return err
	}
	if err := s.Policy.Validate(); err != nil {
		return fieldErr("policy", ErrBadValue, "%w", err)
	}
	for i, in := range s.InputAttestations {
		f := "inputAttestations[" + strconv.Itoa(i) + "]"
		if len(in.Digest) == 0 {
			return fieldErr(f+".digest", ErrMissingField, "")
		}
		if err := in.Validate(); err != nil {
			return fieldErr(f, ErrBadValue, "%w", err)
		}
	}
	switch s.Result {
	case Passed, Failed:
	case "":
		return fieldErr("verificationResult", ErrMissingField, "")
	default:
		return fieldErr("verificationResult", ErrBadValue, "%q is neither PASSED nor FAILED", clip.String(string(s.Result), 64))
	}
	if err := checkLevels(s.Result, s.VerifiedLevels); err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(s.DependencyLevels)) {
		f := "dependencyLevels." + clip.String(k, 64)
		if k == "" || (len(k) > 5 && k[:5] == "SLSA_" && !slsaLevel.MatchString(k)) || disguisedLevel(k) {
			return fieldErr(f, ErrBadValue, "not a level name")
		}
		if s.DependencyLevels[k] < 0 {
			return fieldErr(f, ErrBadValue, "negative count")
		}
	}
	if s.SLSAVersion != "" && !slsaVersion.MatchString(s.SLSAVersion) {
		return fieldErr("slsaVersion", ErrBadValue, "%q is not 1.<minor>", clip.String(s.SLSAVersion, 64))
	}
	return nil
}

var (
	// slsaLevel is the form of the specification's SlsaResult values:
	// SLSA_<TRACK>_LEVEL_<n>. Custom values must not start with "SLSA_".
	slsaLevel   = regexp.MustCompile(`^SLSA_([A-Z]+)_LEVEL_(0|[1-9][0-9]{0,2})$`)
	slsaVersion = regexp.MustCompile(`^1\.(0|[1-9][0-9]{0,3})$`)
)

// checkLevels applies the verifiedLevels rules: every entry non-empty, one
// level per SLSA track, no other value starting with "SLSA_", and "FAILED"
// exactly when the result is FAILED and not beside a level.
func checkLevels(r Result, levels []string) error {
	if levels == nil {
		return fieldErr("verifiedLevels", ErrMissingField, "")
	}
	tracks := map[string]bool{}
	failed := false
	for i, l := range levels {
		f := "verifiedLevels[" + strconv.Itoa(i) + "]"
		switch m := slsaLevel.FindStringSubmatch(l); {
		case l == "":
			return fieldErr(f, ErrBadValue, "empty level")
		case l == string(Failed):
			failed = true
		case m != nil:
			if tracks[m[1]] {
				return fieldErr(f, ErrBadValue, "a second level of track %s", m[1])
			}
			tracks[m[1]] = true
		case len(l) >= 5 && l[:5] == "SLSA_":
			return fieldErr(f, ErrBadValue, "%q starts with SLSA_ but is no SLSA level", clip.String(l, 64))
		case disguisedLevel(l):
			return fieldErr(f, ErrBadValue, "%q is spelt like an SLSA level or FAILED, but is neither", clip.String(l, 64))
		}
	}
	if failed && (r != Failed || len(tracks) > 0) {
		return fieldErr("verifiedLevels", ErrBadValue, "FAILED beside a level or with result %s", r)
	}
	return nil
}

// disguisedLevel reports whether a custom level (one that is neither an
// SLSA level nor "FAILED") is not one printable line without surrounding
// space, or reads as an SLSA level or FAILED once case is folded
// ("slsa_build_level_3", "Failed", "ſlsa_…"). The specification reserves
// the "SLSA_" prefix; a reader that folds case or trims (a policy rule,
// a person reading a report) would otherwise take such a custom value for
// the level or the failure it imitates, though no track rule (one level
// per track, FAILED only with a FAILED result) was applied to it.
func disguisedLevel(l string) bool {
	if l == string(Failed) || slsaLevel.MatchString(l) {
		return false
	}
	if !utf8.ValidString(l) || strings.TrimSpace(l) != l || strings.ContainsFunc(l, notPrintable) {
		return true
	}
	u := strings.ToUpper(l)
	return strings.HasPrefix(u, "SLSA_") || u == string(Failed)
}

func notPrintable(r rune) bool { return !unicode.IsPrint(r) }

// checkURI requires an absolute URI: a scheme, a colon and more, without
// spaces or control characters. It is looser than RFC 3986 on purpose:
// real verifiers write schemes with "_" (gce_image://) and authorities
// that are no host:port, which net/url refuses.
func checkURI(field, s string) error {
	if s == "" {
		return fieldErr(field, ErrMissingField, "")
	}
	if !isURI(s) {
		return fieldErr(field, ErrBadValue, "%q is not an absolute URI", clip.String(s, 64))
	}
	return nil
}

var uriForm = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.\-_]*:[^\x00-\x20\x7f]+$`)

// isURI also refuses invalid UTF-8 and every character that is not
// printable beyond ASCII's controls: a C1 control (U+009B, a terminal's
// CSI), a format character (a bidirectional override, a zero-width
// space) or a space other than ASCII's. No URI (RFC 3986) nor IRI
// (RFC 3987, which forbids the bidirectional formatting characters)
// holds one; in a verifier id or a resourceUri it would make a value
// shown to an operator or a policy differ from the one compared.
func isURI(s string) bool {
	return utf8.ValidString(s) && uriForm.MatchString(s) && !strings.ContainsFunc(s, notPrintable)
}

// Predicate returns s as an attest.Predicate, for attest.NewStatement with
// the verified artifact's digest as subject. s is copied; PredicateJSON
// validates it (see [Summary.Validate]) and writes timeVerified in UTC.
func Predicate(s Summary) attest.Predicate {
	return &predicate{s: clone(s)}
}

type predicate struct{ s Summary }

func (p *predicate) PredicateType() string { return PredicateType }

func (p *predicate) PredicateJSON() (json.RawMessage, error) {
	s := p.s
	if err := s.Validate(); err != nil {
		return nil, err
	}
	out := predicateJSON{
		Verifier:           verifierJSON{ID: s.Verifier.ID, Version: s.Verifier.Version},
		TimeVerified:       s.TimeVerified.UTC().Format(time.RFC3339Nano),
		ResourceURI:        s.ResourceURI,
		Policy:             s.Policy,
		InputAttestations:  s.InputAttestations,
		VerificationResult: s.Result,
		VerifiedLevels:     s.VerifiedLevels,
		DependencyLevels:   s.DependencyLevels,
		SLSAVersion:        s.SLSAVersion,
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	// Validate checks the model, not its encoding: an annotation map of
	// the policy or an input attestation with "k" beside "K" passed it
	// and was written, though ParsePredicate refuses it (readers that
	// fold names take the later one). Only what this package reads back
	// is written.
	if _, err := ParsePredicate(b); err != nil {
		return nil, err
	}
	return b, nil
}

// clone deep-copies the maps and slices of s.
func clone(s Summary) Summary {
	s.Verifier.Version = maps.Clone(s.Verifier.Version)
	s.Policy = cloneRD(s.Policy)
	if s.InputAttestations != nil {
		in := make([]attest.ResourceDescriptor, len(s.InputAttestations))
		for i, rd := range s.InputAttestations {
			in[i] = cloneRD(rd)
		}
		s.InputAttestations = in
	}
	s.VerifiedLevels = slices.Clone(s.VerifiedLevels)
	s.DependencyLevels = maps.Clone(s.DependencyLevels)
	return s
}

func cloneRD(rd attest.ResourceDescriptor) attest.ResourceDescriptor {
	rd.Digest = maps.Clone(rd.Digest)
	rd.Content = bytes.Clone(rd.Content)
	rd.Annotations = maps.Clone(rd.Annotations)
	return rd
}
