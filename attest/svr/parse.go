package svr

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/internal/strictjson"
)

// schema knows the predicate's member names, so a member spelt like one in
// another case is refused wherever the predicate's own objects have it.
var schema = strictjson.SchemaOf(reflect.TypeFor[predicateJSON]())

// FromStatement reads the result of a parsed in-toto Statement (as
// attest.ParseStatement or a verify.Result gives it). Its predicateType
// must be PredicateType (ErrPredicateType otherwise).
//
// FromStatement verifies nothing and does not look at the subjects: a
// Result is evidence about an artifact only when the Statement verified as
// signed by an identity the consumer accepts for verifier.id and its
// subject digest is the artifact's.
func FromStatement(st *attest.Statement) (*Result, error) {
	if st == nil {
		return nil, fieldErr("predicateType", ErrMissingField, "no statement")
	}
	if st.PredicateType != PredicateType {
		return nil, fieldErr("predicateType", ErrPredicateType, "%q", quote(st.PredicateType))
	}
	return ParsePredicate(st.Predicate)
}

// ParsePredicate strictly reads one SVR v0.1 predicate object. It refuses
// input larger than MaxSize, an object of more members or arrays of more
// elements than its size allows (ErrTooLarge), invalid UTF-8, anything but
// one JSON object, repeated members and members spelt like the
// specification's in another case (at any depth), null anywhere, a member
// of the predicate or of its verifier that is neither the specification's
// (verifier.policy included) nor an extension named by an absolute URI
// (ErrUnknownField), values of the wrong JSON type, a timeCreated that is not RFC 3339, and every rule
// of [Result.Validate]. Errors are [*FieldError]s wrapping ErrInvalid.
//
// verifier.policy is read as an in-toto ResourceDescriptor by attest's
// rules; its unknown members are ignored, as the in-toto specification
// requires of descriptors.
func ParsePredicate(b []byte) (*Result, error) {
	if len(b) > MaxSize {
		return nil, fieldErr("predicate", ErrTooLarge, "%d bytes, limit %d", len(b), MaxSize)
	}
	if !utf8.Valid(b) {
		return nil, fieldErr("predicate", ErrMalformed, "not valid UTF-8")
	}
	if err := schema.CheckBounded(b); errors.Is(err, strictjson.ErrTooManyElements) {
		return nil, fieldErr("predicate", ErrTooLarge, "%w", err)
	} else if err != nil {
		return nil, fieldErr("predicate", ErrMalformed, "%w", err)
	}
	if strictjson.HasNull(b) {
		return nil, fieldErr("predicate", ErrMalformed, "null is not allowed")
	}
	top, err := object("predicate", b, "verifier", "timeCreated", "properties")
	if err != nil {
		return nil, err
	}
	r := &Result{}
	if raw, ok := top["verifier"]; ok {
		v, err := object("verifier", raw, "id", "policy")
		if err != nil {
			return nil, err
		}
		if err := decode("verifier.id", v["id"], &r.Verifier.ID); err != nil {
			return nil, err
		}
		if raw, ok := v["policy"]; ok {
			var rd attest.ResourceDescriptor
			if err := json.Unmarshal(raw, &rd); err != nil || !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
				return nil, fieldErr("verifier.policy", ErrMalformed, "not a resource descriptor")
			}
			r.Verifier.Policy = &rd
		}
	}
	var ts string
	if err := decode("timeCreated", top["timeCreated"], &ts); err != nil {
		return nil, err
	}
	if ts != "" {
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return nil, fieldErr("timeCreated", ErrBadValue, "%q is not an RFC 3339 time", quote(ts))
		}
		r.TimeCreated = t.UTC()
	}
	if raw, ok := top["properties"]; ok {
		if err := decode("properties", raw, &r.Properties); err != nil {
			return nil, err
		}
		if r.Properties == nil {
			r.Properties = []string{}
		}
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return r, nil
}

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
		if !slices.Contains(known, k) && !uriForm.MatchString(k) {
			return nil, fieldErr(field+"."+quote(k), ErrUnknownField, "")
		}
	}
	return m, nil
}

// decode reads raw (absent: nil) into dst.
func decode(field string, raw json.RawMessage, dst any) error {
	if raw == nil {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fieldErr(field, ErrMalformed, "wrong JSON type")
	}
	return nil
}
