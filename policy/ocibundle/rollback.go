package ocibundle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ztci/ztci/internal/x509ca"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/image"
)

// Floor is a rollback floor: the proven signing time of the newest bundle
// a Source activated, and that bundle's manifest digest. A Source refuses
// any bundle signed before SignedAt with [ErrRollback].
type Floor struct {
	// SignedAt is the bundle's signing time as Load proved it; the zero
	// time means no floor.
	SignedAt time.Time `json:"signedAt"`
	// Digest is the bundle's manifest digest, "sha256:<hex>". Besides
	// naming the bundle in errors and logs, it tells the bundle that set
	// the floor, which loads again, from another signed at the same
	// instant, which is refused: a [FloorStore] must return the Digest it
	// was given.
	Digest string `json:"digest"`
	// Ref is the reference the Source that set the floor follows, as
	// go-containerregistry names it ("registry.example/policies:prod").
	// The floor orders the bundles of that reference only: a Source
	// refuses a floor of another reference ([ErrFloorStore]) rather than
	// compare its bundles with another's, so a store (a file, a key)
	// shared or reused by mistake between two references, or between a
	// staging and a production Source, refuses instead of letting one
	// reference's floor decide for the other. A floor without Ref (one
	// recorded before Ref existed) is taken for this reference's, and the
	// next raise records Ref. A [FloorStore] must return the Ref it was
	// given.
	Ref string `json:"ref,omitempty"`
}

// String names the floor in errors and logs.
func (f Floor) String() string {
	at := f.SignedAt.UTC().Format(time.RFC3339Nano)
	if f.Digest == "" {
		return "a bundle signed at " + at
	}
	return f.Digest + " signed at " + at
}

// FloorStore keeps a Source's rollback floor where a restart does not lose
// it (see [WithFloorStore]). Its methods are called from Load, one call at
// a time per Source; a store shared by several Sources (the replicas of a
// fleet following the same reference) must be safe for concurrent use.
//
// A floor a store returns must be the zero Floor or have both a non-zero
// SignedAt and a Digest "sha256:<64 lowercase hex>"; anything else is an
// error of the store ([ErrFloorStore]), never taken for no floor. So is a
// floor whose Ref names another reference than the Source's, and a raise
// the store answers with the Source's floor without its Ref (a store that
// does not keep Ref cannot tell two references apart). A
// SignedAt in the future is not an error: a timestamp authority's clock may
// run ahead of a replica's, so no clock is consulted, and a floor written
// far ahead (by whoever can write the store, who can lower it as well)
// refuses every bundle signed before it, naming its time, until the
// publisher signs one later.
type FloorStore interface {
	// ReadFloor returns the floor stored, both its fields, or the zero
	// Floor when none is stored yet. An error refuses the bundle being
	// loaded.
	ReadFloor(ctx context.Context) (Floor, error)
	// RaiseFloor records f, in one atomic step with the check, unless the
	// store holds a floor signed after f.SignedAt, or another Digest
	// signed at the same instant: it keeps that one (the first of two
	// bundles signed at one instant to be recorded wins). It returns the
	// floor stored after the call, f or the one kept. It is called
	// before Load returns the bundle f names, which Load returns only if
	// f comes back: a later floor or another bundle at f's instant
	// refuses it with [ErrRollback], an earlier floor or an error with
	// [ErrFloorStore].
	//
	// The check and the write must be one step for every Source sharing
	// the store (a lock, a transaction, a compare-and-set): a Source reads
	// the floor before it raises it, and another replica may raise it in
	// between; the floor returned is how the loser of that race learns
	// it lost, instead of both running different bundles.
	RaiseFloor(ctx context.Context, f Floor) (Floor, error)
}

// checkFloor refuses a floor a store returned that is neither none nor a
// time and a bundle's manifest digest: a store that lost the digest, or
// whose contents were mangled, must not be read as a floor that some
// bundle matches, nor echo arbitrary bytes into errors and logs.
func checkFloor(f Floor) error {
	if f.SignedAt.IsZero() {
		if f.Digest != "" {
			return fmt.Errorf("floor names digest %.80q without a signing time", f.Digest)
		}
		return nil
	}
	if h, err := v1.NewHash(f.Digest); err != nil || h.Algorithm != "sha256" {
		return fmt.Errorf("floor signed at %s names %.80q, not a sha256 manifest digest", f.SignedAt.UTC().Format(time.RFC3339Nano), f.Digest)
	}
	return nil
}

