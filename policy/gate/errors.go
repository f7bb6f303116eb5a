package gate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/verify"
)

// Errors. Every error [Gate.Decide] returns wraps exactly one of
// ErrBadRequest, ErrUnauthenticated or ErrUndecided; each is a deny.
var (
	// ErrConfig: New was given a missing argument or a bad option.
	ErrConfig = errors.New("gate: invalid configuration")
	// ErrBadRequest: the request is malformed (no image and no bundles,
	// both, a name or digest beside an image, a bad reference or digest,
	// third-party summaries the gate does not take). HTTP 400.
	ErrBadRequest = errors.New("gate: bad request")
	// ErrRegistryNotAllowed: the image is in a registry the gate does not
	// read from (see [WithRegistries]). HTTP 400.
	ErrRegistryNotAllowed = fmt.Errorf("%w: registry not allowed", ErrBadRequest)
	// ErrUnauthenticated: the job token is missing or did not verify.
	// HTTP 401.
	ErrUnauthenticated = errors.New("gate: job token not verified")
	// ErrUndecided: verification or policy could not decide, or the
	// decision could not be audited. HTTP 503. A deny.
	ErrUndecided = errors.New("gate: could not decide")
	// ErrUnaudited: the decision could not be audited — the audit sink
	// (or the image verifier's, image.WithAudit) failed, panicked or did
	// not answer before the audit deadline. HTTP 503. A deny. It also
	// matches [audit.ErrSink]. Its text is fixed: the sink's own error,
	// which may name the sink's address with its credentials, a DSN or a
	// path, goes to the gate's logger only, never to the caller (who may
	// be anyone that sent a request, a bad token included).
	ErrUnaudited = fmt.Errorf("%w: decision not audited (%w)", ErrUndecided, audit.ErrSink)
	// ErrJobBusy: the job already has [Limits].MaxInFlightPerJob
	// decisions running. HTTP 503 with Retry-After. A deny.
	ErrJobBusy = fmt.Errorf("%w: too many decisions of this job in flight", ErrUndecided)
	// ErrBudgetExceeded: one image verification would read more from the
	// registry than [Limits].MaxFetchBytes or verify more bundles than
	// [Limits].MaxVerifiedBundles. The image is undecided (HTTP 503, a
	// deny), never decided on the attestations that fitted: whoever can
	// push referrers to a repository could otherwise choose which of them
	// the gate reads.
	ErrBudgetExceeded = fmt.Errorf("%w: verification budget exceeded", ErrUndecided)
	// ErrUnexpectedPredicateType: a bundle claims a predicate type the gate
	// has no verifier for. It is an attestation that does not count, not a
	// request error.
	ErrUnexpectedPredicateType = errors.New("gate: no verifier for this predicate type")
)

// UnexpectedPredicateTypeError reports a bundle whose statement claims a
// predicate type the gate has no verifier for (or none at all). It matches
// [ErrUnexpectedPredicateType].
type UnexpectedPredicateTypeError struct{ Got string }

func (e *UnexpectedPredicateTypeError) Error() string {
	return fmt.Sprintf("%v: %q", ErrUnexpectedPredicateType, clip.String(e.Got, 256))
}

// Is makes errors.Is(err, ErrUnexpectedPredicateType) hold.
func (e *UnexpectedPredicateTypeError) Is(target error) bool {
	return target == ErrUnexpectedPredicateType
}

// withheldError is a dependency's failure on its way to the caller: the
// caller sees sentinel's fixed text, never cause. The dependencies are the
// vendor's (token verifier, evaluator, inventory store, signer, attacher),
// and their errors may name an address with its credentials, a DSN, a key
// URI, or quote the token they refused; Decide's error reaches every
// caller, one with a forged token included. Unwrap yields the sentinel
// only, so errors.Is holds for it and nothing walks to cause.
type withheldError struct {
	sentinel error
	what     string // what failed, for the operator's log
	cause    error
	level    slog.Level
}

func (e *withheldError) Error() string { return e.sentinel.Error() }
func (e *withheldError) Unwrap() error { return e.sentinel }

// withhold returns sentinel for the caller and keeps cause (what failed)
// for the operator's log at level error. Every request that fails reaches
// auditUndecided, which logs cause with the request's audit event id
// (Gate.disclose); the caller's own mistakes are not withheld, they are
// described (quoted and bounded) in the sentinel's wrapping instead.
func withhold(sentinel error, what string, cause error) error {
	return &withheldError{sentinel: sentinel, what: what, cause: cause, level: slog.LevelError}
}

// disclose logs the cause err withholds, naming the audit event event of
// its request, and returns what the caller may see: err's sentinel when
// err is withheld, err itself otherwise.
func (g *Gate) disclose(ctx context.Context, event string, err error) error {
	var w *withheldError
	if !errors.As(err, &w) {
		return err
	}
	g.cfg.log.Log(ctx, w.level, w.what, "event", event, "err", w.cause)
	return w.sentinel
}

// errInlineUnaudited: an inline bundle's verification could not be
// audited (withheld); the image path says the same of an image's bundle
// (imageFailure).
var errInlineUnaudited = fmt.Errorf("%w: inline bundle verification: %w", ErrUndecided, verify.ErrAudit)

// errPolicyFailed: the evaluator returned an error (withheld).
var errPolicyFailed = fmt.Errorf("%w: policy could not be evaluated", ErrUndecided)
