package drift

import (
	"errors"
	"fmt"
)

// Errors. Parse errors wrap [ErrInvalidRecord]; detection errors wrap
// [ErrStore], [ErrAudit], [ErrIncomplete] or [ErrEvaluation], and each
// means detection did not fully run: the caller must not take the report
// as "nothing drifted".
var (
	// ErrInvalidRecord: an OSV record was refused (malformed JSON, a
	// repeated member, a value of the wrong type, a missing required
	// field, a field out of bounds, a construct the OSV schema forbids).
	ErrInvalidRecord = errors.New("drift: invalid OSV record")
	// ErrUnsupportedSchema: the record's schema_version is not 1.x.
	ErrUnsupportedSchema = fmt.Errorf("%w: schema_version is not 1.x", ErrInvalidRecord)
	// ErrGitRange: a range of type GIT names commits, which cannot be
	// compared with the versions the inventory holds. Such ranges are
	// reported as a [Skip], never silently dropped.
	ErrGitRange = errors.New("drift: GIT range: commits cannot be compared with package versions")
	// ErrNoPackageURL: an affected entry names no package URL and its
	// ecosystem has no mapping to one here, so no inventory query can name
	// it. Reported as a [Skip].
	ErrNoPackageURL = errors.New("drift: no package URL for the affected package")
	// ErrNothingToMatch: an affected entry lists neither ranges nor
	// versions. Reported as a [Skip].
	ErrNothingToMatch = errors.New("drift: affected package lists neither ranges nor versions")
	// ErrUnresolvableProduct: a VEX product names an artifact neither by
	// digest nor by package URL (an image without a digest, a CPE), so no
	// inventory query can find it. Reported as a [Skip].
	ErrUnresolvableProduct = errors.New("drift: VEX product names no digest or package URL the index can search")
	// ErrStore: the inventory could not answer; detection did not run (no
	// event was emitted for this cause).
	ErrStore = errors.New("drift: inventory unavailable")
	// ErrAudit: the audit sink refused a drift event; the report lists the
	// changes emitted before it, and a retry emits the rest.
	ErrAudit = errors.New("drift: audit sink failed")
	// ErrIncomplete: more admissions matched than one inventory answer
	// holds ([inventory.MaxLimit]); events were emitted for those
	// returned, the rest are unknown.
	ErrIncomplete = errors.New("drift: inventory answer truncated, detection incomplete")
	// ErrTooManyQueries: one call needed more distinct inventory queries
	// than [WithMaxQueries] allows (an advisory or an affected VEX
	// statement naming that many packages or products). The queries past
	// the bound were not run: an advisory reports what the others found; a
	// contrary VEX statement is applied to every artifact (it blocks all
	// lifts for its vulnerability); a lifting one lifts nothing.
	ErrTooManyQueries = fmt.Errorf("%w: too many inventory queries for one call", ErrIncomplete)
	// ErrEvaluation: an [Evaluator] could not decide on some admissions
	// (or ctx ended during re-evaluation); the denials it did decide were
	// reported, the others are unknown.
	ErrEvaluation = errors.New("drift: policy re-evaluation incomplete")
	// ErrConfig: New was given a nil store or sink or a bad option.
	ErrConfig = errors.New("drift: invalid configuration")
	// ErrInvalidInput: a nil advisory or an unusable revocation was passed.
	ErrInvalidInput = errors.New("drift: invalid input")
	// ErrVEXDate: a not_affected or fixed statement's timestamp or
	// last_updated lies in the future (beyond five minutes of clock skew):
	// as in the deploy policy, it has no readable time and lifts nothing.
	ErrVEXDate = fmt.Errorf("%w: VEX statement dated in the future", ErrInvalidInput)
)
