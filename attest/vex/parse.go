package vex

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/strictjson"
)

// The wire form: pointers tell an absent member from a zero one. Member
// names are the OpenVEX JSON schema's (openvex/spec openvex_json_schema.json)
// plus "supplier" on the document and on components, which go-vex, the
// reference implementation, writes.
type wireDocument struct {
	Context     *string          `json:"@context"`
	ID          *string          `json:"@id"`
	Author      *string          `json:"author"`
	Role        *string          `json:"role"`
	Timestamp   *time.Time       `json:"timestamp"`
	LastUpdated *time.Time       `json:"last_updated"`
	Version     *int             `json:"version"`
	Tooling     *string          `json:"tooling"`
	Supplier    *string          `json:"supplier"`
	Statements  *[]wireStatement `json:"statements"`
}

type wireStatement struct {
	ID                       *string            `json:"@id"`
	Version                  *int               `json:"version"`
	Vulnerability            *wireVulnerability `json:"vulnerability"`
	Timestamp                *time.Time         `json:"timestamp"`
	LastUpdated              *time.Time         `json:"last_updated"`
	Products                 []wireProduct      `json:"products"`
	Status                   *string            `json:"status"`
	Supplier                 *string            `json:"supplier"`
	StatusNotes              *string            `json:"status_notes"`
	Justification            *string            `json:"justification"`
	ImpactStatement          *string            `json:"impact_statement"`
	ActionStatement          *string            `json:"action_statement"`
	ActionStatementTimestamp *time.Time         `json:"action_statement_timestamp"`
}

type wireVulnerability struct {
	ID          *string  `json:"@id"`
	Name        *string  `json:"name"`
	Description *string  `json:"description"`
	Aliases     []string `json:"aliases"`
}

type wireComponent struct {
	ID          *string           `json:"@id"`
	Identifiers map[string]string `json:"identifiers"`
	Hashes      map[string]string `json:"hashes"`
	Supplier    *string           `json:"supplier"`
}

type wireProduct struct {
	wireComponent
	Subcomponents []wireComponent `json:"subcomponents"`
}

var wireSchema = strictjson.SchemaOf(reflect.TypeFor[wireDocument]())

// hashLen is the hex length of each hash name of the spec's Appendix A.
var hashLen = map[string]int{
	"md5": 32, "sha1": 40, "sha-256": 64, "sha-384": 96, "sha-512": 128,
	"sha3-224": 56, "sha3-256": 64, "sha3-384": 96, "sha3-512": 128,
	"blake2s-256": 64, "blake2b-256": 64, "blake2b-512": 128,
}

// Parse reads an OpenVEX v0.2.0 document strictly. b is either an in-toto
// Statement (recognised by its "_type" member, read with
// attest.ParseStatement; its predicateType must be [PredicateType]) or the
// bare document. In a Statement, a VEX statement without products inherits
// the Statement's subjects as its products (each subject's digests as
// hashes, its name as "@id"), as the OpenVEX attestation rules say; in a
// bare document such a statement names nothing.
//
// It refuses more than [MaxSize] bytes; anything but one JSON object; a
// repeated member or a member name in another case at any depth; a member
// the OpenVEX JSON schema does not define; null; a value of the wrong JSON
// type; a missing "@context" (it must be [PredicateType]), "@id", "author",
// "timestamp", "version" (at least 1) or "statements" (at least one); a
// statement without vulnerability name or status; a vulnerability name or
// alias that is not printable ASCII without spaces ("CVE-2026-1 ", a
// Unicode hyphen: ids are compared as strings, and one so spelt would
// name no finding); a status or justification
// outside the spec's enumerations; not_affected without justification or
// impact_statement; affected without action_statement; a product or
// subcomponent with neither "@id" nor identifiers; an identifier type other
// than purl, cpe22, cpe23; a purl (as identifier, or as an "@id" starting
// with "pkg:") that does not parse; a hash name outside the spec's table or
// a hash value that is not hex of its algorithm's length. Errors wrap
// [ErrInvalid] and a finer sentinel; a statement's error is a
// [*StatementError]. Messages quote at most 64 bytes of the input.
//
// Parse verifies nothing. A Document is evidence about an artifact only
// when the Statement carrying it was signed by an identity the verifier
// allows and its subject is the artifact's digest.
func Parse(b []byte) (*Document, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(b), MaxSize)
	}
	// The map below is only to find "_type": decoding a flood of
	// distinct members into it costs some ten times their size.
	if strictjson.TooManyMembers(b) {
		return nil, fmt.Errorf("%w: more members than its size allows", ErrTooLarge)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	if _, ok := top["_type"]; !ok {
		return parseDocument(b, nil)
	}
	st, err := attest.ParseStatement(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return FromStatement(st)
}

// FromStatement reads the OpenVEX document of an in-toto Statement, as
// Parse does for a Statement's JSON.
func FromStatement(st *attest.Statement) (*Document, error) {
	if st == nil {
		return nil, fmt.Errorf("%w: no statement", ErrMissingField)
	}
	if st.PredicateType != PredicateType {
		return nil, fmt.Errorf("%w: predicateType %q, want %q", ErrContext, clip.String(st.PredicateType, 64), PredicateType)
	}
	if len(st.Predicate) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(st.Predicate), MaxSize)
	}
	return parseDocument(st.Predicate, st.Subject)
}

