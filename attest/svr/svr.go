package svr

import (
	"bytes"
	"cmp"
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
// annotation, "" when there is none. In a valid result (every parsed one)
// it is a string of printable characters ([Result.Validate]).
func (r *Result) PolicyRevision() string {
	if r.Verifier.Policy == nil {
		return ""
	}
	s, _ := r.Verifier.Policy.Annotations[AnnotationPolicyRevision].(string)
	return s
}

// Has reports whether the result lists property p.
func (r *Result) Has(p string) bool { return slices.Contains(r.Properties, p) }

var uriForm = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.\-_]*:[^\x00-\x20\x7f]+$`)

// maxRevision is the longest AnnotationPolicyRevision, in bytes: the
// longest revision a ztci policy has (policy.MaxRevisionBytes).
const maxRevision = 512

// validRevision is what the policy package allows of a revision: 1 to
// maxRevision bytes of printable UTF-8 (no control, line break,
// bidirectional override, zero-width or format character; the ASCII
// space is the only space). A revision reaches the consumer's logs and
// its comparison with the revision it expects: a number, an object or a
// "" in its place read as no revision at all.
func validRevision(s string) bool {
	if s == "" || len(s) > maxRevision || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// maxProperty is the longest property, in bytes.
const maxProperty = 256

// validProperty is ztci's reading of "string": 1 to 256 bytes of UTF-8
// with no invisible character — properties are labels a consumer compares
// exactly, and a space, control or zero-width character in one is a
// mistake or a trick ("ZTCI_POLICY_ALLOWED\u200b" reads to a person as
// the allow it is not).
func validProperty(p string) bool {
	return p != "" && len(p) <= maxProperty && visible(p)
}

// visible reports whether s is valid UTF-8 without white space (Unicode's,
// not only ASCII's), control characters (Cc: C0, DEL, C1) or format
// characters (Cf: zero-width characters, bidirectional controls, soft
// hyphen, byte order mark, tags), none of which a reader sees as written.
func visible(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return false
		}
	}
	return true
}

// smallRepeatCheck is the count of properties up to which firstRepeat
// compares each with every earlier one instead of sorting.
const smallRepeatCheck = 32

// firstRepeat returns the index of the first string of ss equal to an
// earlier one, or -1. It sorts (O(n log n)): comparing each with every
// earlier one cost half a minute of CPU for a predicate of MaxSize bytes
// of short properties.
func firstRepeat(ss []string) int { return firstRepeatFunc(ss, strings.Compare) }

func firstRepeatFunc(ss []string, compare func(a, b string) int) int {
	if len(ss) <= smallRepeatCheck {
		for i := range ss {
			for j := range i {
				if compare(ss[i], ss[j]) == 0 {
					return i
				}
			}
		}
		return -1
	}
	idx := make([]int, len(ss))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Or(compare(ss[a], ss[b]), cmp.Compare(a, b)) })
	// Equal strings are adjacent, in input order: each later one of a run
	// repeats an earlier one, and the first repeat is the least of them.
	first := -1
	for k := 1; k < len(idx); k++ {
		if (first < 0 || idx[k] < first) && compare(ss[idx[k]], ss[idx[k-1]]) == 0 {
			first = idx[k]
		}
	}
	return first
}

// Validate checks r: verifier.id an absolute URI, a valid policy
// descriptor if any (its AnnotationPolicyRevision, if any, a string of 1
// to 512 bytes of printable characters, the ASCII space the only space),
// timeCreated set and within RFC 3339's years, properties present, each a
// label of at most 256 bytes without white space, control or format
// characters (Unicode's: an em space, a C1 control, a zero-width space or
// a bidi override as much as an ASCII space; verifier.id holds none
// either) and none twice. Errors are [*FieldError]s wrapping ErrInvalid.
func (r *Result) Validate() error {
	switch {
	case r.Verifier.ID == "":
		return fieldErr("verifier.id", ErrMissingField, "")
	case !uriForm.MatchString(r.Verifier.ID) || !visible(r.Verifier.ID):
		return fieldErr("verifier.id", ErrBadValue, "%q is not an absolute URI of visible characters", quote(r.Verifier.ID))
	}
	if p := r.Verifier.Policy; p != nil {
		if err := p.Validate(); err != nil {
			return fieldErr("verifier.policy", ErrBadValue, "%w", err)
		}
		if v, ok := p.Annotations[AnnotationPolicyRevision]; ok {
			if s, isString := v.(string); !isString || !validRevision(s) {
				return fieldErr("verifier.policy.annotations."+AnnotationPolicyRevision, ErrBadValue,
					"not a string of 1 to %d printable bytes", maxRevision)
			}
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
		if !validProperty(p) {
			return fieldErr("properties["+strconv.Itoa(i)+"]", ErrBadValue,
				"%q is empty, over %d bytes or holds white space, control or format characters", quote(p), maxProperty)
		}
	}
	if i := firstRepeat(r.Properties); i >= 0 {
		return fieldErr("properties["+strconv.Itoa(i)+"]", ErrBadValue, "%q listed twice", quote(r.Properties[i]))
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
