package boltinventory

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ztci/ztci/attest/inventory"
)

// ErrConfig: Open was given a bad option.
var ErrConfig = errors.New("boltinventory: invalid configuration")

// Option configures [Open].
type Option func(*config) error

type config struct {
	lockTimeout time.Duration
	log         *slog.Logger
}

// WithLockTimeout bounds how long Open waits for the file lock another
// process holds (default 1s); past it Open fails.
func WithLockTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: lock timeout %v", ErrConfig, d)
		}
		c.lockTimeout = d
		return nil
	}
}

// WithLogger sets the diagnostics logger (default: silent).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrConfig)
		}
		c.log = l
		return nil
	}
}

var (
	bucketMeta    = []byte("admission")  // decision id → admission (JSON, no packages)
	bucketPkgs    = []byte("packages")   // decision id → its entries (binary)
	bucketByPkg   = []byte("by-package") // key, decision id, version → spelling
	bucketDigest  = []byte("by-digest")
	bucketBuilder = []byte("by-builder")
	bucketSigner  = []byte("by-signer")    // SAN, decision id
	bucketKey     = []byte("by-key")       // key id, decision id
	bucketPolicy  = []byte("by-policy")    // policy revision, decision id
	bucketInput   = []byte("policy-input") // decision id → policy input JSON
	bucketFormat  = []byte("format")       // "version" → the format version, decimal
	keyVersion    = []byte("version")
)

// formatVersion is the file format this build writes. 1 is every file
// written before the version was recorded (with or without signers,
// policy inputs and the revision index); 2 keys pypi packages by their
// PEP 503 name; 3 keys nuget packages by their lower-case id
// ([inventory.ParsePURL]). Spellings ([inventory.Entry.Spelled]) came
// later in format 3 without a new version, as signers did in format 1:
// they change no key, and what an older build writes or reads without
// them is read as "spelling unknown". So did source packages
// ([inventory.Package.Source]): ordinary entries, marked in their
// spelling, which an older build reads as naming no package.
const formatVersion = 3

// Store is an [inventory.Store] in one bbolt file. Close it when done.
type Store struct {
	db  *bolt.DB
	log *slog.Logger
}

var _ inventory.Store = (*Store)(nil)

// Open opens (or creates, mode 0600) the index file at path. One process
// holds the file at a time: another Open waits up to the lock timeout. A
// file of an earlier format is migrated before Open returns (see the
// package documentation); one of a newer format is refused with an
// [*inventory.FormatError]. An existing file that group or others may
// write is refused with [ErrConfig].
func Open(path string, opts ...Option) (*Store, error) {
	cfg := config{lockTimeout: time.Second, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrConfig)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	// etcd's settings for large files: the freelist is rebuilt on open
	// rather than written on every commit.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: cfg.lockTimeout, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, fmt.Errorf("%w: open %s: %w", inventory.ErrUnavailable, path, err)
	}
	if err := checkMode(db); err != nil {
		db.Close()
		return nil, err
	}
	err = db.Update(upgrade)
	var fe *inventory.FormatError
	switch {
	case errors.As(err, &fe):
		db.Close()
		return nil, err
	case err != nil:
		db.Close()
		return nil, fmt.Errorf("%w: %s: %w", inventory.ErrUnavailable, path, err)
	}
	return &Store{db: db, log: cfg.log}, nil
}

// checkMode refuses ([ErrConfig]) an index file that group or others may
// write: whoever can write it can hide an admission from incident
// response or invent one. bbolt creates a new file 0600 but opens an
// existing one whatever its mode. (Whoever may write the directory can
// replace the file: keep it in one only the gate's user writes.) Windows
// permissions are not mode bits: not checked there.
func checkMode(db *bolt.DB) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	fi, err := os.Stat(db.Path())
	if err != nil {
		return fmt.Errorf("%w: %s: %w", inventory.ErrUnavailable, db.Path(), err)
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("%w: %s has permissions %v: group or others may write it (want 0600)", ErrConfig, db.Path(), perm)
	}
	return nil
}

