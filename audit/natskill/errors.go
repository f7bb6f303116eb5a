package natskill

import (
	"errors"
	"fmt"
	"time"

	"github.com/ztci/ztci/audit"
)

// Errors. [Switch.Check] returns nil only when the identity is not marked
// and the switch is current; every error is a deny.
var (
	// ErrCompromised: the identity is marked. See [*MarkedError].
	ErrCompromised = errors.New("natskill: identity marked compromised")
	// ErrUndecided is the parent of every "cannot decide" error: the
	// switch cannot tell whether the identity is marked, so it denies.
	ErrUndecided = errors.New("natskill: kill switch cannot decide")
	// ErrStale: the switch has not confirmed it holds every mark in the
	// bucket for longer than [WithStaleAfter] (NATS unreachable, no stream
	// leader, watch stalled). See [*StaleError].
	ErrStale = fmt.Errorf("%w: marks not current", ErrUndecided)
	// ErrCorrupt: the bucket holds an entry that is not a valid mark; the
	// switch denies until it is deleted or replaced.
	ErrCorrupt = fmt.Errorf("%w: bucket holds an invalid mark", ErrUndecided)
	// ErrTooManyMarks: the bucket holds more marks than [WithMaxMarks]
	// lets the switch hold, so it may lack one and denies every identity
	// (checks); or [Switch.Mark] of an identity not yet marked would take
	// it past that bound, and nothing was written.
	ErrTooManyMarks = fmt.Errorf("%w: too many marks", ErrUndecided)
	// ErrClosed: the switch was closed.
	ErrClosed = fmt.Errorf("%w: closed", ErrUndecided)
	// ErrUnavailable: a mark or clear could not be written to the bucket.
	ErrUnavailable = errors.New("natskill: kill-switch bucket unavailable")
	// ErrNotMarked: [Switch.Clear] or [Switch.ClearMark] of an identity
	// the bucket holds no mark for; nothing was audited. It is
	// [audit.ErrNotMarked], as the in-memory switch returns.
	ErrNotMarked = audit.ErrNotMarked
	// ErrMarkChanged: a clear's mark changed in the bucket after the clear
	// read it (marked again, or cleared elsewhere) and was kept; the
	// audited clear was followed by its failure. It is
	// [audit.ErrMarkChanged].
	ErrMarkChanged = audit.ErrMarkChanged
	// ErrMarkLapsed: [Switch.Mark] of an identity until a time that is not
	// after the switch's clock; nothing was written or audited. It is
	// [audit.ErrMarkLapsed], as the in-memory switch returns.
	ErrMarkLapsed = audit.ErrMarkLapsed
	// ErrConfig: an invalid option or argument.
	ErrConfig = errors.New("natskill: invalid configuration")
)

// MarkedError reports the mark that denies an identity.
type MarkedError struct {
	Mark Mark
}

func (e *MarkedError) Error() string {
	return fmt.Sprintf("natskill: %s %q marked compromised by %q since %s: %s",
		e.Mark.Kind, e.Mark.ID, e.Mark.By, e.Mark.Since.UTC().Format(time.RFC3339), e.Mark.Reason)
}

func (e *MarkedError) Unwrap() error { return ErrCompromised }

// StaleError reports how long the switch has not been confirmed current.
type StaleError struct {
	// Age is the time since the switch last confirmed it held every mark.
	Age   time.Duration
	Bound time.Duration
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("%v: last confirmed %v ago (bound %v)", ErrStale, e.Age.Round(time.Millisecond), e.Bound)
}

func (e *StaleError) Unwrap() error { return ErrStale }

// BucketSettingError reports a setting of an existing bucket's stream that
// [New] refuses although the shared checks of fleet buckets allow it,
// because it lets a bucket writer lift a mark in a way the switch cannot
// see: Setting is the stream configuration's field ("AllowMsgTTL"). It
// wraps [ErrConfig].
type BucketSettingError struct {
	Bucket  string
	Setting string
	Why     string
}

func (e *BucketSettingError) Error() string {
	return fmt.Sprintf("%v: bucket %q: stream setting %s: %s", ErrConfig, e.Bucket, e.Setting, e.Why)
}

func (e *BucketSettingError) Unwrap() error { return ErrConfig }