// checkRef refuses a floor recorded for another reference than ref: its
// time orders another reference's bundles, not these. A floor without a
// reference predates Ref and is taken for ref's.
func checkRef(f Floor, ref string) error {
	if f.Ref != "" && f.Ref != ref {
		return fmt.Errorf("the floor is %.80q's, not %s's: each reference needs its own floor", f.Ref, ref)
	}
	return nil
}

// signingTime returns the latest time a trusted timestamp authority or
// transparency log proves for a signature of the target by the expected
// signer, among the attestations in scope: the times verify proved, never a time the signer claims.
//
// The latest, not the earliest: a signature the publisher adds later to an
// older manifest is a new endorsement of it (the way to roll back on
// purpose), and an attacker who can only delete attachments can only make
// the time earlier, which is refused, not accepted.
//
// A verified signature without a proven time cannot be ordered; verify
// never returns one (it requires at least one observer timestamp), so
// a target with no proven time at all is refused as unverified rather than
// activated unordered.
func signingTime(digest string, atts []image.Attestation) (time.Time, error) {
	var latest time.Time
	var untimed []error
	for _, a := range atts {
		if a.Err != nil {
			continue
		}
		if a.Result == nil || len(a.Result.Times) == 0 {
			untimed = append(untimed, fmt.Errorf("%w: attached bundle %s verified without a proven signing time", verify.ErrTimestamp, a.Bundle))
			continue
		}
		for _, pt := range a.Result.Times {
			if pt.Time.After(latest) {
				latest = pt.Time
			}
		}
	}
	if latest.IsZero() {
		return time.Time{}, &UnverifiedError{Digest: digest, Rejected: untimed}
	}
	return latest.UTC(), nil
}

// admit refuses v when it is below the rollback floor, and otherwise
// raises the floor to v: in the store first, when there is one, so that a
// bundle is never returned with a floor a restart would forget. The store
// may have been raised by another replica since it was read: the floor it
// returns decides, so that of two replicas racing only one activates.
func (s *Source) admit(ctx context.Context, v *verified) error {
	s.floorMu.Lock()
	defer s.floorMu.Unlock()
	floor, err := s.currentFloor(ctx)
	if err != nil {
		return err
	}
	next := Floor{SignedAt: v.signedAt, Digest: v.digest.String(), Ref: s.ref.Name()}
	if err := below(next, floor); err != nil {
		return err
	}
	if s.cfg.floorStore != nil {
		if err := s.raiseStore(ctx, next, floor); err != nil {
			return err
		}
	}
	s.floor = next
	s.mu.Lock()
	s.last = v
	s.mu.Unlock()
	return nil
}

// raiseStore raises the store's floor to next and refuses next unless the
// store kept it, with its reference. read is the floor read before: a
// store that keeps the floor recorded without a reference (before Ref
// existed) at next's instant and digest kept next; any other floor of
// next's without Ref means the store does not keep Ref.
func (s *Source) raiseStore(ctx context.Context, next, read Floor) error {
	stored, err := s.cfg.floorStore.RaiseFloor(ctx, next)
	if err == nil {
		err = checkFloor(stored)
	}
	if err == nil {
		err = checkRef(stored, next.Ref)
	}
	if err != nil {
		return fmt.Errorf("%w: raise to %s: %w", ErrFloorStore, next, err)
	}
	if err := below(next, stored); err != nil {
		return fmt.Errorf("%w (raised by another Source sharing the store)", err)
	}
	if stored.SignedAt.Before(next.SignedAt) {
		return fmt.Errorf("%w: raise to %s: the store kept %s, an earlier floor", ErrFloorStore, next, stored)
	}
	if legacy := read.Ref == "" && read.SignedAt.Equal(stored.SignedAt) && read.Digest == stored.Digest; stored.Ref != next.Ref && !legacy {
		return fmt.Errorf("%w: raise to %s: the store kept it without its reference", ErrFloorStore, next)
	}
	return nil
}