// upgrade brings a file of any earlier format (or a new, empty one) to
// formatVersion in Open's one transaction: a crash or an error leaves the
// file as it was, and the next Open starts over. A newer format is a
// [*inventory.FormatError].
func upgrade(tx *bolt.Tx) error {
	found, err := readVersion(tx)
	if err != nil {
		return err
	}
	if found > formatVersion {
		return &inventory.FormatError{Store: tx.DB().Path(), Found: found, Supported: formatVersion}
	}
	// A file written before the policy revision index existed gets it
	// built from its admissions, so a revision query misses none.
	// (Admissions recorded then list no signers: nothing to backfill.)
	backfill := tx.Bucket(bucketMeta) != nil && tx.Bucket(bucketPolicy) == nil
	for _, b := range [][]byte{bucketMeta, bucketPkgs, bucketByPkg, bucketDigest, bucketBuilder, bucketSigner, bucketKey, bucketPolicy, bucketInput, bucketFormat} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	if backfill {
		if err := backfillPolicy(tx); err != nil {
			return err
		}
	}
	if found == formatVersion {
		return nil
	}
	// Each step re-derives the keys of the type whose normalization
	// changed in that format.
	for _, step := range []struct {
		to  int
		typ string
	}{{2, "pypi"}, {3, "nuget"}} {
		if found >= step.to {
			continue
		}
		if err := rekey(tx, step.typ); err != nil {
			return fmt.Errorf("format %d to %d: %w", step.to-1, step.to, err)
		}
	}
	return tx.Bucket(bucketFormat).Put(keyVersion, []byte(strconv.Itoa(formatVersion)))
}

// readVersion returns the file's format version: 1 when it records none.
func readVersion(tx *bolt.Tx) (int, error) {
	b := tx.Bucket(bucketFormat)
	if b == nil || b.Get(keyVersion) == nil {
		return 1, nil
	}
	v, err := strconv.Atoi(string(b.Get(keyVersion)))
	if err != nil || v < 1 {
		return 0, fmt.Errorf("malformed format version %q", b.Get(keyVersion))
	}
	return v, nil
}

func backfillPolicy(tx *bolt.Tx) error {
	byPolicy := tx.Bucket(bucketPolicy)
	return tx.Bucket(bucketMeta).ForEach(func(id, raw []byte) error {
		a, err := decodeMeta(string(id), raw)
		if err != nil {
			return fmt.Errorf("admission %q: %w", id, err)
		}
		if a.PolicyRevision == "" {
			return nil
		}
		return byPolicy.Put(key(a.PolicyRevision, a.DecisionID), nil)
	})
}

// rekey re-derives the keys of the packages of type typ
// ([inventory.CanonicalKey]) after the normalization of that type
// changed: in the by-package index, and in the package lists of the
// admissions that hold a changed key (duplicates this makes are merged,
// as Record merges them). The stored key is enough to derive the new one:
// no admission needs its SBOM again. Moved index keys keep no value: steps
// run only on files of before format 3, which hold no spellings.
func rekey(tx *bolt.Tx, typ string) error {
	byPkg, pkgs := tx.Bucket(bucketByPkg), tx.Bucket(bucketPkgs)
	type move struct{ from, to []byte }
	var moves []move
	ids := map[string]bool{}
	prefix := []byte(typ + "/")
	c := byPkg.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		old, rest, ok := bytes.Cut(k, []byte{0})
		id, _, ok2 := bytes.Cut(rest, []byte{0})
		if !ok || !ok2 {
			return fmt.Errorf("malformed index key %q", k)
		}
		canon, err := inventory.CanonicalKey(string(old))
		if err != nil {
			return fmt.Errorf("index key %q: %w", old, err)
		}
		if canon != string(old) {
			moves = append(moves, move{bytes.Clone(k), append([]byte(canon+"\x00"), rest...)})
			ids[string(id)] = true
		}
	}
	for _, m := range moves { // not while the cursor walks the bucket
		if err := byPkg.Delete(m.from); err != nil {
			return err
		}
		if err := byPkg.Put(m.to, nil); err != nil {
			return err
		}
	}
	for id := range ids {
		entries, err := decodeEntries(pkgs.Get([]byte(id)))
		if err != nil {
			return fmt.Errorf("packages of %q: %w", id, err)
		}
		if entries, err = inventory.CanonicalEntries(entries); err != nil {
			return fmt.Errorf("packages of %q: %w", id, err)
		}
		if err := pkgs.Put([]byte(id), encodeEntries(entries)); err != nil {
			return err
		}
	}
	return nil
}