func parseDocument(b []byte, subjects []attest.ResourceDescriptor) (*Document, error) {
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	if err := wireSchema.CheckBounded(b); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if strictjson.HasNull(b) {
		return nil, fmt.Errorf("%w: null is not a value of any field (leave an optional field out)", ErrMalformed)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var w wireDocument
	if err := dec.Decode(&w); err != nil {
		return nil, decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: data after the object", ErrMalformed)
	}
	return w.document(inherited(subjects))
}

func decodeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("%w: %s is a JSON %s, want %s", ErrMalformed, te.Field, te.Value, te.Type)
	}
	const unknown = "json: unknown field "
	if msg := err.Error(); strings.HasPrefix(msg, unknown) {
		return fmt.Errorf("%w: %s", ErrUnknownField, clip.String(msg[len(unknown):], 64))
	}
	return fmt.Errorf("%w: %w", ErrMalformed, err)
}

// inherited are the products a statement without products inherits from
// the Statement's subjects.
func inherited(subjects []attest.ResourceDescriptor) []Product {
	var out []Product
	for _, s := range subjects {
		p := Product{Component: Component{ID: s.Name}}
		for alg, v := range s.Digest {
			if name, ok := hashName[alg]; ok {
				if p.Hashes == nil {
					p.Hashes = map[string]string{}
				}
				p.Hashes[name] = v
			}
		}
		out = append(out, p)
	}
	return out
}

// longInheritedPURL is the length of the first inherited product whose
// "@id" is a package URL longer than MaxPURLLen, or 0.
func longInheritedPURL(inherit []Product) int {
	for _, p := range inherit {
		if len(p.ID) > MaxPURLLen && strings.HasPrefix(p.ID, "pkg:") {
			return len(p.ID)
		}
	}
	return 0
}

