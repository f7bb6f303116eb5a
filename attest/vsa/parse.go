package vsa

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/strictjson"
)

// schema knows the predicate's member names, so a member spelt like one in
// another case is refused wherever the predicate's own objects have it.
var schema = strictjson.SchemaOf(reflect.TypeFor[predicateJSON]())

// FromStatement reads the summary of a parsed in-toto Statement (as
// attest.ParseStatement or a verify.Result gives it). Its predicateType
// must be PredicateType (ErrPredicateType otherwise).
//
// FromStatement does not verify anything and does not look at the
// Statement's subjects: a summary is evidence about an artifact only when
// the Statement was verified as signed by the verifier's identity and its
// subject digest is the artifact's.
func FromStatement(st *attest.Statement) (*Summary, error) {
	if st == nil {
		return nil, fieldErr("predicateType", ErrMissingField, "no statement")
	}
	if st.PredicateType != PredicateType {
		return nil, fieldErr("predicateType", ErrPredicateType, "%q", clip.String(st.PredicateType, 64))
	}
	return ParsePredicate(st.Predicate)
}

// ParsePredicate strictly reads one VSA v1 predicate object. It rejects
// input larger than MaxSize, an object of more members than its size allows
// (ErrTooLarge), invalid UTF-8, anything but one JSON object,
// repeated members and members spelt like the specification's in another
// case (at any depth), a member that is neither a field of the
// specification nor an extension named by an absolute URI (ErrUnknownField),
// values of the wrong JSON type, non-integer counts, and every rule of
// [Summary.Validate]. Errors are [*FieldError]s wrapping ErrInvalid.
//
// The policy and inputAttestations entries are in-toto ResourceDescriptors,
// validated by attest's rules; their unknown members are ignored as the
// in-toto specification requires.
func ParsePredicate(b []byte) (*Summary, error) {
	if len(b) > MaxSize {
		return nil, fieldErr("predicate", ErrTooLarge, "%d bytes, limit %d", len(b), MaxSize)
	}
	if !utf8.Valid(b) {
		return nil, fieldErr("predicate", ErrMalformed, "not valid UTF-8")
	}
	if err := schema.CheckBounded(b); err != nil {
		return nil, fieldErr("predicate", ErrMalformed, "%w", err)
	}
	top, err := object("predicate", b, "verifier", "timeVerified", "resourceUri", "policy", "inputAttestations",
		"verificationResult", "verifiedLevels", "dependencyLevels", "slsaVersion")
	if err != nil {
		return nil, err
	}
	s := &Summary{}
	if raw, ok := top["verifier"]; ok {
		v, err := object("verifier", raw, "id", "version")
		if err != nil {
			return nil, err
		}
		if err := decode("verifier.id", v["id"], &s.Verifier.ID); err != nil {
			return nil, err
		}
		if err := decode("verifier.version", v["version"], &s.Verifier.Version); err != nil {
			return nil, err
		}
		if len(s.Verifier.Version) == 0 {
			s.Verifier.Version = nil // {} and absent mean the same
		}
	}
	var ts string
	if err := decode("timeVerified", top["timeVerified"], &ts); err != nil {
		return nil, err
	}
	if ts != "" {
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil || !rfc3339.MatchString(ts) {
			return nil, fieldErr("timeVerified", ErrBadValue, "%q is not an RFC 3339 time", clip.String(ts, 64))
		}
		s.TimeVerified = t.UTC()
	}
	if err := decode("resourceUri", top["resourceUri"], &s.ResourceURI); err != nil {
		return nil, err
	}
	if raw, ok := top["policy"]; ok {
		rd, err := descriptor("policy", raw)
		if err != nil {
			return nil, err
		}
		s.Policy = rd
	}
	inputs, err := descriptors("inputAttestations", top["inputAttestations"])
	if err != nil {
		return nil, err
	}
	s.InputAttestations = inputs
	if err := decode("verificationResult", top["verificationResult"], &s.Result); err != nil {
		return nil, err
	}
	if err := decode("verifiedLevels", top["verifiedLevels"], &s.VerifiedLevels); err != nil {
		return nil, err
	}
	if err := dependencyLevels(top["dependencyLevels"], s); err != nil {
		return nil, err
	}
	if err := decode("slsaVersion", top["slsaVersion"], &s.SLSAVersion); err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// rfc3339 is RFC 3339's date-time as this package reads it: time.Parse
// also takes a comma before the fraction, which is not RFC 3339 and
// which other readers refuse.
var rfc3339 = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`)

// object decodes one JSON object and refuses a member that is not in known
// and not an extension named by an absolute URI.
func object(field string, raw []byte, known ...string) (map[string]json.RawMessage, error) {
	if strictjson.TooManyMembers(raw) {
		return nil, fieldErr(field, ErrTooLarge, "more members than its size allows")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, fieldErr(field, ErrMalformed, "not a JSON object")
	}
	for k := range m {
		if !contains(known, k) && !extension(k) {
			return nil, fieldErr(field+"."+clip.String(k, 64), ErrUnknownField, "")
		}
	}
	return m, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// extension reports whether a member name is a URI, the form the
// specification allows producers' extension fields to take.
func extension(k string) bool { return isURI(k) }

// decode reads raw (absent: nil) into dst; a JSON null leaves dst zero.
func decode(field string, raw json.RawMessage, dst any) error {
	if raw == nil {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fieldErr(field, ErrMalformed, "wrong JSON type")
	}
	return nil
}

// descriptor decodes one ResourceDescriptor. The whole predicate has passed
// the schema check, which refuses repeated members and the descriptor's
// member names in another case, so encoding/json's case-insensitive
// matching cannot misread it here; Validate applies attest's rules.
func descriptor(field string, raw json.RawMessage) (attest.ResourceDescriptor, error) {
	var rd attest.ResourceDescriptor
	if err := json.Unmarshal(raw, &rd); err != nil {
		return attest.ResourceDescriptor{}, fieldErr(field, ErrMalformed, "not a resource descriptor")
	}
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return attest.ResourceDescriptor{}, fieldErr(field, ErrMalformed, "not a resource descriptor")
	}
	if err := rd.Validate(); err != nil {
		return attest.ResourceDescriptor{}, fieldErr(field, ErrBadValue, "%w", err)
	}
	return rd, nil
}

// descriptors decodes an array of ResourceDescriptors (absent or null:
// none) in one pass, the bulk of a summary, and validates each. When that
// pass fails, the array is read again element by element only to name the
// one at fault: what is accepted is what the one pass accepts.
func descriptors(field string, raw json.RawMessage) ([]attest.ResourceDescriptor, error) {
	var rds []*attest.ResourceDescriptor
	if err := decode(field, raw, &rds); err != nil {
		return nil, elementErr(field, raw, err)
	}
	var out []attest.ResourceDescriptor // nil when there are none
	if len(rds) > 0 {
		out = make([]attest.ResourceDescriptor, 0, len(rds))
	}
	for i, rd := range rds {
		at := field + "[" + strconv.Itoa(i) + "]"
		if rd == nil {
			return nil, fieldErr(at, ErrMalformed, "not a resource descriptor")
		}
		if err := rd.Validate(); err != nil {
			return nil, fieldErr(at, ErrBadValue, "%w", err)
		}
		out = append(out, *rd)
	}
	return out, nil
}

// elementErr is err of a failed descriptors pass, naming the element that
// does not decode when one can be found.
func elementErr(field string, raw json.RawMessage, err error) error {
	var elems []json.RawMessage
	if json.Unmarshal(raw, &elems) != nil {
		return err
	}
	for i, e := range elems {
		if _, eerr := descriptor(field+"["+strconv.Itoa(i)+"]", e); eerr != nil {
			return eerr
		}
	}
	return err
}

// dependencyLevels reads the counts as JSON integers: a string, 1.0, 1e3
// and counts beyond the int range are refused, not converted or rounded.
func dependencyLevels(raw json.RawMessage, s *Summary) error {
	var m map[string]json.RawMessage
	if err := decode("dependencyLevels", raw, &m); err != nil || len(m) == 0 {
		return err // {} and absent both mean no counts
	}
	s.DependencyLevels = make(map[string]int, len(m))
	for k, n := range m {
		v, err := strconv.Atoi(string(n))
		if err != nil {
			return fieldErr("dependencyLevels."+clip.String(k, 64), ErrBadValue, "%s is not an integer count", clip.String(string(n), 64))
		}
		s.DependencyLevels[k] = v
	}
	return nil
}