// readmit refuses the bundle Load returned last when the floor has risen
// above it since: a replica sharing the store activated a newer bundle
// while the registry still serves this one here (a tag moved back, a
// replica of the registry or a cache serving an older answer). Returning
// it again, as before, kept that replica on the older bundle with no error
// to say so. With a store, the store is read (and a store that cannot be
// read refuses, as in admit).
func (s *Source) readmit(ctx context.Context, v *verified) error {
	s.floorMu.Lock()
	defer s.floorMu.Unlock()
	floor, err := s.currentFloor(ctx)
	if err != nil {
		return err
	}
	return below(Floor{SignedAt: v.signedAt, Digest: v.digest.String()}, floor)
}

// below refuses the bundle f names when it was signed before the floor, or
// at the same instant as another bundle: the bundle that set the floor
// loads again (a restarted replica must reload it), but two bundles proven
// at one instant cannot be ordered, and admitting both, as before, let
// whoever moves the tag switch a replica between them at will, or fleet
// replicas run different policies under one floor.
func below(f, floor Floor) error {
	switch {
	case f.SignedAt.Before(floor.SignedAt):
		return fmt.Errorf("%w: %s is older than %s", ErrRollback, f, floor)
	case f.SignedAt.Equal(floor.SignedAt) && f.Digest != floor.Digest:
		return fmt.Errorf("%w: %s was signed at the same time as %s, already activated", ErrRollback, f, floor)
	}
	return nil
}

// currentFloor is the later of the floor this Source set and the one in
// its store: the store may have been raised by another replica, and a
// store that lost its floor must not lower this Source's. At equal times
// the store's wins: it says which of two bundles signed at one instant the
// fleet activated.
func (s *Source) currentFloor(ctx context.Context) (Floor, error) {
	if s.cfg.floorStore == nil {
		return s.floor, nil
	}
	stored, err := s.cfg.floorStore.ReadFloor(ctx)
	if err == nil {
		err = checkFloor(stored)
	}
	if err == nil {
		err = checkRef(stored, s.ref.Name())
	}
	if err != nil {
		return Floor{}, fmt.Errorf("%w: read: %w", ErrFloorStore, err)
	}
	if stored.SignedAt.Before(s.floor.SignedAt) {
		return s.floor, nil
	}
	return stored, nil
}

// maxFloorFile bounds what FileFloorStore reads: a floor is a time and a
// digest, well under 200 bytes.
const maxFloorFile = 4 << 10

// FileFloorStore is a [FloorStore] in one local file, for a single
// process that must keep its floor across restarts. The file holds the
// floor as JSON and is replaced atomically (a temporary file in the same
// directory, mode 0600, fsync, rename, fsync of the directory). It is safe
// for concurrent use within one process, as one value: its raise is
// atomic only among the Sources that share the *FileFloorStore, so open a
// file once. Processes must not share a file (give replicas on several
// hosts a shared store of your own).
//
// Whoever can delete or rewrite the file can lower the floor, and so bring
// back an older bundle the publisher signed, so the file and its
// directory must be this process's alone. [NewFileFloorStore], and every
// read and raise after it, refuse ([ErrUnsafeFloorFile]) a directory
// another user could change, checked as OpenSSH checks ~/.ssh: on Unix,
// every directory from / down to the file's, and every symbolic link on
// the way, owned by root or this process's effective user; the file's
// directory writable by nobody else; a directory above it writable by
// others only if it is sticky (like /tmp). The file itself must be a
// regular file (not a symbolic link, not a FIFO) owned by this process's
// effective user that group and others cannot write. A file that does not
// hold exactly one floor is an error, never read as no floor. The checks
// keep out other users only: a job that runs as this process's user, or
// as root, can still lower the floor, so run jobs as another user (or
// keep the floor on another host).
//
// A missing file is no floor: the store cannot tell a first start from a
// file deleted since (by root or this process's user, the only ones the
// checks above leave able to). After a restart the first signed bundle the
// reference names loads, however old; [WithMaxAge] bounds how old. A
// vendor that must tell the two apart keeps the floor in a store whose
// loss is an error (a database row written when the gate is provisioned,
// whose absence ReadFloor reports as an error rather than the zero
// Floor), or refuses to start once deployed if the file is missing.
type FileFloorStore struct {
	dir  string // resolved by x509ca.SecureDir: absolute, no symbolic links
	name string
	mu   sync.Mutex
}

var _ FloorStore = (*FileFloorStore)(nil)

