package attest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"unicode/utf8"

	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/strictjson"
)

// Statement type and predicate type URIs.
const (
	// StatementTypeV1 is the _type this package writes.
	StatementTypeV1 = "https://in-toto.io/Statement/v1"
	// StatementTypeV01 is the legacy _type, with the same fields, that
	// slsa-github-generator still produces. It is accepted when reading, as
	// the upstream in-toto library accepts it, and never written.
	StatementTypeV01 = "https://in-toto.io/Statement/v0.1"
	// PayloadType is the DSSE payloadType of an in-toto Statement.
	PayloadType = "application/vnd.in-toto+json"

	PredicateSLSAProvenanceV1 = "https://slsa.dev/provenance/v1"
	PredicateSPDX             = "https://spdx.dev/Document"
	PredicateCycloneDX        = "https://cyclonedx.org/bom"
	PredicateTestResult       = "https://in-toto.io/attestation/test-result/v0.1"
)

// MaxStatementSize bounds the input ParseStatement reads.
const MaxStatementSize = 64 << 20

// ResourceDescriptor is the in-toto v1 ResourceDescriptor. Its JSON form is
// the spec's; Content is base64 in JSON as the spec requires.
type ResourceDescriptor struct {
	Name             string         `json:"name,omitempty"`
	URI              string         `json:"uri,omitempty"`
	Digest           DigestSet      `json:"digest,omitempty"`
	Content          []byte         `json:"content,omitempty"`
	DownloadLocation string         `json:"downloadLocation,omitempty"`
	MediaType        string         `json:"mediaType,omitempty"`
	Annotations      map[string]any `json:"annotations,omitempty"`
}

// Validate applies the ResourceDescriptor rules: at least one of name, uri or
// digest, and every digest entry well-formed (see DigestSet.Validate).
func (r *ResourceDescriptor) Validate() error {
	if r.Name == "" && r.URI == "" && len(r.Digest) == 0 {
		return ErrDescriptorRequired
	}
	if err := r.Digest.Validate(); err != nil {
		return &statementError{where: "digest", err: err}
	}
	return nil
}

// Statement is an in-toto v1 Statement. Its encoding/json form is exactly the
// spec's (_type, subject, predicateType, predicate); the predicate is kept as
// raw JSON so any predicate type round-trips byte for byte.
type Statement struct {
	Type          string               `json:"_type"`
	Subject       []ResourceDescriptor `json:"subject"`
	PredicateType string               `json:"predicateType"`
	Predicate     json.RawMessage      `json:"predicate"`
}

// Validate applies the in-toto v1 Statement rules and returns an error
// wrapping ErrInvalidStatement and a finer sentinel:
//   - _type must be StatementTypeV1 or the legacy StatementTypeV01, whose
//     fields are the same (ErrStatementType otherwise);
//   - at least one subject (ErrSubjectRequired), each a valid
//     ResourceDescriptor with a digest (ErrDigestRequired, ErrInvalidDigest);
//   - a predicateType (ErrPredicateTypeRequired);
//   - a predicate that is a JSON object (ErrPredicateRequired when missing or
//     null, ErrMalformedJSON otherwise). The spec text calls the predicate
//     optional; the upstream library and its test vectors require it, and so
//     do we (use {} for an empty predicate).
func (s *Statement) Validate() error {
	if s == nil {
		return ErrSubjectRequired
	}
	if s.Type != StatementTypeV1 && s.Type != StatementTypeV01 {
		return fmt.Errorf("%w: got %q, want %q", ErrStatementType, clip.String(s.Type, 80), StatementTypeV1)
	}
	if len(s.Subject) == 0 {
		return ErrSubjectRequired
	}
	for i := range s.Subject {
		rd := &s.Subject[i]
		if err := rd.Validate(); err != nil {
			return fmt.Errorf("subject[%d]: %w", i, err)
		}
		if len(rd.Digest) == 0 {
			return fmt.Errorf("%w: subject[%d]", ErrDigestRequired, i)
		}
	}
	if s.PredicateType == "" {
		return ErrPredicateTypeRequired
	}
	p := bytes.TrimSpace(s.Predicate)
	if len(p) == 0 || bytes.Equal(p, []byte("null")) {
		return ErrPredicateRequired
	}
	if p[0] != '{' || !json.Valid(p) {
		return fmt.Errorf("%w: predicate is not a JSON object", ErrMalformedJSON)
	}
	return nil
}

