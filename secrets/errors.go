package secrets

import (
	"errors"
	"fmt"

	"github.com/ztci/ztci/internal/clip"
)

// Sentinel errors. They form a hierarchy: every refusal wraps [ErrDenied],
// every unusable lease wraps [ErrLease], and callers match with errors.Is.
var (
	// ErrDenied: the broker refused the request. An error from the
	// [Authorizer] is also reported as ErrDenied (fail closed).
	ErrDenied = errors.New("secrets: denied")
	// ErrPolicyDenied: the authorizer decided to deny.
	ErrPolicyDenied = fmt.Errorf("%w: policy", ErrDenied)
	// ErrPolicyUndecided: the authorizer returned an error; treated as deny.
	ErrPolicyUndecided = fmt.Errorf("%w: policy could not decide", ErrDenied)
	// ErrCompromised: the identity is marked compromised (kill switch).
	ErrCompromised = fmt.Errorf("%w: identity marked compromised", ErrDenied)
	// ErrNoIdentity: the request carries the zero identity.
	ErrNoIdentity = fmt.Errorf("%w: no identity", ErrDenied)
	// ErrInvalidName: the secret name is empty, longer than [MaxNameLen],
	// not UTF-8, or holds a control or invisible (format) character. It is
	// refused before policy sees it: such a name can read one way to the
	// authorizer and another to a backend, and cannot be audited as given.
	ErrInvalidName = fmt.Errorf("%w: invalid secret name", ErrDenied)
	// ErrUnmaskable: the value is too short to be masked reliably in logs
	// (see [MinMaskLen]), so the broker refuses to hand it out while a
	// redactor is wired in.
	ErrUnmaskable = fmt.Errorf("%w: value shorter than the masking minimum", ErrDenied)

	// ErrLease: a lease cannot be used.
	ErrLease = errors.New("secrets: lease unusable")
	// ErrRevoked: the lease has been revoked.
	ErrRevoked = fmt.Errorf("%w: revoked", ErrLease)
	// ErrExpired: the lease's TTL has passed.
	ErrExpired = fmt.Errorf("%w: expired", ErrLease)
	// ErrAlreadyRead: a single-use secret was read before.
	ErrAlreadyRead = fmt.Errorf("%w: single-use value already read", ErrLease)
	// ErrNotRenewable: the lease cannot be renewed.
	ErrNotRenewable = fmt.Errorf("%w: not renewable", ErrLease)

	// ErrBackend: the backend failed; the request is not granted.
	ErrBackend = errors.New("secrets: backend failed")
	// ErrNotFound: the backend has no secret by that name.
	ErrNotFound = fmt.Errorf("%w: no such secret", ErrBackend)
	// ErrSecretLeaseID: the backend named a lease by (a text holding) its
	// secret value. Lease ids are journaled, registered fleet-wide, audited,
	// logged and quoted in errors; the grant is revoked and refused.
	ErrSecretLeaseID = fmt.Errorf("%w: lease id holds the secret value", ErrBackend)
	// ErrBadLeaseID: the backend named a lease by an id longer than
	// [MaxLeaseField] bytes, not UTF-8, or holding a control character.
	// Lease ids are journaled, registered, audited, logged and quoted in
	// errors (where a newline forges a line); the grant is revoked and
	// refused.
	ErrBadLeaseID = fmt.Errorf("%w: unusable lease id", ErrBackend)
	// ErrAudit: the audit sink did not accept an event; the audited action
	// is treated as failed.
	ErrAudit = errors.New("secrets: audit sink failed")
	// ErrJobEnded: the job's lease set is closed; no new leases.
	ErrJobEnded = errors.New("secrets: job ended")
	// ErrRevoke: a lease could not be revoked after all retries. The lease
	// stays in the durable record for [Broker.Recover].
	ErrRevoke = errors.New("secrets: revocation failed")
	// ErrJournal: the durable lease record could not be read or written.
	ErrJournal = errors.New("secrets: lease record")
	// ErrTooShort: a value given to [Redactor.AddMaskChecked],
	// [Redactor.AddSecret] or [Redactor.AddSecrets] is shorter than
	// [MinMaskLen].
	ErrTooShort = errors.New("secrets: value too short to mask")
	// ErrConfig: a constructor or option was given an unusable argument.
	ErrConfig = errors.New("secrets: bad configuration")
	// ErrUnsafeJournal: the lease record directory of [WithJournal], or a
	// record in it, could be written or replaced by someone other than
	// this process's user (or root), who could then hide a lease from
	// [Broker.Recover] (a credential that outlives its job) or name
	// another's lease for it to revoke. [WithJournal] refuses a directory
	// on whose path a directory is owned by another user or writable by
	// others (unless sticky, as /tmp, and not the journal's own), and
	// Recover refuses, and leaves for inspection, a record that is a
	// symbolic link, not a regular file (a FIFO would hang it), owned by
	// another user or writable by group or others; such a refusal also
	// wraps [ErrJournal].
	ErrUnsafeJournal = fmt.Errorf("%w: unsafe lease record directory or file", ErrConfig)
	// ErrUnsafeSecretFile: [Dir] refused a secret file, or the directory
	// it reads, that a user other than root and this process's could have
	// written, replaced or planted, so the value it holds may not be the
	// one the policy granted under that name (see [Dir] for the rules). It
	// wraps [ErrBackend]: no lease is granted.
	ErrUnsafeSecretFile = fmt.Errorf("%w: unsafe secret file or directory", ErrBackend)
	// ErrClosed: the redactor was closed.
	ErrClosed = errors.New("secrets: redactor closed")
)

// RevokeError reports a lease that could not be revoked.
type RevokeError struct {
	LeaseID  string
	Name     string
	Attempts int
	Err      error
}

func (e *RevokeError) Error() string {
	return fmt.Sprintf("secrets: revoke lease %s (secret %q) failed after %d attempts: %v", e.LeaseID, e.Name, e.Attempts, e.Err)
}

// Unwrap returns ErrRevoke and the last backend error.
func (e *RevokeError) Unwrap() []error { return []error{ErrRevoke, e.Err} }

// DeniedError carries the reason of a policy deny.
type DeniedError struct {
	Name   string
	Reason string
}

func (e *DeniedError) Error() string {
	return fmt.Sprintf("secrets: secret %q denied by policy: %s", e.Name, e.Reason)
}

// Unwrap returns ErrPolicyDenied.
func (e *DeniedError) Unwrap() error { return ErrPolicyDenied }

// unsafeSecret refuses the secret file or directory name of [Dir]: what
// says why.
func unsafeSecret(name, what string) error {
	return fmt.Errorf("%w: %s %s", ErrUnsafeSecretFile, clip.Quote(name, 128), what)
}