// Close releases the file.
func (s *Store) Close() error { return s.db.Close() }

// encodeMeta writes an admission without its packages and policy input:
// its time in Unix microseconds (varint), then digest, image, first
// builder, job and policy revision as uvarint-length-prefixed strings,
// then the number of signers (uvarint) and each signer's issuer, SAN and
// key id, then the number of further builders (uvarint) and each of them.
// Files written before signers were recorded end after the policy
// revision, and those written before every builder was recorded end after
// the signers: decodeMeta reads them as admissions without signers, or
// with one builder at most. A build of before reads this one's first
// builder and ignores the rest (its queries by builder still miss the
// further builders, as they did).
func encodeMeta(a inventory.Admission) []byte {
	b := binary.AppendVarint(nil, a.Time.UnixMicro())
	put := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	first, more := "", []string(nil)
	if len(a.Builders) > 0 {
		first, more = a.Builders[0], a.Builders[1:]
	}
	for _, s := range []string{a.Digest, a.Image, first, a.Job, a.PolicyRevision} {
		put(s)
	}
	b = binary.AppendUvarint(b, uint64(len(a.Signers)))
	for _, sg := range a.Signers {
		put(sg.Issuer)
		put(sg.SAN)
		put(sg.KeyID)
	}
	if len(more) > 0 {
		b = binary.AppendUvarint(b, uint64(len(more)))
		for _, s := range more {
			put(s)
		}
	}
	return b
}

func decodeMeta(id string, b []byte) (inventory.Admission, error) {
	errShort := errors.New("truncated admission")
	us, k := binary.Varint(b)
	if k <= 0 {
		return inventory.Admission{}, errShort
	}
	b = b[k:]
	a := inventory.Admission{DecisionID: id, Time: time.UnixMicro(us).UTC()}
	read := func(f *string) error {
		l, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < l {
			return errShort
		}
		*f = string(b[k : k+int(l)])
		b = b[k+int(l):]
		return nil
	}
	var first string
	for _, f := range []*string{&a.Digest, &a.Image, &first, &a.Job, &a.PolicyRevision} {
		if err := read(f); err != nil {
			return inventory.Admission{}, err
		}
	}
	if first != "" {
		a.Builders = []string{first}
	}
	if len(b) == 0 {
		return a, nil // written before signers were recorded
	}
	n, k := binary.Uvarint(b)
	if k <= 0 || n > inventory.MaxSigners {
		return inventory.Admission{}, errShort
	}
	b = b[k:]
	a.Signers = make([]inventory.Signer, n)
	for i := range a.Signers {
		sg := &a.Signers[i]
		for _, f := range []*string{&sg.Issuer, &sg.SAN, &sg.KeyID} {
			if err := read(f); err != nil {
				return inventory.Admission{}, err
			}
		}
	}
	if len(a.Signers) == 0 {
		a.Signers = nil
	}
	if len(b) == 0 {
		return a, nil // one builder at most
	}
	n, k = binary.Uvarint(b)
	if k <= 0 || n == 0 || n >= inventory.MaxBuilders {
		return inventory.Admission{}, errors.New("malformed builder count")
	}
	b = b[k:]
	for range n {
		var builder string
		if err := read(&builder); err != nil {
			return inventory.Admission{}, err
		}
		a.Builders = append(a.Builders, builder)
	}
	return a, nil
}

// index keys: a NUL separates parts; no part may hold one (Normalize
// refuses control characters).
func key(parts ...string) []byte {
	var b []byte
	for i, p := range parts {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, p...)
	}
	return b
}