// ParseStatement strictly parses and validates one in-toto v1 Statement.
// Beyond Validate it rejects input larger than MaxStatementSize, invalid
// UTF-8 or JSON, duplicate object keys at any depth (also keys equal under
// case folding, "subject" beside "Subject", which case-insensitive readers
// take the last of), trailing data, and keys that differ from the spec's
// only in case (encoding/json would otherwise match "_TYPE" to _type): each
// field is read by its exact name. Unknown fields are ignored, as the spec
// requires.
func ParseStatement(b []byte) (*Statement, error) {
	if len(b) > MaxStatementSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(b), MaxStatementSize)
	}
	if err := checkStatementJSON(b, statementSchema); err != nil {
		return nil, err
	}
	return decodeStatement(b)
}

// decodeStatement reads and validates the statement b that passed
// ParseStatement's checks.
func decodeStatement(b []byte) (*Statement, error) {
	var top statementMembers
	if !isObject(b) || json.Unmarshal(b, &top) != nil {
		return nil, fmt.Errorf("%w: not a JSON object", ErrMalformedJSON)
	}
	s := &Statement{}
	if err := field(top.Type, "_type", &s.Type); err != nil {
		return nil, err
	}
	if err := field(top.PredicateType, "predicateType", &s.PredicateType); err != nil {
		return nil, err
	}
	var subjects []json.RawMessage
	if err := field(top.Subject, "subject", &subjects); err != nil {
		return nil, err
	}
	for i, raw := range subjects {
		rd, err := parseDescriptor(raw)
		if err != nil {
			return nil, fmt.Errorf("subject[%d]: %w", i, err)
		}
		s.Subject = append(s.Subject, rd)
	}
	if top.Predicate != nil {
		s.Predicate = append(json.RawMessage(nil), top.Predicate...)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// ParseResourceDescriptor strictly parses and validates one ResourceDescriptor
// with the same rules as ParseStatement.
func ParseResourceDescriptor(b []byte) (*ResourceDescriptor, error) {
	if len(b) > MaxStatementSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(b), MaxStatementSize)
	}
	if err := checkStatementJSON(b, descriptorSchema); err != nil {
		return nil, err
	}
	rd, err := parseDescriptor(b)
	if err != nil {
		return nil, err
	}
	if err := rd.Validate(); err != nil {
		return nil, err
	}
	return &rd, nil
}

// statementMembers and descriptorMembers hold the raw members that
// ParseStatement and parseDescriptor read, by exact name: checkBounded has
// refused the names' case variants, so encoding/json's case-insensitive
// matching finds only the names themselves. Unlike a map of every member,
// they keep nothing of the unknown members the spec says to ignore, so
// millions of them cost a scan, not ten times their size in map entries.
type (
	statementMembers struct {
		Type          json.RawMessage `json:"_type"`
		Subject       json.RawMessage `json:"subject"`
		PredicateType json.RawMessage `json:"predicateType"`
		Predicate     json.RawMessage `json:"predicate"`
	}
	descriptorMembers struct {
		Name             json.RawMessage `json:"name"`
		URI              json.RawMessage `json:"uri"`
		Digest           json.RawMessage `json:"digest"`
		Content          json.RawMessage `json:"content"`
		DownloadLocation json.RawMessage `json:"downloadLocation"`
		MediaType        json.RawMessage `json:"mediaType"`
		Annotations      json.RawMessage `json:"annotations"`
	}
)

func parseDescriptor(raw json.RawMessage) (ResourceDescriptor, error) {
	var m descriptorMembers
	if !isObject(raw) || json.Unmarshal(raw, &m) != nil {
		return ResourceDescriptor{}, fmt.Errorf("%w: resource descriptor is not a JSON object", ErrMalformedJSON)
	}
	var rd ResourceDescriptor
	for _, f := range []struct {
		raw  json.RawMessage
		name string
		dst  any
	}{
		{m.Name, "name", &rd.Name},
		{m.URI, "uri", &rd.URI},
		{m.Digest, "digest", &rd.Digest},
		{m.Content, "content", &rd.Content},
		{m.DownloadLocation, "downloadLocation", &rd.DownloadLocation},
		{m.MediaType, "mediaType", &rd.MediaType},
		{m.Annotations, "annotations", &rd.Annotations},
	} {
		if err := field(f.raw, f.name, f.dst); err != nil {
			return ResourceDescriptor{}, err
		}
	}
	return rd, nil
}

