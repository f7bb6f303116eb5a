package witness

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/ztci/ztci/audit"
)

// Errors. Every error of this package wraps one of them; match with
// [errors.Is]. The hierarchy is:
//
//	ErrRejected                 the checkpoint is refused and flagged
//	  ErrUnknownOrigin, ErrOriginMismatch, ErrMalformed, ErrBadSignature
//	  ErrMisbehaviour           the log is not append-only as far as the witness can tell
//	    ErrFork, ErrRollback, ErrGap
//	      (ErrGap) ErrMissingProof
//	ErrUndecided                the witness could not decide: retry later
//	  ErrUnavailable, ErrConflict, ErrStateCorrupt, ErrUnrecorded
//	ErrConfig
//
// A rejection is final for that submission: the witness's state is
// unchanged, the flag was audited and reported, and redelivering the
// submission flags it again. An ErrUndecided error means nothing was
// decided (or a flag could not be recorded): the caller redelivers the
// submission later and must not count it as accepted.
var (
	// ErrRejected: the witness refused the checkpoint. The concrete error
	// is a [*FlagError].
	ErrRejected = errors.New("witness: checkpoint rejected")
	// ErrUnknownOrigin: the checkpoint's origin is not a log the witness
	// was configured with.
	ErrUnknownOrigin = fmt.Errorf("%w: unknown origin", ErrRejected)
	// ErrOriginMismatch: the checkpoint names another origin than the one
	// it was submitted for (for example a node publishing, under its own
	// subject, a checkpoint of another node).
	ErrOriginMismatch = fmt.Errorf("%w: origin does not match the submitter", ErrRejected)
	// ErrMalformed: the submission is not a well-formed C2SP
	// add-checkpoint body, or is larger than [MaxSubmissionSize].
	ErrMalformed = fmt.Errorf("%w: malformed submission", ErrRejected)
	// ErrBadSignature: the checkpoint is not signed by the key configured
	// for its origin.
	ErrBadSignature = fmt.Errorf("%w: bad checkpoint signature", ErrRejected)

	// ErrMisbehaviour: a validly signed checkpoint that the witness cannot
	// reconcile with the one it accepted before. The log's key holder
	// signed it: treat the node as compromised until explained.
	ErrMisbehaviour = fmt.Errorf("%w: log misbehaviour", ErrRejected)
	// ErrFork: the checkpoint has the size of the accepted one but another
	// root, or its consistency proof from the accepted one does not verify:
	// entries the witness saw committed were rewritten.
	ErrFork = fmt.Errorf("%w: fork", ErrMisbehaviour)
	// ErrRollback: the checkpoint is smaller than the accepted one, or its
	// submission says the log was bigger before (old size above its size):
	// entries were removed.
	ErrRollback = fmt.Errorf("%w: rollback", ErrMisbehaviour)
	// ErrGap: the consistency proof starts from another size than the
	// accepted checkpoint's, so the witness cannot check that the log only
	// grew: checkpoints were withheld or lost.
	ErrGap = fmt.Errorf("%w: gap", ErrMisbehaviour)
	// ErrMissingProof: the submission carries no consistency proof (old
	// size 0) although the witness holds a checkpoint of that log.
	ErrMissingProof = fmt.Errorf("%w: missing consistency proof", ErrGap)

	// ErrUndecided: the witness could not decide. Nothing was accepted;
	// redeliver the submission later.
	ErrUndecided = errors.New("witness: cannot decide")
	// ErrUnavailable: the state store could not be read or written.
	ErrUnavailable = fmt.Errorf("%w: state store unavailable", ErrUndecided)
	// ErrConflict: another writer changed the state of the origin since it
	// was read. [Store] implementations return it from Save.
	ErrConflict = fmt.Errorf("%w: state changed concurrently", ErrUndecided)
	// ErrStateCorrupt: the stored state of an origin is not a checkpoint
	// signed by that origin's key. The witness refuses to decide until an
	// operator repairs it.
	ErrStateCorrupt = fmt.Errorf("%w: stored state is not a valid checkpoint", ErrUndecided)
	// ErrUnrecorded: a checkpoint was rejected but the flag could not be
	// audited or reported (the audit sink or the flag callback failed);
	// the error then also wraps the [*FlagError]. Or a checkpoint to be
	// trusted on first use could not be audited ([ActionFirstUse]), and
	// was not accepted.
	ErrUnrecorded = fmt.Errorf("%w: flag not recorded", ErrUndecided)

	// ErrConfig: [New] was given an invalid argument or option.
	ErrConfig = errors.New("witness: invalid configuration")
)

// FlagError is a rejected checkpoint: what was wrong, for which origin,
// what the witness had accepted and what it was shown. It is returned by
// [Witness.Add], passed to the [WithOnFlag] callback and recorded as an
// audit event (see [ActionFork] and the Attr constants).
type FlagError struct {
	// Kind is the sentinel: ErrFork, ErrRollback, ErrGap, ErrMissingProof,
	// ErrBadSignature, ErrUnknownOrigin, ErrOriginMismatch or ErrMalformed.
	Kind error
	// Origin is the origin the checkpoint was submitted for.
	Origin string
	// Accepted is the checkpoint the witness held for Origin (zero if none
	// or if the submission did not get that far).
	Accepted audit.Checkpoint
	// Size, Root and OldSize are what the submission claimed, once it
	// parsed and its signature verified (zero otherwise).
	Size    uint64
	Root    []byte
	OldSize uint64
	// Err is the underlying cause, if any (a parse or proof error).
	Err error
}

func (e *FlagError) Error() string {
	s := e.Kind.Error() + ": origin " + strconv.Quote(e.Origin)
	if e.Accepted.Signed != nil {
		s += ": accepted size " + strconv.FormatUint(e.Accepted.Size, 10)
	}
	if e.Size != 0 || e.Root != nil {
		s += ", got size " + strconv.FormatUint(e.Size, 10) + " (old " + strconv.FormatUint(e.OldSize, 10) + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns Kind and the cause.
func (e *FlagError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}