// Record implements [inventory.Store]. Concurrent calls are committed
// together (bbolt's Batch), each entirely or not at all.
func (s *Store) Record(ctx context.Context, a inventory.Admission) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", inventory.ErrUnavailable, err)
	}
	a, entries, err := inventory.Normalize(a)
	if err != nil {
		return err
	}
	m := encodeMeta(a)
	id := []byte(a.DecisionID)
	err = s.db.Batch(func(tx *bolt.Tx) error {
		metaB := tx.Bucket(bucketMeta)
		if metaB.Get(id) != nil {
			return fmt.Errorf("%w: %q", inventory.ErrDuplicate, a.DecisionID)
		}
		if err := metaB.Put(id, m); err != nil {
			return err
		}
		if err := tx.Bucket(bucketPkgs).Put(id, encodeEntries(entries)); err != nil {
			return err
		}
		byPkg := tx.Bucket(bucketByPkg)
		for _, e := range entries {
			if err := byPkg.Put(key(e.Key, a.DecisionID, e.Version), []byte(e.Spelled)); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketDigest).Put(key(a.Digest, a.DecisionID), nil); err != nil {
			return err
		}
		for _, b := range a.Builders {
			if err := tx.Bucket(bucketBuilder).Put(key(b, a.DecisionID), nil); err != nil {
				return err
			}
		}
		if a.PolicyRevision != "" {
			if err := tx.Bucket(bucketPolicy).Put(key(a.PolicyRevision, a.DecisionID), nil); err != nil {
				return err
			}
		}
		if len(a.PolicyInput) > 0 {
			if err := tx.Bucket(bucketInput).Put(id, a.PolicyInput); err != nil {
				return err
			}
		}
		for _, sg := range a.Signers {
			if sg.SAN != "" {
				if err := tx.Bucket(bucketSigner).Put(key(sg.SAN, a.DecisionID), nil); err != nil {
					return err
				}
			}
			if sg.KeyID != "" {
				if err := tx.Bucket(bucketKey).Put(key(sg.KeyID, a.DecisionID), nil); err != nil {
					return err
				}
			}
		}
		return nil
	})
	switch {
	case errors.Is(err, inventory.ErrDuplicate):
		return err
	case err != nil:
		s.log.ErrorContext(ctx, "inventory record failed", "decision", a.DecisionID, "err", err)
		return fmt.Errorf("%w: %w", inventory.ErrUnavailable, err)
	}
	return nil
}