func (w *wireDocument) document(inherit []Product) (*Document, error) {
	switch {
	case w.Context == nil:
		return nil, fmt.Errorf("%w: @context is required", ErrMissingField)
	case *w.Context != PredicateType:
		return nil, fmt.Errorf("%w: @context %q, want %q", ErrContext, clip.String(*w.Context, 64), PredicateType)
	case w.ID == nil || strings.TrimSpace(*w.ID) == "":
		return nil, fmt.Errorf("%w: @id is required", ErrMissingField)
	case w.Author == nil || strings.TrimSpace(*w.Author) == "":
		return nil, fmt.Errorf("%w: author is required", ErrMissingField)
	case w.Timestamp == nil || w.Timestamp.IsZero():
		return nil, fmt.Errorf("%w: timestamp is required", ErrMissingField)
	case w.Version == nil:
		return nil, fmt.Errorf("%w: version is required", ErrMissingField)
	case *w.Version < 1:
		return nil, fmt.Errorf("%w: version %d, want at least 1", ErrInvalidValue, *w.Version)
	case w.Statements == nil || len(*w.Statements) == 0:
		return nil, fmt.Errorf("%w: statements is required (at least one)", ErrMissingField)
	}
	for _, t := range []*time.Time{w.Timestamp, w.LastUpdated} {
		if !writable(t) {
			return nil, fmt.Errorf("%w: a time outside years 0000-9999 (UTC)", ErrInvalidValue)
		}
	}
	d := &Document{
		ID: *w.ID, Author: *w.Author, Role: deref(w.Role), Timestamp: w.Timestamp.UTC(),
		LastUpdated: utc(w.LastUpdated), Version: *w.Version, Tooling: deref(w.Tooling), Supplier: deref(w.Supplier),
		Statements: make([]Statement, 0, len(*w.Statements)),
	}
	products := 0
	long := longInheritedPURL(inherit)
	for i := range *w.Statements {
		// Checked before the statement is read: one without products
		// copies every inherited product, which bytes do not bound.
		n := len((*w.Statements)[i].Products)
		if n == 0 {
			n = len(inherit)
			if long > 0 {
				return nil, &StatementError{Index: i, Err: fmt.Errorf("%w: a statement without products inherits a subject named by a package URL of %d bytes, more than %d", ErrTooLarge, long, MaxPURLLen)}
			}
		}
		if products+n > MaxProducts {
			return nil, &StatementError{Index: i, Err: fmt.Errorf("%w: more than %d products in the document (a statement without products counts each of the Statement's %d subjects)", ErrTooLarge, MaxProducts, len(inherit))}
		}
		s, err := (*w.Statements)[i].statement(d.Timestamp, inherit)
		if err != nil {
			return nil, &StatementError{Index: i, Err: err}
		}
		products += len(s.Products)
		d.Statements = append(d.Statements, s)
	}
	return d, nil
}

func (w *wireStatement) statement(docTime time.Time, inherit []Product) (Statement, error) {
	var s Statement
	v := w.Vulnerability
	if v == nil || v.Name == nil || strings.TrimSpace(*v.Name) == "" {
		return s, fmt.Errorf("%w: vulnerability.name is required", ErrMissingField)
	}
	if w.Status == nil {
		return s, fmt.Errorf("%w: status is required", ErrMissingField)
	}
	for _, t := range []*time.Time{w.Timestamp, w.LastUpdated, w.ActionStatementTimestamp} {
		if !writable(t) {
			return s, fmt.Errorf("%w: a time outside years 0000-9999 (UTC)", ErrInvalidValue)
		}
	}
	s = Statement{
		ID: deref(w.ID), Vulnerability: Vulnerability{ID: deref(v.ID), Name: *v.Name, Description: deref(v.Description)},
		Timestamp: docTime, LastUpdated: utc(w.LastUpdated), Status: Status(*w.Status), Supplier: deref(w.Supplier),
		StatusNotes: deref(w.StatusNotes), Justification: Justification(deref(w.Justification)),
		ImpactStatement: deref(w.ImpactStatement), ActionStatement: deref(w.ActionStatement),
		ActionStatementTimestamp: utc(w.ActionStatementTimestamp),
	}
	// A vulnerability id is compared with a finding's as a string (the
	// built-in policy only sets case aside): "CVE-2026-1 " or one spelt
	// with a Unicode hyphen names no finding, and a later "affected"
	// statement so spelt would go unseen while an earlier not_affected
	// one lifts the finding.
	if !plainID(s.Vulnerability.Name) {
		return s, fmt.Errorf("%w: vulnerability.name %q is not an identifier (printable ASCII without spaces)", ErrInvalidValue, clip.String(s.Vulnerability.Name, 64))
	}
	for _, a := range v.Aliases {
		if strings.TrimSpace(a) == "" {
			return s, fmt.Errorf("%w: vulnerability.aliases holds an empty string", ErrInvalidValue)
		}
		if !plainID(a) {
			return s, fmt.Errorf("%w: vulnerability.aliases holds %q, not an identifier (printable ASCII without spaces)", ErrInvalidValue, clip.String(a, 64))
		}
		s.Vulnerability.Aliases = append(s.Vulnerability.Aliases, a)
	}
	if w.Version != nil {
		if *w.Version < 1 {
			return s, fmt.Errorf("%w: version %d, want at least 1", ErrInvalidValue, *w.Version)
		}
		s.Version = *w.Version
	}
	if w.Timestamp != nil {
		if w.Timestamp.IsZero() {
			return s, fmt.Errorf("%w: timestamp is the zero time", ErrInvalidValue)
		}
		s.Timestamp = w.Timestamp.UTC()
	}
	if !s.Status.valid() {
		return s, fmt.Errorf("%w: status %q is not one of not_affected, affected, fixed, under_investigation", ErrInvalidValue, clip.String(*w.Status, 64))
	}
	if w.Justification != nil && !s.Justification.valid() {
		return s, fmt.Errorf("%w: justification %q is not one of the VEX status justifications", ErrInvalidValue, clip.String(*w.Justification, 64))
	}
	switch {
	case s.Status == StatusNotAffected && w.Justification == nil && strings.TrimSpace(s.ImpactStatement) == "":
		return s, fmt.Errorf("%w: not_affected needs a justification or an impact_statement", ErrInvalidValue)
	case s.Status == StatusAffected && strings.TrimSpace(s.ActionStatement) == "":
		return s, fmt.Errorf("%w: affected needs an action_statement", ErrInvalidValue)
	}
	for i, p := range w.Products {
		c, err := p.wireComponent.component()
		if err != nil {
			return s, fmt.Errorf("products[%d]: %w", i, err)
		}
		prod := Product{Component: c}
		for j, sc := range p.Subcomponents {
			c, err := sc.component()
			if err != nil {
				return s, fmt.Errorf("products[%d].subcomponents[%d]: %w", i, j, err)
			}
			prod.Subcomponents = append(prod.Subcomponents, c)
		}
		s.Products = append(s.Products, prod)
	}
	if len(s.Products) == 0 {
		s.Products = append([]Product(nil), inherit...)
	}
	return s, nil
}

