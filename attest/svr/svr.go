package svr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/ztci/ztci/attest"
)

// PredicateType is the in-toto Simple Verification Result v0.1 predicate
// type this package writes and reads.
const PredicateType = "https://in-toto.io/attestation/svr/v0.1"

// MaxSize bounds the predicate (or Statement) this package reads.
const MaxSize = 1 << 20

// AnnotationPolicyRevision is the annotation of the verifier's policy
// descriptor that carries the revision of the policy that decided, as in
// attest/vsa.
const AnnotationPolicyRevision = "ztci.dev/policy-revision"

// PropertyAllowed is the property ztci writes when the policy allowed with
// no violation (see [FromDecision]).
const PropertyAllowed = "ZTCI_POLICY_ALLOWED"

// Verifier identifies who verified. ID is a URI. Policy, optional, is the
// specification's suggested extension naming the policy the verifier
// applied: an in-toto ResourceDescriptor, with the policy revision in the
// AnnotationPolicyRevision annotation.
type Verifier struct {
	ID     string
	Policy *attest.ResourceDescriptor
}

// Result is one SVR predicate: who verified, when, and the properties the
// subject passed.
type Result struct {
	Verifier    Verifier
	TimeCreated time.Time
	// Properties are the passing properties, e.g. "SLSA_BUILD_LEVEL_3" or
	// a ztci control id. Never nil in a parsed result; empty means none
	// passed.
	Properties []string
}

type predicateJSON struct {
	Verifier    verifierJSON `json:"verifier"`
	TimeCreated string       `json:"timeCreated"`
	Properties  []string     `json:"properties"`
}

type verifierJSON struct {
	ID     string                     `json:"id"`
	Policy *attest.ResourceDescriptor `json:"policy,omitempty"`
}

// PolicyRevision is the verifier policy's AnnotationPolicyRevision
// annotation when it is a string, otherwise "".
func (r *Result) PolicyRevision() string {
	if r.Verifier.Policy == nil {
		return ""
	}
	s, _ := r.Verifier.Policy.Annotations[AnnotationPolicyRevision].(string)
	return s
}

// Has reports whether the result lists property p.
func (r *Result) Has(p string) bool { return slices.Contains(r.Properties, p) }

