package audit

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package wraps one of them;
// match with [errors.Is]. The hierarchy is:
//
//	ErrConfig
//	  ErrUnsafeFile
//	ErrInvalidEvent
//	ErrSink
//	  ErrBufferFull, ErrClosed, ErrDelivery, ErrSeal, ErrLogFileChanged,
//	  ErrEscalationLimit
//	    ErrRedirect
//	ErrInvalidLog
//	  ErrCorruptEntry, ErrSequence, ErrTornTail, ErrTruncated, ErrForeignLog,
//	  ErrCheckpointSignature, ErrCheckpointSize, ErrRootMismatch, ErrUnanchored
//	ErrProof
//	ErrUnseal
//	ErrNotMarked
//	ErrMarkChanged
//	ErrMarkLapsed
//	ErrLogLocked
var (
	// ErrInvalidEvent: an event is missing a required field or cannot be
	// decoded.
	ErrInvalidEvent = errors.New("audit: invalid event")

	// ErrSink: a sink could not record an event. The audited action must be
	// treated as failed.
	ErrSink = errors.New("audit: sink failed")
	// ErrBufferFull: a bounded buffer is full and the back-pressure policy
	// is to reject.
	ErrBufferFull = fmt.Errorf("%w: buffer full", ErrSink)
	// ErrClosed: the sink or log was closed.
	ErrClosed = fmt.Errorf("%w: closed", ErrSink)
	// ErrDelivery: a remote endpoint did not acknowledge the event after all
	// retries.
	ErrDelivery = fmt.Errorf("%w: not delivered", ErrSink)
	// ErrRedirect: a remote endpoint answered with a redirect, which is
	// never followed nor counted as delivery (see [RedirectError]).
	ErrRedirect = fmt.Errorf("%w: redirect refused", ErrDelivery)
	// ErrLogFileChanged: the file at a [Log]'s path is no longer the one
	// it has open (renamed over, deleted or recreated), or its size is not
	// what the Log wrote (truncated, or written by someone else). Appends
	// would go where no verifier reads, or make a file none accepts: the
	// Log refuses them, and every later append, checkpoint and Close
	// returns this error.
	ErrLogFileChanged = fmt.Errorf("%w: log file changed under the open log", ErrSink)
	// ErrSeal: a [Sealer] could not seal an event's fields (the Encrypter
	// failed, or the event has no usable ID); nothing was written.
	ErrSeal = fmt.Errorf("%w: fields cannot be sealed", ErrSink)

	// ErrNotMarked: a kill switch was asked to clear an identity that
	// holds no mark. Nothing was cleared, and nothing audited: the audit
	// log records changes to the switch, and a refused clear changed
	// nothing (the caller has the error).
	ErrNotMarked = errors.New("audit: identity not marked")
	// ErrLogLocked: [Open] or [OpenWithSigner] could not take the log
	// file's exclusive lock, most often because another Log (in this
	// process or another) holds it: one writer at a time may append to a
	// log. Nothing was read or written.
	ErrLogLocked = errors.New("audit: log locked by another writer")
	// ErrMarkChanged: after a clear had read a mark and audited lifting it,
	// the mark changed (it was marked again, or cleared by another caller),
	// so the clear deleted nothing: a mark made after the clear read it is
	// never lifted by that clear. Its first event is followed by one with
	// [OutcomeFailure] saying the clear did not happen.
	ErrMarkChanged = errors.New("audit: mark changed during clear, kept")
	// ErrMarkLapsed: a kill switch was asked to mark an identity until a
	// time that is not after its clock's now. Such a mark would deny
	// nobody, so it is not set and not audited: an audited mark would
	// say the identity was quarantined when it never was.
	ErrMarkLapsed = errors.New("audit: mark already lapsed, not set")

	// ErrConfig: a constructor was given an invalid or unsafe argument or
	// option.
	ErrConfig = errors.New("audit: invalid configuration")
	// ErrUnsafeFile: [Open] or [OpenWithSigner] refused the log's file or
	// its directory, because someone other than this process's user (or
	// root) could rewrite, truncate or replace the log: a directory on the
	// way to the file that another user owns or may write (unless sticky,
	// as /tmp, and not the log's own), the log's directory writable by
	// group or others, or a log file that is a symbolic link, not a
	// regular file (a FIFO, a device), owned by another user, or writable
	// by group or others. Nothing was read or written. A refusal of the
	// file itself also wraps [ErrInvalidLog], as it did before this check
	// existed.
	ErrUnsafeFile = fmt.Errorf("%w: unsafe log file or directory", ErrConfig)

	// ErrInvalidLog: a tamper-evident log failed verification. The concrete
	// error is a [*LogError] carrying the position.
	ErrInvalidLog = errors.New("audit: invalid log")
	// ErrCorruptEntry: a line is malformed or its checksum does not match.
	ErrCorruptEntry = fmt.Errorf("%w: corrupt entry", ErrInvalidLog)
	// ErrSequence: an entry carries the wrong sequence number (entries were
	// reordered, duplicated or removed).
	ErrSequence = fmt.Errorf("%w: entry out of sequence", ErrInvalidLog)
	// ErrTornTail: the log ends in an incomplete line, as left by a crash
	// during an append. [Open] truncates it; [Verifier.Log] reports it.
	ErrTornTail = fmt.Errorf("%w: torn tail", ErrInvalidLog)
	// ErrTruncated: the log is shorter than a checkpoint the verifier
	// already trusts ([Verifier.LogSince]): entries were cut off.
	ErrTruncated = fmt.Errorf("%w: truncated below a trusted checkpoint", ErrInvalidLog)
	// ErrForeignLog: the log or a checkpoint belongs to another log
	// instance (its origin differs).
	ErrForeignLog = fmt.Errorf("%w: log from another instance", ErrInvalidLog)
	// ErrCheckpointSignature: a checkpoint is not validly signed by the
	// expected key.
	ErrCheckpointSignature = fmt.Errorf("%w: bad checkpoint signature", ErrInvalidLog)
	// ErrCheckpointSize: a checkpoint's tree size does not match the number
	// of entries before it.
	ErrCheckpointSize = fmt.Errorf("%w: checkpoint size mismatch", ErrInvalidLog)
	// ErrRootMismatch: the Merkle root of the entries does not match the
	// signed checkpoint: entries were altered.
	ErrRootMismatch = fmt.Errorf("%w: merkle root mismatch", ErrInvalidLog)
	// ErrUnanchored: the log, or its last entries, is not covered by a
	// checkpoint signed by the verifier's key (nor by a trusted checkpoint
	// passed to [Verifier.LogSince]). Framing and checksums may all be
	// fine, but anyone can write such a file: a log rewritten without the
	// key and with its checkpoint lines removed looks exactly like this.
	// The [Report] returned with it says how far the log is covered
	// (Report.Latest.Size); treat the entries beyond as unverified.
	// [Open] with [WithUnsignedTail]([TailRefuse]) refuses such a log with
	// it.
	ErrUnanchored = fmt.Errorf("%w: not anchored to a signed checkpoint", ErrInvalidLog)

	// ErrProof: an inclusion or consistency proof does not verify.
	ErrProof = errors.New("audit: proof does not verify")

	// ErrUnseal: a sealed field of an event could not be opened ([Unseal]).
	// The error also wraps the class of
	// [github.com/ztci/ztci/secrets/seal.ErrOpen] that says why
	// (ErrMalformed, ErrUnknownKey, ErrTampered, ErrUnwrap); nothing of the
	// event may be used.
	ErrUnseal = errors.New("audit: sealed field cannot be opened")
)

