package compliance

import (
	"errors"
	"fmt"

	"github.com/ztci/ztci/internal/clip"
)

// Errors. Each refusal wraps one of these; match them with errors.Is.
var (
	// ErrCatalog: a control catalog does not read or is inconsistent (a
	// rule names a control or an evidence kind the catalog does not define,
	// two controls share an id, an unknown member, ...).
	ErrCatalog = errors.New("compliance: invalid control catalog")
	// ErrDecision: a decision handed to Assess lacks what a report must
	// name (its id, its action) or repeats another's id.
	ErrDecision = errors.New("compliance: invalid decision")
	// ErrOSCAL: an OSCAL assessment-results document does not read, or
	// lacks a member the OSCAL 1.1 schema requires.
	ErrOSCAL = errors.New("compliance: invalid OSCAL assessment results")
	// ErrTooLarge: the input exceeds MaxSize.
	ErrTooLarge = errors.New("compliance: input too large")
)

// MaxSize bounds the catalogs and OSCAL documents this package reads.
const MaxSize = 8 << 20

// truncate bounds untrusted text quoted in errors to 64 bytes.
func truncate(s string) string { return clip.String(s, 64) }

func catalogErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCatalog}, args...)...)
}