var (
	uriForm = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.\-_]*:[^\x00-\x20\x7f]+$`)
	// property is ztci's reading of "string": printable, no white space,
	// at most 256 bytes — properties are labels a consumer compares
	// exactly, and a space or control character in one is a mistake or a
	// trick.
	property = regexp.MustCompile(`^[^\x00-\x20\x7f\x{85}\x{a0}\x{2028}\x{2029}]{1,256}$`)
)

// Validate checks r: verifier.id an absolute URI, a valid policy
// descriptor if any, timeCreated set and within RFC 3339's years,
// properties present, each a label without white space or control
// characters and none twice. Errors are [*FieldError]s wrapping ErrInvalid.
func (r *Result) Validate() error {
	switch {
	case r.Verifier.ID == "":
		return fieldErr("verifier.id", ErrMissingField, "")
	case !uriForm.MatchString(r.Verifier.ID):
		return fieldErr("verifier.id", ErrBadValue, "%q is not an absolute URI", quote(r.Verifier.ID))
	}
	if p := r.Verifier.Policy; p != nil {
		if err := p.Validate(); err != nil {
			return fieldErr("verifier.policy", ErrBadValue, "%w", err)
		}
	}
	if r.TimeCreated.IsZero() {
		return fieldErr("timeCreated", ErrMissingField, "")
	}
	if y := r.TimeCreated.UTC().Year(); y < 1 || y > 9999 {
		return fieldErr("timeCreated", ErrBadValue, "year %d is outside RFC 3339", y)
	}
	if r.Properties == nil {
		return fieldErr("properties", ErrMissingField, "")
	}
	for i, p := range r.Properties {
		f := "properties[" + strconv.Itoa(i) + "]"
		if !property.MatchString(p) {
			return fieldErr(f, ErrBadValue, "%q is empty, too long or holds white space or control characters", quote(p))
		}
		if slices.Contains(r.Properties[:i], p) {
			return fieldErr(f, ErrBadValue, "%q listed twice", quote(p))
		}
	}
	return nil
}

// Predicate returns r as an attest.Predicate, for attest.NewStatement with
// the verified artifact's digest as subject. r is copied; PredicateJSON
// validates it and writes timeCreated in UTC.
func Predicate(r Result) attest.Predicate { return &predicate{r: clone(r)} }

type predicate struct{ r Result }

func (p *predicate) PredicateType() string { return PredicateType }

func (p *predicate) PredicateJSON() (json.RawMessage, error) {
	r := p.r
	if err := r.Validate(); err != nil {
		return nil, err
	}
	out := predicateJSON{
		Verifier:    verifierJSON{ID: r.Verifier.ID, Policy: r.Verifier.Policy},
		TimeCreated: r.TimeCreated.UTC().Format(time.RFC3339Nano),
		Properties:  r.Properties,
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	// Validate checks the model, not its encoding: an annotation map of
	// the policy descriptor with "k" beside "K", or a nil value written
	// as null, passed it and was written, though ParsePredicate refuses
	// both. Only what this package reads back is written.
	if _, err := ParsePredicate(b); err != nil {
		return nil, err
	}
	return b, nil
}

// Decision is what an SVR records of one policy decision (a gate's, or a
// policy.Decision with its context). It is a plain struct so that this
// package links no policy engine.
type Decision struct {
	// Allowed is the effective verdict; Rules are the rule ids of the
	// decision's violations. Only an allow without violations passes the
	// policy: an allow in a warn or dry-run mode that reported violations
	// does not.
	Allowed bool
	Rules   []string
	// PolicyURI names the policy that decided and PolicyRevision its
	// revision; either may be empty. With a revision and no URI the
	// descriptor's URI is "urn:ztci:policy".
	PolicyURI      string
	PolicyRevision string
	// Time is when the decision was made (required).
	Time time.Time
	// Passed are further properties the decision established, e.g. the
	// ids of the controls a compliance report shows as passed.
	Passed []string
}

// FromDecision builds the SVR of d by the verifier verifierID. Its
// properties are [PropertyAllowed] when d allowed with no violation, then
// d.Passed in order; a denied decision yields an SVR with no passing
// property of the policy (an SVR lists only what passed). The policy, when
// d names one, is the verifier's policy descriptor. d.Passed may not hold
// PropertyAllowed. The Result is validated; errors are [*FieldError]s
// wrapping ErrInvalid.
func FromDecision(verifierID string, d Decision) (Result, error) {
	r := Result{Verifier: Verifier{ID: verifierID}, TimeCreated: d.Time.UTC(), Properties: []string{}}
	if d.PolicyURI != "" || d.PolicyRevision != "" {
		p := &attest.ResourceDescriptor{URI: d.PolicyURI}
		if p.URI == "" {
			p.URI = "urn:ztci:policy"
		}
		if d.PolicyRevision != "" {
			p.Annotations = map[string]any{AnnotationPolicyRevision: d.PolicyRevision}
		}
		r.Verifier.Policy = p
	}
	// PropertyAllowed is FromDecision's to write: a Passed entry spelling
	// it (a control id from a custom catalog, say) would make a denied
	// decision's SVR read as allowed.
	for i, p := range d.Passed {
		if p == PropertyAllowed {
			return Result{}, fieldErr("passed["+strconv.Itoa(i)+"]", ErrBadValue, "%q is reserved for an allow without violations", PropertyAllowed)
		}
	}
	if d.Allowed && len(d.Rules) == 0 {
		r.Properties = append(r.Properties, PropertyAllowed)
	}
	r.Properties = append(r.Properties, d.Passed...)
	if err := r.Validate(); err != nil {
		return Result{}, err
	}
	return r, nil
}

func clone(r Result) Result {
	if p := r.Verifier.Policy; p != nil {
		c := *p
		c.Digest = maps.Clone(p.Digest)
		c.Content = bytes.Clone(p.Content)
		c.Annotations = maps.Clone(p.Annotations)
		r.Verifier.Policy = &c
	}
	r.Properties = slices.Clone(r.Properties)
	return r
}