func (w *wireComponent) component() (Component, error) {
	c := Component{ID: deref(w.ID), Supplier: deref(w.Supplier)}
	if strings.TrimSpace(c.ID) == "" && len(w.Identifiers) == 0 {
		return c, fmt.Errorf("%w: a component needs an @id or identifiers", ErrMissingField)
	}
	if strings.HasPrefix(c.ID, "pkg:") {
		if _, err := ParsePURL(c.ID); err != nil {
			return c, fmt.Errorf("%w: @id: %w", ErrInvalidValue, err)
		}
	}
	if w.Identifiers != nil && len(w.Identifiers) == 0 {
		return c, fmt.Errorf("%w: identifiers is empty", ErrMissingField)
	}
	for k, v := range w.Identifiers {
		switch k {
		case "purl":
			if _, err := ParsePURL(v); err != nil {
				return c, fmt.Errorf("%w: identifiers.purl: %w", ErrInvalidValue, err)
			}
		case "cpe22", "cpe23":
			if strings.TrimSpace(v) == "" {
				return c, fmt.Errorf("%w: identifiers.%s is empty", ErrInvalidValue, k)
			}
		default:
			return c, fmt.Errorf("%w: identifier type %q (want purl, cpe22 or cpe23)", ErrUnknownField, clip.String(k, 64))
		}
	}
	for k, v := range w.Hashes {
		n, ok := hashLen[k]
		if !ok {
			return c, fmt.Errorf("%w: hash name %q is not in the OpenVEX hash table", ErrUnknownField, clip.String(k, 64))
		}
		if _, err := hex.DecodeString(v); err != nil || len(v) != n {
			return c, fmt.Errorf("%w: hashes.%s is not %d hex digits", ErrInvalidValue, k, n)
		}
	}
	if len(w.Identifiers) > 0 {
		c.Identifiers = make(map[string]string, len(w.Identifiers))
		for k, v := range w.Identifiers {
			c.Identifiers[k] = v
		}
	}
	if len(w.Hashes) > 0 {
		c.Hashes = make(map[string]string, len(w.Hashes))
		for k, v := range w.Hashes {
			c.Hashes[k] = strings.ToLower(v)
		}
	}
	return c, nil
}

// plainID reports whether id is a vulnerability identifier as CVE, GHSA,
// OSV and distribution advisories spell them: printable ASCII, without
// spaces, not empty.
func plainID(id string) bool {
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return false
		}
	}
	return id != ""
}

// writable reports whether t (nil: absent) in UTC is a time RFC 3339 can
// express; an offset can carry a parsed time just outside years 0000-9999.
func writable(t *time.Time) bool {
	if t == nil {
		return true
	}
	y := t.UTC().Year()
	return y >= 0 && y <= 9999
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func utc(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}