// Query implements [inventory.Store]. A package query scans only the index
// keys of that package (one prefix of the by-package bucket); the version
// criteria are applied to them before any admission is read. Any other
// query scans one prefix of the index of its first criterion among
// digest, builder, signer, key id and policy revision, and decodes the
// package lists of the newest Limit admissions that match only.
func (s *Store) Query(ctx context.Context, q inventory.Query) (inventory.Result, error) {
	if err := ctx.Err(); err != nil {
		return inventory.Result{}, fmt.Errorf("%w: %w", inventory.ErrUnavailable, err)
	}
	mt, err := inventory.Compile(q)
	if err != nil {
		return inventory.Result{}, err
	}
	var hits []inventory.Admission
	err = s.db.View(func(tx *bolt.Tx) error {
		metaB, pkgsB, inputB := tx.Bucket(bucketMeta), tx.Bucket(bucketPkgs), tx.Bucket(bucketInput)
		load := func(id []byte) (inventory.Admission, bool, error) {
			raw := metaB.Get(id)
			if raw == nil {
				return inventory.Admission{}, false, fmt.Errorf("index names decision %q that has no admission", id)
			}
			a, err := decodeMeta(string(id), raw)
			if err != nil {
				return inventory.Admission{}, false, fmt.Errorf("admission %q: %w", id, err)
			}
			if !mt.Admits(&a) {
				return inventory.Admission{}, false, nil
			}
			if mt.WithPolicyInput {
				a.PolicyInput = bytes.Clone(inputB.Get(id)) // nil when not kept
			}
			return a, true, nil
		}
		if mt.Key == "" {
			var b []byte
			var prefixes [][]byte
			for _, c := range []struct {
				v      string
				bucket []byte
			}{{mt.PolicyRevision, bucketPolicy}, {mt.KeyID, bucketKey}, {mt.Signer, bucketSigner}, {mt.Builder, bucketBuilder}, {mt.Digest, bucketDigest}} {
				if c.v != "" { // the last set wins: digest is the most selective
					b, prefixes = c.bucket, [][]byte{key(c.v, "")}
				}
			}
			if bytes.Equal(b, bucketBuilder) && !strings.Contains(mt.Builder, "@") {
				// The builder at any "@<ref>" too (inventory.BuilderSelects):
				// its keys are "<id>@<ref>" 0 "<decision>", one prefix.
				prefixes = append(prefixes, []byte(mt.Builder+"@"))
			}
			// Two builders of one admission may both match (…@v1 and
			// …@v2 by their id without "@"): it is listed once.
			seen := map[string]bool{}
			c := tx.Bucket(b).Cursor()
			for _, prefix := range prefixes {
				for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
					id := k[len(prefix):]
					if prefix[len(prefix)-1] != 0 {
						// "<id>@<ref>" 0 "<decision>": the ref holds no 0
						// byte (no control character).
						var ok bool
						if _, id, ok = bytes.Cut(id, []byte{0}); !ok {
							return fmt.Errorf("malformed index key %q", k)
						}
					}
					if seen[string(id)] {
						continue
					}
					seen[string(id)] = true
					a, ok, err := load(id)
					if err != nil {
						return err
					}
					if ok {
						hits = append(hits, a)
					}
				}
			}
			// Packages only for the admissions the result holds (the
			// newest Limit, in Finish's order); the one after them is
			// kept, without packages, so that Finish sees more matched.
			slices.SortFunc(hits, func(a, b inventory.Admission) int {
				return cmp.Or(b.Time.Compare(a.Time), cmp.Compare(a.DecisionID, b.DecisionID))
			})
			hits = hits[:min(len(hits), mt.Limit+1)]
			for i := range hits[:min(len(hits), mt.Limit)] {
				entries, err := decodeEntries(pkgsB.Get([]byte(hits[i].DecisionID)))
				if err != nil {
					return fmt.Errorf("packages of %q: %w", hits[i].DecisionID, err)
				}
				hits[i] = inventory.WithEntries(hits[i], entries)
			}
			return nil
		}
		prefix := key(mt.Key, "")
		c := tx.Bucket(bucketByPkg).Cursor()
		var last []byte
		for k, spelled := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, spelled = c.Next() {
			id, ver, ok := bytes.Cut(k[len(prefix):], []byte{0})
			if !ok {
				return fmt.Errorf("malformed index key %q", k)
			}
			p, ok := mt.Match(string(ver), string(spelled))
			if !ok {
				continue
			}
			if last != nil && bytes.Equal(id, last) {
				hits[len(hits)-1].Packages = append(hits[len(hits)-1].Packages, p)
				continue
			}
			a, ok, err := load(id)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			a.Packages = []inventory.Package{p}
			hits = append(hits, a)
			last = bytes.Clone(id)
		}
		return nil
	})
	if err != nil {
		return inventory.Result{}, fmt.Errorf("%w: %w", inventory.ErrUnavailable, err)
	}
	return mt.Finish(hits), nil
}

// encodeEntries writes entries as uvarint-length-prefixed key, type and
// version strings, then their spellings. Package lists written before
// spellings were kept end after the versions: decodeEntries reads them as
// entries of unknown spelling, and builds of then ignore the spellings.
func encodeEntries(es []inventory.Entry) []byte {
	var b []byte
	put := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendUvarint(b, uint64(len(es)))
	for _, e := range es {
		put(e.Key)
		put(e.Type)
		put(e.Version)
	}
	for _, e := range es {
		put(e.Spelled)
	}
	return b
}

func decodeEntries(b []byte) ([]inventory.Entry, error) {
	errShort := errors.New("truncated package list")
	// An admission holds up to twice MaxPackages entries: each package may
	// be followed by the source package it names (inventory.Normalize).
	n, k := binary.Uvarint(b)
	if k <= 0 || n > 2*inventory.MaxPackages {
		return nil, errShort
	}
	b = b[k:]
	next := func() (string, error) {
		l, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < l {
			return "", errShort
		}
		s := string(b[k : k+int(l)])
		b = b[k+int(l):]
		return s, nil
	}
	out := make([]inventory.Entry, n)
	for i := range out {
		for _, f := range []*string{&out[i].Key, &out[i].Type, &out[i].Version} {
			var err error
			if *f, err = next(); err != nil {
				return nil, err
			}
		}
	}
	if len(b) == 0 {
		return out, nil // written before spellings were kept
	}
	for i := range out {
		var err error
		if out[i].Spelled, err = next(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
