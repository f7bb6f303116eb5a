package attest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ztci/ztci/attest/inventory"
)

// ErrInvalidPredicate: a predicate is missing required fields or is not what
// its predicate type claims. Finer sentinels below wrap it.
var ErrInvalidPredicate = errors.New("attest: invalid predicate")

// Predicate is the body of a Statement together with its type URI.
//
// PredicateJSON returns the predicate as one JSON object, or an error wrapping
// ErrInvalidPredicate when the value is not a valid predicate of its type. It
// must be safe to call more than once. Implementations in this package:
// *Provenance, *TestResult, SBOM (SPDX, CycloneDX) and Custom.
type Predicate interface {
	PredicateType() string
	PredicateJSON() (json.RawMessage, error)
}

// NewStatement builds and validates a v1 Statement binding pred to subjects.
// The subjects are copied.
func NewStatement(subjects []ResourceDescriptor, pred Predicate) (*Statement, error) {
	if pred == nil {
		return nil, ErrPredicateRequired
	}
	raw, err := pred.PredicateJSON()
	if err != nil {
		return nil, err
	}
	s := &Statement{
		Type:          StatementTypeV1,
		Subject:       append([]ResourceDescriptor(nil), subjects...),
		PredicateType: pred.PredicateType(),
		Predicate:     raw,
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// Custom returns a Predicate of any type from a JSON object. The JSON is
// checked to be one object without duplicate keys (nor keys equal under
// case folding, which ParseStatement refuses) and copied.
//
// A predicate of a type this package reads itself is held to that reader,
// as the typed writers are: SLSA provenance v1 must pass ParseProvenance
// (so it names one source and spells its members exactly), and an SPDX or
// CycloneDX predicate type must carry a document inventory.Packages reads
// ([ErrSBOMFormat]), as [SPDX] and [CycloneDX] require, and a test-result
// predicate must read as a [TestResult] whose PredicateJSON succeeds
// ([ErrTestResult], [ErrTestName], [ErrTestURL]; a member spelt in another
// case, [ErrMalformedJSON]). Custom was the
// way around them: a provenance naming two sources or an SBOM the index
// cannot read was signed, and every deploy gated on it denied; a test
// result could name a test as both passed and failed, hide one behind a
// bidi override, or link an http URL carrying a token.
func Custom(predicateType string, predicate []byte) Predicate {
	return &customPredicate{typ: predicateType, raw: bytes.Clone(predicate)}
}

type customPredicate struct {
	typ string
	raw []byte
}

func (c *customPredicate) PredicateType() string { return c.typ }

func (c *customPredicate) PredicateJSON() (json.RawMessage, error) {
	if c.typ == "" {
		return nil, fmt.Errorf("%w: %w", ErrInvalidPredicate, ErrPredicateTypeRequired)
	}
	if err := checkObject(c.raw); err != nil {
		return nil, err
	}
	if err := checkKnownPredicate(c.typ, c.raw); err != nil {
		return nil, err
	}
	return bytes.Clone(c.raw), nil
}

// checkKnownPredicate runs this package's own reader on a predicate of a
// type it reads: what is signed under that type must read back as the
// typed writer's output does (see [Custom]).
func checkKnownPredicate(typ string, raw []byte) error {
	switch {
	case typ == PredicateSLSAProvenanceV1:
		_, err := ParseProvenance(raw)
		return err
	case typ == PredicateTestResult:
		return checkTestResult(raw)
	case inventory.IsSBOM(typ):
		if _, err := inventory.Packages(typ, raw); err != nil {
			return fmt.Errorf("%w: %w", ErrSBOMFormat, err)
		}
	}
	return nil
}

// ErrPredicateNotJSON: the predicate bytes are not one JSON object.
var ErrPredicateNotJSON = fmt.Errorf("%w: not a JSON object", ErrInvalidPredicate)

func checkObject(b []byte) error {
	t := bytes.TrimSpace(b)
	if len(t) == 0 || t[0] != '{' {
		return ErrPredicateNotJSON
	}
	if len(b) > MaxStatementSize {
		return fmt.Errorf("%w: %w", ErrPredicateNotJSON, ErrTooLarge)
	}
	if err := checkStrictJSON(b); err != nil {
		return fmt.Errorf("%w: %w", ErrPredicateNotJSON, err)
	}
	return nil
}

// marshalPredicate encodes v without HTML escaping, as one compact object.
func marshalPredicate(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidPredicate, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
