package ocibundle

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/verify/image"
)

// Sentinel errors. Every error Load returns wraps [policy.ErrLoad], so an
// Engine keeps its last good policy; the finer sentinels say why. Registry
// failures are verify/image's values (the same client), so
// errors.Is(err, image.ErrNotFound) works as well as errors.Is(err, ErrNotFound).
var (
	// ErrConfig: New was given an invalid argument or Option.
	ErrConfig = errors.New("ocibundle: invalid configuration")

	// ErrUnverified: no Sigstore bundle attached to the pinned manifest
	// verified for the expected signer with a proven signing time; the
	// error is an *[UnverifiedError].
	ErrUnverified = fmt.Errorf("%w: ocibundle: policy bundle not signed by the expected signer", policy.ErrLoad)
	// ErrRollback: the pinned bundle's proven signing time is earlier than
	// the rollback floor, the signing time of the newest bundle the Source
	// (or, with [WithFloorStore], its store) activated: the reference was
	// moved back to an older bundle of the same publisher. A bundle other
	// than the one that set the floor, proven signed at the same time, is
	// refused too: only a later signature replaces the bundle in force.
	ErrRollback = fmt.Errorf("%w: ocibundle: policy bundle signed before the one already activated (rollback)", policy.ErrLoad)
	// ErrScope: a signature verified for the expected signer, but the
	// in-toto statement it signs does not name this Source's repository
	// (see [WithRepositoryScope]) as the bundle manifest's subject: the
	// bundle was signed for another repository (a sandbox's permissive
	// policy copied here). It is one of an [*UnverifiedError]'s
	// rejections, so the error matches [ErrUnverified] too.
	ErrScope = errors.New("ocibundle: signed for another repository")
	// ErrTag: with [WithTagBinding], a signature verified and names the
	// repository, but its statement's subject is not annotated with the
	// Source's tag ([RefNameAnnotation]): the bundle was signed for
	// another tag of the repository (staging's bundle pointed to by the
	// prod tag). It is one of an [*UnverifiedError]'s rejections.
	ErrTag = errors.New("ocibundle: signed for another tag")
	// ErrStale: the bundle's proven signing time is older than
	// [WithMaxAge] allows, or a Load failed while the bundle returned last
	// is; it wraps [policy.ErrExpired], so an Engine stops deciding with
	// the policy in force.
	ErrStale = fmt.Errorf("%w: ocibundle: policy bundle signature older than the maximum age", policy.ErrExpired)
	// ErrFloorStore: the [FloorStore] given to [WithFloorStore] failed to
	// read or to record the rollback floor, so no bundle could be checked
	// against it.
	ErrFloorStore = fmt.Errorf("%w: ocibundle: rollback floor store failed", policy.ErrLoad)
	// ErrUnsafeFloorFile: the file of a [FileFloorStore], its directory,
	// or a directory or symbolic link on the path to it could be changed
	// by a user other than root and this process's (see
	// [FileFloorStore]), who could then lower or remove the floor; or the
	// file is not a regular file (a symbolic link, a FIFO). It is an
	// [ErrFloorStore].
	ErrUnsafeFloorFile = fmt.Errorf("%w: unsafe floor file", ErrFloorStore)
	// ErrFormat: the pinned manifest is not an OPA bundle artifact (an OCI
	// image manifest with one application/vnd.oci.image.layer.v1.tar+gzip
	// layer).
	ErrFormat = fmt.Errorf("%w: ocibundle: not an OPA bundle artifact", policy.ErrLoad)

	// ErrRegistry: the registry could not be read or misbehaved.
	ErrRegistry = image.ErrRegistry
	// ErrNotFound: the reference, or a blob it names, does not exist.
	ErrNotFound = image.ErrNotFound
	// ErrTooLarge: the manifest or the bundle layer is over its limit.
	ErrTooLarge = image.ErrTooLarge
	// ErrDigestMismatch: the registry served content that does not hash to
	// the digest it was asked for (a tampered blob).
	ErrDigestMismatch = image.ErrDigestMismatch
)

// UnverifiedError reports a pinned bundle without a valid signature from
// the expected signer. It matches [ErrUnverified] (and so
// [policy.ErrLoad]) and every error in Rejected, e.g.
// verify.ErrIdentityMismatch for a bundle signed by someone else.
type UnverifiedError struct {
	// Digest is the manifest digest the reference was pinned to.
	Digest string
	// Rejected holds why each attached Sigstore bundle was refused; it is
	// empty when none is attached.
	Rejected []error
}

func (e *UnverifiedError) Error() string {
	if len(e.Rejected) == 0 {
		return fmt.Sprintf("%s: %s has no Sigstore bundle attached", ErrUnverified, e.Digest)
	}
	why := make([]string, len(e.Rejected))
	for i, r := range e.Rejected {
		why[i] = r.Error()
	}
	return fmt.Sprintf("%s: %s: %d attached bundle(s) refused: %s", ErrUnverified, e.Digest, len(e.Rejected), strings.Join(why, "; "))
}

// Unwrap returns ErrUnverified and the rejections.
func (e *UnverifiedError) Unwrap() []error { return append([]error{ErrUnverified}, e.Rejected...) }
