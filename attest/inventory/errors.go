package inventory

import (
	"errors"
	"fmt"

	"github.com/ztci/ztci/internal/clip"
)

// Errors. Every error a [Store] returns means "could not answer": a caller
// that gates on the index (the deploy gate recording an admission) denies.
var (
	// ErrInvalid: an input was refused. Finer errors below wrap it.
	ErrInvalid = errors.New("inventory: invalid input")
	// ErrInvalidPURL: a package URL is malformed. The error is a
	// [*PURLError].
	ErrInvalidPURL = fmt.Errorf("%w: package URL", ErrInvalid)
	// ErrInvalidVersion: a version does not parse in its ecosystem's
	// ordering, so it cannot bound or be compared with a range.
	ErrInvalidVersion = fmt.Errorf("%w: version", ErrInvalid)
	// ErrUnsupportedEcosystem: a version range was asked of a package type
	// whose ordering this package does not implement. Exact versions
	// ([Query.Versions]) work for every type; ranges never fall back to a
	// guess.
	ErrUnsupportedEcosystem = fmt.Errorf("%w: no version ordering for this package type", ErrInvalid)
	// ErrInvalidSBOM: an SBOM is not the format it claims, exceeds a bound,
	// or names a package with a malformed package URL.
	ErrInvalidSBOM = fmt.Errorf("%w: SBOM", ErrInvalid)
	// ErrSBOMVersionConflict: a package's package URL and its own version
	// field (SPDX versionInfo, CycloneDX version) name two versions. Trivy
	// reads the package URL's and syft and Grype the field's, so the SBOM
	// is refused rather than indexed under one of them. It wraps
	// [ErrInvalidSBOM].
	ErrSBOMVersionConflict = fmt.Errorf("%w: a package URL and its package state two versions", ErrInvalidSBOM)
	// ErrInvalidAdmission: an Admission is missing a required field or a
	// field is malformed or too large.
	ErrInvalidAdmission = fmt.Errorf("%w: admission", ErrInvalid)
	// ErrInvalidQuery: a Query names no criterion, or a malformed one.
	ErrInvalidQuery = fmt.Errorf("%w: query", ErrInvalid)
	// ErrDuplicate: an admission with this decision id is already recorded.
	ErrDuplicate = errors.New("inventory: decision already recorded")
	// ErrUnavailable: the store could not answer (closed, I/O or engine
	// error). Implementations wrap it and the cause.
	ErrUnavailable = errors.New("inventory: store unavailable")
	// ErrFormat: a persistent store holds data in a format newer than this
	// build reads. It wraps [ErrUnavailable]; the error is a
	// [*FormatError].
	ErrFormat = fmt.Errorf("%w: data format newer than this build", ErrUnavailable)
)

// PURLError reports a malformed package URL: Input is the offending text
// (truncated to 200 bytes) and Reason what is wrong with it. It matches
// [ErrInvalidPURL].
type PURLError struct {
	Input  string
	Reason string
}

func (e *PURLError) Error() string {
	return fmt.Sprintf("%v %q: %s", ErrInvalidPURL, e.Input, e.Reason)
}

// Is makes errors.Is(err, ErrInvalidPURL) hold.
func (e *PURLError) Is(target error) bool { return target == ErrInvalidPURL || target == ErrInvalid }

// VersionError reports a version that does not parse in the ordering of
// package type Type. It matches [ErrInvalidVersion].
type VersionError struct {
	Type, Version, Reason string
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("%v: %s version %q: %s", ErrInvalidVersion, e.Type, clip.String(e.Version, 200), e.Reason)
}

// Is makes errors.Is(err, ErrInvalidVersion) hold.
func (e *VersionError) Is(target error) bool {
	return target == ErrInvalidVersion || target == ErrInvalid
}

// EcosystemError reports a version range asked of package type Type, which
// has no ordering here. It matches [ErrUnsupportedEcosystem].
type EcosystemError struct{ Type string }

func (e *EcosystemError) Error() string {
	return fmt.Sprintf("%v: %q (ask for exact versions instead)", ErrUnsupportedEcosystem, e.Type)
}

// Is makes errors.Is(err, ErrUnsupportedEcosystem) hold.
func (e *EcosystemError) Is(target error) bool {
	return target == ErrUnsupportedEcosystem || target == ErrInvalid
}

// FormatError reports a persistent store (Store: a file path, a table
// prefix) in format Found, newer than Supported, the newest this build
// reads: a newer version of ztci wrote or migrated it. Opening it is
// refused: this build would write keys under an older normalization,
// which that version's queries would miss. It matches [ErrFormat] and
// [ErrUnavailable].
type FormatError struct {
	Store            string
	Found, Supported int
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("%v: %s is format %d, this build reads up to %d: run the version that wrote it", ErrFormat, e.Store, e.Found, e.Supported)
}

// Is makes errors.Is(err, ErrFormat) and errors.Is(err, ErrUnavailable)
// hold.
func (e *FormatError) Is(target error) bool { return target == ErrFormat || target == ErrUnavailable }