// unsafeLogFile refuses the log file at path: what says why.
func unsafeLogFile(path, what string) error {
	return fmt.Errorf("%w: %w: %s %s", ErrUnsafeFile, ErrInvalidLog, path, what)
}

// FieldError reports a missing or invalid event field.
type FieldError struct {
	Field string // JSON name, e.g. "actor.id"
	Want  string // what was expected
	Got   string // what was found
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("audit: invalid event: field %s: want %s, got %q", e.Field, e.Want, e.Got)
}

// Unwrap returns [ErrInvalidEvent].
func (e *FieldError) Unwrap() error { return ErrInvalidEvent }

// LogError locates the first problem found in a log.
type LogError struct {
	// Line is the 1-based line number; the header is line 1.
	Line int
	// Offset is the byte offset of the start of the line.
	Offset int64
	// Index is the index of the entry the problem concerns: the entry on
	// the line, or for a checkpoint the number of entries before it.
	Index uint64
	// Err wraps one of the ErrInvalidLog sentinels.
	Err error
}

func (e *LogError) Error() string {
	return fmt.Sprintf("audit log: line %d (offset %d, entry %d): %v", e.Line, e.Offset, e.Index, e.Err)
}

// Unwrap returns the cause.
func (e *LogError) Unwrap() error { return e.Err }

// MismatchError carries the expected and actual value of a log field.
type MismatchError struct {
	Kind error // one of the ErrInvalidLog sentinels
	What string
	Want string
	Got  string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("%v: %s: want %s, got %s", e.Kind, e.What, e.Want, e.Got)
}

// Unwrap returns Kind.
func (e *MismatchError) Unwrap() error { return e.Kind }

// otherText stands for text read from untrusted input (a log file, a
// checkpoint, an event) in an error that must say it differs from what was
// expected without repeating it: the input may carry anything, a secret a
// producer should not have written or terminal escapes among it.
func otherText(n int) string {
	return fmt.Sprintf("another value of %d bytes", n)
}