// isObject reports whether the JSON value raw is an object: a struct
// decodes from null without an error.
func isObject(raw []byte) bool {
	t := bytes.TrimLeft(raw, " \t\r\n")
	return len(t) > 0 && t[0] == '{'
}

// field decodes raw, the member name (absent: nil), into dst; a missing
// member leaves dst zero.
func field(raw json.RawMessage, name string, dst any) error {
	if raw == nil {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("%w: field %q: wrong type", ErrMalformedJSON, name)
	}
	return nil
}

// checkStrictJSON accepts exactly one JSON value, valid Unicode, with no
// object holding two member names equal under case folding (escapes
// decoded; exact repeats included) and nothing but whitespace after it.
// Statements are read by exact member name, but slsa-verifier and other
// encoding/json readers match names case-insensitively and keep the last:
// "subject" beside "Subject" would name other artifacts to them, so such a
// pair is refused at any depth, as verify refuses it in a bundle's payload.
// A lone variant ("_TYPE") is an unknown member, ignored; ParseStatement
// refuses it after (checkBounded).
func checkStrictJSON(b []byte) error {
	if !utf8.Valid(b) {
		return fmt.Errorf("%w: not valid UTF-8", ErrMalformedJSON)
	}
	var dup *strictjson.MemberError
	switch err := strictjson.Check(b); {
	case errors.As(err, &dup) && dup.Repeated():
		return fmt.Errorf("%w: duplicate key %q", ErrMalformedJSON, clip.String(dup.Name, 80))
	case errors.As(err, &dup):
		return fmt.Errorf("%w: keys %q and %q differ only in case", ErrMalformedJSON, clip.String(dup.Other, 80), clip.String(dup.Name, 80))
	case errors.Is(err, strictjson.ErrNotUnicode):
		return fmt.Errorf("%w: not Unicode text", ErrMalformedJSON)
	case err != nil:
		return fmt.Errorf("%w: not valid JSON", ErrMalformedJSON)
	}
	return nil
}

// The schemas of what ParseStatement and ParseResourceDescriptor read: a
// subject's elements weigh a ResourceDescriptor each in the bounded check.
var (
	statementSchema  = strictjson.SchemaOf(reflect.TypeFor[Statement]())
	descriptorSchema = strictjson.SchemaOf(reflect.TypeFor[ResourceDescriptor]())
)

// checkStatementJSON is checkStrictJSON then checkBounded in one walk of
// b when b passes both: schema.CheckBounded refuses everything Check
// refuses, and more. A refusal is judged again by the two in turn, so that
// it is the one, and says what, it was when they were run one after the
// other (an ambiguous name before ErrTooLarge; a pair of names, not a lone
// variant, where there is one): only a document refused pays for more than
// one walk.
func checkStatementJSON(b []byte, schema *strictjson.Schema) error {
	if utf8.Valid(b) && schema.CheckBounded(b) == nil {
		return nil
	}
	if err := checkStrictJSON(b); err != nil {
		return err
	}
	if err := checkBounded(b, schema); err != nil {
		return err
	}
	// Unreachable: CheckBounded is deterministic. Fail closed all the same.
	return fmt.Errorf("%w: not valid JSON", ErrMalformedJSON)
}

// checkBounded refuses, in b that passed checkStrictJSON, more array
// elements and map members than b's size allows (ErrTooLarge): a signed
// statement of `"subject":[{},{},…]` would otherwise cost encoding/json
// and parseDescriptor some hundred times its size. It also refuses a lone
// case variant of one of the schema's names ("_TYPE", a subject's "Name"),
// which the check stops at: slsa-verifier and other encoding/json readers
// would take it for the name.
func checkBounded(b []byte, schema *strictjson.Schema) error {
	var variant *strictjson.MemberError
	switch err := schema.CheckBounded(b); {
	case errors.Is(err, strictjson.ErrTooManyElements):
		return fmt.Errorf("%w: %w", ErrTooLarge, err)
	case errors.As(err, &variant):
		return fmt.Errorf("%w: key %q differs from %q only in case", ErrMalformedJSON, clip.String(variant.Name, 80), clip.String(variant.Other, 80))
	case err != nil:
		return fmt.Errorf("%w: not valid JSON", ErrMalformedJSON)
	}
	return nil
}