// NewFileFloorStore returns a store in the file at path, which need not
// exist yet. Its directory is created (0700) if missing and checked as
// [FileFloorStore] describes: a directory another user could change is
// [ErrUnsafeFloorFile]; an empty path, one that names no file, and a
// directory that cannot be made or inspected are [ErrConfig]. The
// directory is resolved once, here: a symbolic link on the way changed
// later changes nothing, and a directory removed later is an error, not a
// first start.
func NewFileFloorStore(path string) (*FileFloorStore, error) {
	if path == "" {
		return nil, fmt.Errorf("%w: empty floor file path", ErrConfig)
	}
	clean := filepath.Clean(path)
	name := filepath.Base(clean)
	if last := filepath.Base(path); last == "." || last == ".." || name == "." || name == ".." || name == string(filepath.Separator) {
		return nil, fmt.Errorf("%w: floor file path %q names no file", ErrConfig, path)
	}
	dir, err := x509ca.SecureDir(filepath.Dir(clean), true)
	if errors.Is(err, x509ca.ErrUnsafeKeyFile) {
		return nil, floorFileError(err)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: floor file directory: %w", ErrConfig, err)
	}
	return &FileFloorStore{dir: dir, name: name}, nil
}

// floorFileError wraps an error of the floor file's checks in
// [ErrUnsafeFloorFile] when it is one. Both x509ca's errors and os's name
// the path.
func floorFileError(err error) error {
	if errors.Is(err, x509ca.ErrUnsafeKeyFile) {
		return fmt.Errorf("%w: %w", ErrUnsafeFloorFile, err)
	}
	return err
}

// ReadFloor returns the floor in the file, the zero Floor when the file
// does not exist. A file or directory that fails the checks described at
// [FileFloorStore] ([ErrUnsafeFloorFile]), a directory removed since
// [NewFileFloorStore], and a file that cannot be read or does not hold one
// floor are errors: a floor that cannot be read is not taken for none.
func (s *FileFloorStore) ReadFloor(context.Context) (Floor, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	path, err := s.path()
	if err != nil {
		return Floor{}, err
	}
	return readFloorFile(path)
}

// RaiseFloor writes f unless the file holds a later floor or another
// bundle at f's instant, and returns the floor the file holds after. A
// file holding the floor of another reference (see [Floor.Ref]) is not
// overwritten: that is an error. So is anything ReadFloor refuses.
func (s *FileFloorStore) RaiseFloor(_ context.Context, f Floor) (Floor, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	path, err := s.path()
	if err != nil {
		return Floor{}, err
	}
	cur, err := readFloorFile(path)
	if err != nil {
		return Floor{}, err
	}
	if err := checkRef(cur, f.Ref); err != nil {
		return Floor{}, fmt.Errorf("%s: %w", path, err)
	}
	if cur.Ref == "" && cur.SignedAt.Equal(f.SignedAt) && cur.Digest == f.Digest {
		cur = Floor{} // recorded before Ref existed: record it with its reference
	}
	if !cur.SignedAt.Before(f.SignedAt) {
		return cur, nil
	}
	b, err := json.Marshal(f)
	if err != nil {
		return Floor{}, err
	}
	if err := x509ca.WriteFile(path, b); err != nil {
		return Floor{}, floorFileError(err)
	}
	return f, nil
}

// path checks the directory again (its modes may have changed since
// NewFileFloorStore; it was resolved then, so no symbolic link is
// followed now) and returns the file's path in it. A directory that no
// longer exists is an error: it existed when the store was made.
func (s *FileFloorStore) path() (string, error) {
	dir, err := x509ca.SecureDir(s.dir, false)
	if err != nil {
		return "", floorFileError(err)
	}
	return filepath.Join(dir, s.name), nil
}

// readFloorFile returns the floor in the file at path, in a checked
// directory, or the zero Floor when the file does not exist.
func readFloorFile(path string) (Floor, error) {
	file, err := x509ca.OpenStateFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Floor{}, nil
	}
	if err != nil {
		return Floor{}, floorFileError(err)
	}
	defer file.Close()
	b, err := io.ReadAll(io.LimitReader(file, maxFloorFile+1))
	if err != nil {
		return Floor{}, fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > maxFloorFile {
		return Floor{}, fmt.Errorf("%s: larger than a floor", path)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f Floor
	if err := dec.Decode(&f); err != nil || dec.More() || f.SignedAt.IsZero() {
		return Floor{}, fmt.Errorf("%s: not a rollback floor", path)
	}
	if err := checkFloor(f); err != nil {
		return Floor{}, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}
