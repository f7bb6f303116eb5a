package vex

import (
	"fmt"
	"time"

	"github.com/ztci/ztci/attest"
)

// PredicateType is the in-toto predicate type of an OpenVEX v0.2.0 document,
// which is also the document's "@context" (the OpenVEX spec's ATTESTING.md
// and go-vex use the context as the predicate type).
const PredicateType = "https://openvex.dev/ns/v0.2.0"

// MaxSize bounds the input Parse reads, as a whole Statement or a bare
// document.
const MaxSize = 16 << 20

// MaxProducts bounds the products of a document, over all its statements
// and counted after inheritance: a statement without products in an
// in-toto Statement has one product per subject of the Statement. Bytes do
// not bound that count (a statement of 50 bytes inherits every subject), so
// a Statement of a few hundred KiB would otherwise make a document of
// millions of products, which [Document.For] walks on every call.
const MaxProducts = 1 << 18

// MaxPURLLen bounds, in bytes, the package URL a statement without
// products inherits as a product's "@id" from a subject's name (the
// inventory's bound on package URLs, attest/inventory.MaxPURLLen). Every
// such statement repeats the name, and [Document.For] parses it for each:
// a long name would cost its length once per statement.
const MaxPURLLen = 2048

// Errors. Every error of this package wraps [ErrInvalid], which wraps
// attest.ErrInvalidPredicate, so callers that handle predicates generically
// match it too.
var (
	// ErrInvalid: a document breaks the OpenVEX v0.2.0 rules.
	ErrInvalid = fmt.Errorf("%w: openvex", attest.ErrInvalidPredicate)
	// ErrMalformed: not one JSON object of the document's shape: a syntax
	// error, a value of the wrong JSON type, null, a repeated member or a
	// member name in another case, trailing data.
	ErrMalformed = fmt.Errorf("%w: malformed JSON", ErrInvalid)
	// ErrUnknownField: a member the OpenVEX schema does not define.
	ErrUnknownField = fmt.Errorf("%w: unknown field", ErrInvalid)
	// ErrMissingField: a required member is absent or empty.
	ErrMissingField = fmt.Errorf("%w: missing field", ErrInvalid)
	// ErrInvalidValue: a value outside what the spec allows: a status or
	// justification not in its enumeration, a vulnerability name or
	// alias that is not printable ASCII without spaces, not_affected without
	// justification or impact statement, affected without action
	// statement, a version below 1, a hash that is not hex of its
	// algorithm's length, a package URL that does not parse.
	ErrInvalidValue = fmt.Errorf("%w: invalid value", ErrInvalid)
	// ErrContext: "@context" is not [PredicateType] (another OpenVEX
	// version, whose shape differs), or a Statement's predicateType is not.
	ErrContext = fmt.Errorf("%w: not OpenVEX v0.2.0", ErrInvalid)
	// ErrTooLarge: the input exceeds [MaxSize], its statements name more
	// than [MaxProducts] products, or a statement without products would
	// inherit a package URL longer than [MaxPURLLen].
	ErrTooLarge = fmt.Errorf("%w: too large", ErrInvalid)
)

// StatementError locates a refusal in statements[Index]; it unwraps to the
// sentinel that says what is wrong.
type StatementError struct {
	Index int
	Err   error
}

func (e *StatementError) Error() string { return fmt.Sprintf("statements[%d]: %v", e.Index, e.Err) }
func (e *StatementError) Unwrap() error { return e.Err }

// Status is a statement's impact status.
type Status string

// The four statuses of OpenVEX v0.2.0. Parse refuses any other.
const (
	StatusNotAffected        Status = "not_affected"
	StatusAffected           Status = "affected"
	StatusFixed              Status = "fixed"
	StatusUnderInvestigation Status = "under_investigation"
)

func (s Status) valid() bool {
	switch s {
	case StatusNotAffected, StatusAffected, StatusFixed, StatusUnderInvestigation:
		return true
	}
	return false
}

// Justification is why a product is not_affected: one of the five labels of
// the VEX Working Group's Status Justifications. Parse refuses any other.
type Justification string

// The justifications of OpenVEX v0.2.0.
const (
	ComponentNotPresent                         Justification = "component_not_present"
	VulnerableCodeNotPresent                    Justification = "vulnerable_code_not_present"
	VulnerableCodeNotInExecutePath              Justification = "vulnerable_code_not_in_execute_path"
	VulnerableCodeCannotBeControlledByAdversary Justification = "vulnerable_code_cannot_be_controlled_by_adversary"
	InlineMitigationsAlreadyExist               Justification = "inline_mitigations_already_exist"
)

func (j Justification) valid() bool {
	switch j {
	case ComponentNotPresent, VulnerableCodeNotPresent, VulnerableCodeNotInExecutePath,
		VulnerableCodeCannotBeControlledByAdversary, InlineMitigationsAlreadyExist:
		return true
	}
	return false
}

// Document is an OpenVEX v0.2.0 document.
type Document struct {
	// ID is the document's IRI ("@id").
	ID string
	// Author issued the document, e.g. "Acme Security <sec@acme.example>".
	// It is what the document says, not who signed it: the signer of the
	// attestation is the identity a policy trusts.
	Author string
	Role   string
	// Timestamp is when the document was issued (UTC); LastUpdated is zero
	// when not given.
	Timestamp   time.Time
	LastUpdated time.Time
	// Version is the document's version, at least 1.
	Version  int
	Tooling  string
	Supplier string
	// Statements are in document order; there is at least one.
	Statements []Statement
}

// Statement says what a vulnerability means for some products.
type Statement struct {
	ID string
	// Version is the statement's version; 0 when not given.
	Version       int
	Vulnerability Vulnerability
	// Timestamp is when the statement was known to be true (UTC): its own
	// timestamp, else the document's (the spec's inheritance). LastUpdated
	// is zero when not given.
	Timestamp   time.Time
	LastUpdated time.Time
	// Products are what the statement is about. A statement without
	// products in an in-toto Statement inherits its subjects (see Parse);
	// in a bare document it names nothing and applies to nothing.
	Products []Product
	Status   Status
	Supplier string
	// StatusNotes says how the status was determined.
	StatusNotes string
	// Justification is set for not_affected (or ImpactStatement is).
	Justification   Justification
	ImpactStatement string
	// ActionStatement is set for affected.
	ActionStatement          string
	ActionStatementTimestamp time.Time
}

// Vulnerability names a vulnerability: Name is the main id (CVE-…, GHSA-…),
// Aliases its other ids.
type Vulnerability struct {
	ID          string // "@id", an IRI
	Name        string
	Description string
	Aliases     []string
}

// IDs are the vulnerability's name and its aliases.
func (v Vulnerability) IDs() []string {
	return append([]string{v.Name}, v.Aliases...)
}

// Component identifies software: an IRI ("@id", often a package URL),
// identifiers by type ("purl", "cpe22", "cpe23") and hashes by algorithm
// ("sha-256", …, the spec's hash names).
type Component struct {
	ID          string
	Identifiers map[string]string
	Hashes      map[string]string
	Supplier    string
}

// Product is a component a statement is about, with the subcomponents (its
// dependencies) the vulnerability is in. No subcomponents: the statement is
// about the product as a whole.
type Product struct {
	Component
	Subcomponents []Component
}
