package natskeys

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/internal/kvconf"
)

// Errors.
var (
	// ErrUnavailable: the bucket did not answer, or the store's last good
	// key set is older than [WithMaxStaleness], or the store is closed. It
	// also matches [oidc.ErrKeyStore]: an issuer then serves no fleet key
	// set and mints only while its own key's publication covers the token.
	ErrUnavailable = fmt.Errorf("natskeys: key bucket unavailable: %w", oidc.ErrKeyStore)
	// ErrConfig: an invalid option, or an existing bucket whose values may
	// be larger than [oidc.MaxPublishedKeySize] or whose stream drops
	// values by itself (a max age, interest or work-queue retention,
	// discard old with a limit, memory storage, fewer replicas than asked).
	ErrConfig = errors.New("natskeys: invalid configuration")
	// ErrRecord: a record in the bucket is malformed, oversized, stored
	// under a key that does not match its kid, or holds a key the verifier
	// would refuse. Such a record is ignored (logged), never served. It
	// wraps [oidc.ErrKeyRecord].
	ErrRecord = fmt.Errorf("natskeys: %w", oidc.ErrKeyRecord)
)

// maxRecords bounds how many records (live, expired or malformed) a
// snapshot reads: past it the bucket is being flooded and the store fails
// closed rather than read without bound.
const maxRecords = 4 * oidc.MaxFleetKeys

// maxMarkers bounds the delete markers (left by swept records) a snapshot
// reads; markers older than markerAge are purged by the snapshot that sees
// them, so only a flood of writes reaches the bound.
const (
	maxMarkers = 16 * maxRecords
	markerAge  = 30 * time.Minute
)

// maxPublishAttempts bounds the compare-and-set retries of one Publish.
const maxPublishAttempts = 5

// entry is one slot of the bucket: a valid record, or a revocation.
type entry struct {
	key     oidc.PublishedKey
	rev     uint64
	revoked bool
}

// servable reports whether e is a record Keys may return at now.
func (e entry) servable(now time.Time) bool { return !e.revoked && e.key.NotAfter.After(now) }

// Store is an [oidc.KeyStore] on a JetStream KV bucket: each issuer replica
// publishes its public keys there, and every replica's Store watches the
// bucket and serves the fleet's live keys from memory. It runs one
// goroutine (the watch and the periodic re-read); Close stops it. The NATS
// connection belongs to the caller.
type Store struct {
	kv     jetstream.KeyValue
	stream jetstream.Stream // the bucket's stream: purges delete markers
	bucket string
	cfg    config

	mu      sync.Mutex
	keys    map[string]entry  // KV key -> valid record
	synced  time.Time         // when a full read last succeeded (cfg.now)
	lastErr error             // why the last full read failed, if it did
	bad     map[string]uint64 // KV key -> revision of a refused record, logged once
	// revoked holds the KV keys this store has seen revoked (at most
	// maxRecords): a revocation stays in force here even if a writer of
	// the bucket later overwrites or deletes it.
	revoked map[string]struct{}
	closed  bool

	cancel context.CancelFunc
	done   chan struct{}
}

var _ oidc.KeyStore = (*Store)(nil)

var bucketName = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// New binds to (creating it if needed) the KV bucket holding the fleet's
// public keys, reads it completely, and starts watching it. The bucket
// keeps one revision per key and refuses values over
// [oidc.MaxPublishedKeySize]; an existing bucket without that limit is
// refused ([ErrConfig]). If the first read fails, New fails. Options:
// [WithBucket], [WithReplicas], [WithTimeout], [WithRefresh],
// [WithMaxStaleness], [WithClock], [WithLogger].
func New(ctx context.Context, js jetstream.JetStream, opts ...Option) (*Store, error) {
	if js == nil {
		return nil, fmt.Errorf("%w: nil JetStream", ErrConfig)
	}
	cfg := defaults()
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrConfig)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.maxStale <= cfg.refresh {
		return nil, fmt.Errorf("%w: max staleness %v must exceed the refresh interval %v", ErrConfig, cfg.maxStale, cfg.refresh)
	}
	cctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	kv, err := js.CreateKeyValue(cctx, jetstream.KeyValueConfig{
		Bucket:       cfg.bucket,
		Description:  "ztci OIDC issuer fleet: public verification keys (JWK, not-before, not-after) by SHA-256 of kid",
		History:      1,
		Replicas:     cfg.replicas,
		Storage:      jetstream.FileStorage,
		MaxValueSize: oidc.MaxPublishedKeySize,
	})
	if errors.Is(err, jetstream.ErrBucketExists) {
		kv, err = js.KeyValue(cctx, cfg.bucket)
	}
	if err != nil {
		return nil, unavailable(cfg.bucket, err)
	}
	st, err := kv.Status(cctx)
	if err != nil {
		return nil, unavailable(cfg.bucket, err)
	}
	bs, ok := st.(*jetstream.KeyValueBucketStatus)
	if !ok {
		return nil, unavailable(cfg.bucket, errors.New("no stream status"))
	}
	if m := bs.StreamInfo().Config.MaxMsgSize; m <= 0 || m > oidc.MaxPublishedKeySize {
		return nil, fmt.Errorf("%w: bucket %q accepts values of %d bytes; it must refuse values over %d", ErrConfig, cfg.bucket, m, oidc.MaxPublishedKeySize)
	}
	// Revocations are kept for good: a stream that drops values by itself
	// (a max age, interest retention, discard old, memory storage, fewer
	// replicas than asked) forgets one, and the revoked kid is served and
	// published again.
	if err := kvconf.Check(bs.StreamInfo().Config, cfg.replicas); err != nil {
		return nil, fmt.Errorf("%w: bucket %q: %w", ErrConfig, cfg.bucket, err)
	}
	stream, err := js.Stream(cctx, bs.StreamInfo().Config.Name)
	if err != nil {
		return nil, unavailable(cfg.bucket, err)
	}
	s := &Store{kv: kv, stream: stream, bucket: cfg.bucket, cfg: cfg, keys: map[string]entry{}, bad: map[string]uint64{}, revoked: map[string]struct{}{}, done: make(chan struct{})}
	wctx, wcancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = wcancel
	// Watch before the first full read: a change written between the read
	// and a watch started later (a revocation included) would wait for
	// the next refresh. What the read already holds, apply ignores.
	w := s.watch(wctx)
	if err := s.reload(ctx); err != nil {
		if w != nil {
			_ = w.Stop()
		}
		wcancel()
		return nil, err
	}
	go s.run(wctx, w)
	return s, nil
}

// UnavailableError reports that the bucket could not answer.
type UnavailableError struct {
	Bucket string
	Err    error
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("natskeys: bucket %q unavailable: %v", e.Bucket, e.Err)
}

func (e *UnavailableError) Unwrap() []error { return []error{ErrUnavailable, e.Err} }

func unavailable(bucket string, err error) error { return &UnavailableError{Bucket: bucket, Err: err} }

// Key returns the KV key under which the record of kid lives: the unpadded
// base64url SHA-256 of kid, so that any kid is a valid KV key and a record
// copied under another kid's key is refused.
func Key(kid string) string {
	sum := sha256.Sum256([]byte(kid))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// decodeRecord decodes the untrusted value stored under key: at most
// [oidc.MaxPublishedKeySize] bytes, a record [oidc.ParsePublishedKey]
// accepts, stored under the key its kid hashes to. Times are not checked.
func decodeRecord(key string, value []byte) (oidc.PublishedKey, error) {
	if len(value) > oidc.MaxPublishedKeySize {
		return oidc.PublishedKey{}, fmt.Errorf("%w: %d bytes, more than %d", ErrRecord, len(value), oidc.MaxPublishedKeySize)
	}
	k, err := oidc.ParsePublishedKey(value)
	if err != nil {
		return oidc.PublishedKey{}, fmt.Errorf("%w: %w", ErrRecord, err)
	}
	if Key(k.ID) != key {
		return oidc.PublishedKey{}, fmt.Errorf("%w: record for kid %q stored under another kid's key", ErrRecord, k.ID)
	}
	return k, nil
}

// tombstone is the value [Store.Revoke] writes in a kid's slot.
type tombstone struct {
	Revoked string `json:"revoked"`
}

func tombstoneFor(kid string) []byte {
	b, _ := json.Marshal(tombstone{Revoked: kid}) // a string field: cannot fail
	return b
}

// decodeEntry decodes the untrusted value stored under key: a revocation,
// which must be byte for byte what Revoke writes for the kid key hashes
// from (anything else in that shape is no revocation and no record), or a
// record decodeRecord accepts.
func decodeEntry(key string, value []byte) (entry, error) {
	var t tombstone
	if len(value) <= oidc.MaxPublishedKeySize && json.Unmarshal(value, &t) == nil && t.Revoked != "" &&
		Key(t.Revoked) == key && bytes.Equal(value, tombstoneFor(t.Revoked)) {
		return entry{revoked: true}, nil
	}
	k, err := decodeRecord(key, value)
	return entry{key: k}, err
}

// decodeLive is decodeEntry, refusing too a record published beyond the
// horizon.
func decodeLive(key string, value []byte, now time.Time) (entry, error) {
	e, err := decodeEntry(key, value)
	if err == nil && !e.revoked {
		err = beyondHorizon(e.key, now)
	}
	return e, err
}

// beyondHorizon refuses a record published further ahead than
// [oidc.MaxKeyHorizon] (an expired record is not an error: it lapses).
func beyondHorizon(k oidc.PublishedKey, now time.Time) error {
	if k.NotAfter.Sub(now) > oidc.MaxKeyHorizon {
		return fmt.Errorf("%w: kid %q published until %s, more than %v ahead", ErrRecord, k.ID, k.NotAfter.UTC().Format(time.RFC3339), oidc.MaxKeyHorizon)
	}
	return nil
}

// watch starts watching the bucket's changes, or returns nil (logged):
// the periodic reads then stand in, and run tries again.
func (s *Store) watch(ctx context.Context) jetstream.KeyWatcher {
	w, err := s.kv.WatchAll(ctx, jetstream.UpdatesOnly())
	if err != nil {
		s.cfg.logger.WarnContext(ctx, "natskeys: watch failed; relying on periodic reads", "bucket", s.bucket, "error", err)
		return nil
	}
	return w
}

// run applies w's changes (w may be nil) and re-reads the bucket every
// refresh interval until Close.
func (s *Store) run(ctx context.Context, w jetstream.KeyWatcher) {
	defer close(s.done)
	tick := time.NewTicker(s.cfg.refresh)
	defer tick.Stop()
	var updates <-chan jetstream.KeyValueEntry
	watch := func() {
		if w = s.watch(ctx); w != nil {
			updates = w.Updates()
		}
	}
	if w != nil {
		updates = w.Updates()
	}
	defer func() {
		if w != nil {
			_ = w.Stop()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-updates:
			if !ok {
				w, updates = nil, nil
				continue
			}
			if e != nil {
				s.apply(ctx, e)
			}
		case <-tick.C:
			if err := s.reload(ctx); err != nil {
				s.cfg.logger.WarnContext(ctx, "natskeys: reading the key bucket failed; serving the last good set until it is stale",
					"bucket", s.bucket, "error", err)
			}
			if w == nil {
				watch()
			}
		}
	}
}

// apply folds one watched change into the cache.
func (s *Store) apply(ctx context.Context, e jetstream.KeyValueEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.keys[e.Key()]; ok && old.rev >= e.Revision() {
		return
	}
	if e.Operation() != jetstream.KeyValuePut {
		s.setLocked(e.Key(), entry{rev: e.Revision()}, false)
		return
	}
	en, err := decodeLive(e.Key(), e.Value(), s.cfg.now())
	if err != nil {
		s.refuseLocked(ctx, e.Key(), e.Revision(), err)
		s.setLocked(e.Key(), entry{rev: e.Revision()}, false)
		return
	}
	en.rev = e.Revision()
	s.setLocked(e.Key(), en, true)
}

// setLocked puts en in the cache under key (present false: the slot is
// empty), unless this store has seen key revoked: a revocation once seen
// is never lifted here, whatever a writer of the bucket puts over it
// later (a record, a delete) — Keys never serves the key again, Publish
// refuses it, Revoked reports it. Called with s.mu held.
func (s *Store) setLocked(key string, en entry, present bool) {
	if present && en.revoked && len(s.revoked) < maxRecords {
		s.revoked[key] = struct{}{}
	}
	if _, ok := s.revoked[key]; ok {
		en, present = entry{revoked: true, rev: en.rev}, true
	}
	if !present {
		delete(s.keys, key)
		return
	}
	s.keys[key] = en
}

// refuseLocked logs a refused record once per revision.
func (s *Store) refuseLocked(ctx context.Context, key string, rev uint64, err error) {
	if s.bad[key] == rev {
		return
	}
	if len(s.bad) >= maxRecords {
		clear(s.bad)
	}
	s.bad[key] = rev
	s.cfg.logger.ErrorContext(ctx, "natskeys: key record ignored", "bucket", s.bucket, "kv_key", key, "revision", rev, "error", err)
}

// reload reads the whole bucket (a snapshot through an ordered consumer)
// and replaces the cache, keeping watched entries newer than the snapshot.
// Expired records are deleted (compare-and-set on their revision, so a
// record renewed meanwhile stays), and delete markers older than half an
// hour are purged.
func (s *Store) reload(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
	defer cancel()
	err := s.snapshot(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.lastErr = err
		return err
	}
	s.synced, s.lastErr = s.cfg.now(), nil
	return nil
}

func (s *Store) snapshot(ctx context.Context) error {
	w, err := s.kv.WatchAll(ctx)
	if err != nil {
		return unavailable(s.bucket, err)
	}
	defer func() { _ = w.Stop() }()
	fresh := map[string]entry{}
	var expired []entry
	var maxRev uint64
	var markers int
	var oldMarkers []jetstream.KeyValueEntry
	now := s.cfg.now()
	for n := 0; ; {
		var e jetstream.KeyValueEntry
		var ok bool
		select {
		case e, ok = <-w.Updates():
		case <-ctx.Done():
			return unavailable(s.bucket, ctx.Err())
		}
		if !ok {
			return unavailable(s.bucket, errors.New("watch closed during the read"))
		}
		if e == nil {
			break // the initial values are complete
		}
		maxRev = max(maxRev, e.Revision())
		if e.Operation() != jetstream.KeyValuePut {
			if markers++; markers > maxMarkers {
				return unavailable(s.bucket, fmt.Errorf("more than %d delete markers: refusing to read an unbounded bucket", maxMarkers))
			}
			if now.Sub(e.Created()) > markerAge {
				oldMarkers = append(oldMarkers, e)
			}
			continue
		}
		if n++; n > maxRecords {
			return unavailable(s.bucket, fmt.Errorf("more than %d records: refusing to read an unbounded key set", maxRecords))
		}
		en, err := decodeLive(e.Key(), e.Value(), now)
		if err != nil {
			s.mu.Lock()
			s.refuseLocked(ctx, e.Key(), e.Revision(), err)
			s.mu.Unlock()
			continue
		}
		en.rev = e.Revision()
		if !en.revoked && !en.key.NotAfter.After(now) {
			expired = append(expired, en)
			continue
		}
		fresh[e.Key()] = en // revocations are kept for good: never swept
	}
	s.mu.Lock()
	for key, old := range s.keys {
		if old.rev > maxRev { // watched after the snapshot began
			if cur, ok := fresh[key]; !ok || cur.rev < old.rev {
				fresh[key] = old
			}
		}
	}
	s.keys = make(map[string]entry, len(fresh))
	for key, en := range fresh {
		s.setLocked(key, en, true)
	}
	for key := range s.revoked { // seen revoked, now overwritten or gone
		if en := s.keys[key]; !en.revoked {
			s.setLocked(key, en, true)
		}
	}
	s.mu.Unlock()
	for _, e := range expired {
		// Any replica may sweep; the revision guard keeps a renewal.
		if err := s.kv.Delete(ctx, Key(e.key.ID), jetstream.LastRevision(e.rev)); err != nil && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			s.cfg.logger.DebugContext(ctx, "natskeys: sweeping an expired key record failed", "bucket", s.bucket, "kid", e.key.ID, "error", err)
		}
	}
	s.purgeMarkers(ctx, oldMarkers)
	return nil
}

// purgeMarkers removes the delete markers the snapshot found old by the
// configured clock (kv.PurgeDeletes would judge age by the wall clock).
// Each purge stops at the marker's own revision, so a record written on
// that key since (a revocation included) is kept.
func (s *Store) purgeMarkers(ctx context.Context, markers []jetstream.KeyValueEntry) {
	for _, e := range markers {
		subject := "$KV." + s.bucket + "." + e.Key()
		if err := s.stream.Purge(ctx, jetstream.WithPurgeSubject(subject), jetstream.WithPurgeSequence(e.Revision()+1)); err != nil {
			s.cfg.logger.DebugContext(ctx, "natskeys: purging an old delete marker failed", "bucket", s.bucket, "error", err)
		}
	}
}

// Keys implements [oidc.KeyStore]: the live keys of the last good read of
// the bucket, updated by the watch. Once no full read has succeeded for
// [WithMaxStaleness] it returns an [*UnavailableError] instead (fail
// closed), and more than [oidc.MaxFleetKeys] live keys is an error wrapping
// [oidc.ErrTooManyKeys] (the store does not choose which to serve). It
// does no I/O.
func (s *Store) Keys(context.Context) ([]oidc.PublishedKey, error) {
	now := s.cfg.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return nil, unavailable(s.bucket, errors.New("store closed"))
	case now.Sub(s.synced) > s.cfg.maxStale:
		return nil, unavailable(s.bucket, fmt.Errorf("key set last read %v ago, more than %v (last error: %v)",
			now.Sub(s.synced).Round(time.Second), s.cfg.maxStale, s.lastErr))
	}
	out := make([]oidc.PublishedKey, 0, len(s.keys))
	for _, e := range s.keys {
		// Shape and horizon were checked when the record was read; the
		// horizon only recedes, so expiry is all that is left to check.
		if e.servable(now) {
			out = append(out, e.key)
		}
	}
	if len(out) > oidc.MaxFleetKeys {
		return nil, fmt.Errorf("%w: bucket %q holds %d live keys, at most %d", oidc.ErrTooManyKeys, s.bucket, len(out), oidc.MaxFleetKeys)
	}
	oidc.SortPublished(out)
	return out, nil
}

// Publish implements [oidc.KeyStore]: it creates the record of k.ID, or
// extends the existing one with a compare-and-set update on its revision
// (retried on a concurrent write), merging with [oidc.MergePublished]; a
// live record of another key under the same kid is a conflict
// ([oidc.ErrKeyConflict]). A new kid is refused when the last read already
// holds [oidc.MaxFleetKeys] live keys. A record that already covers k is
// left untouched (no write).
func (s *Store) Publish(ctx context.Context, k oidc.PublishedKey) error {
	now := s.cfg.now()
	if err := k.Validate(now); err != nil {
		return err
	}
	key := Key(k.ID)
	s.mu.Lock()
	_, seenRevoked := s.revoked[key]
	s.mu.Unlock()
	if seenRevoked {
		return fmt.Errorf("%w: kid %q in bucket %q", oidc.ErrKeyRevoked, k.ID, s.bucket)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
	defer cancel()
	for range maxPublishAttempts {
		cur, err := s.kv.Get(ctx, key)
		var old oidc.PublishedKey
		var rev uint64
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted):
			if n := s.live(now); n >= oidc.MaxFleetKeys {
				return fmt.Errorf("%w: bucket %q holds %d live keys", oidc.ErrTooManyKeys, s.bucket, n)
			}
		case err != nil:
			return unavailable(s.bucket, err)
		default:
			rev = cur.Revision()
			slot, err := decodeEntry(key, cur.Value())
			switch {
			case err != nil:
				// Our kid's slot holds garbage: it is never served, and the
				// valid record replaces it.
				s.cfg.logger.ErrorContext(ctx, "natskeys: replacing an invalid key record", "bucket", s.bucket, "kid", k.ID, "error", err)
			case slot.revoked:
				slot.rev = rev
				s.store(key, slot)
				return fmt.Errorf("%w: kid %q in bucket %q", oidc.ErrKeyRevoked, k.ID, s.bucket)
			default:
				old = slot.key
			}
		}
		merged, err := oidc.MergePublished(old, k, now)
		if err != nil {
			return err
		}
		if rev != 0 && old.ID != "" && merged.NotAfter.Equal(old.NotAfter) && merged.NotBefore.Equal(old.NotBefore) {
			s.store(key, entry{key: merged, rev: rev})
			return nil
		}
		value, err := json.Marshal(merged)
		if err != nil {
			return err
		}
		var newRev uint64
		if rev == 0 {
			newRev, err = s.kv.Create(ctx, key, value)
		} else {
			newRev, err = s.kv.Update(ctx, key, value, rev)
		}
		switch {
		case err == nil:
			s.store(key, entry{key: merged, rev: newRev})
			return nil
		case errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch):
			continue // another replica wrote first: read again and merge
		default:
			return unavailable(s.bucket, err)
		}
	}
	return unavailable(s.bucket, fmt.Errorf("kid %q: %d concurrent updates in a row", k.ID, maxPublishAttempts))
}

// Revoke implements [oidc.KeyStore]: it writes a revocation,
// {"revoked":kid}, over kid's slot, whatever it held. A Publish that read
// the record before then fails its compare-and-set, reads the revocation
// and is refused ([oidc.ErrKeyRevoked]); a Create of a new record fails on
// the existing slot. This store drops the key at once, every other Store
// of the bucket when its watch delivers the revocation (milliseconds) or
// at its next full read ([WithRefresh]) at the latest. Revocations are
// never swept: each holds one of the records a read accepts for good.
func (s *Store) Revoke(ctx context.Context, kid string) error {
	if err := oidc.CheckKeyID(kid); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
	defer cancel()
	key := Key(kid)
	rev, err := s.kv.Put(ctx, key, tombstoneFor(kid))
	if err != nil {
		return unavailable(s.bucket, err)
	}
	s.store(key, entry{revoked: true, rev: rev})
	return nil
}

// Revoked implements [oidc.RevocationChecker]: whether the last read of
// the bucket, updated by the watch, holds a revocation of kid. It does no
// I/O, so an issuer asks it before every signature and stops signing with
// a key another replica revoked once the watch delivers the revocation
// (milliseconds), not at its next renewal. It answers from the last read
// also past [WithMaxStaleness] (the issuer's own publication bounds how
// long it mints through an outage); after Close it fails.
func (s *Store) Revoked(_ context.Context, kid string) (bool, error) {
	key := Key(kid)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false, unavailable(s.bucket, errors.New("store closed"))
	}
	return s.keys[key].revoked, nil
}

var _ oidc.RevocationChecker = (*Store)(nil)

// store puts an entry this store wrote (or read) into the cache.
func (s *Store) store(key string, e entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.keys[key]; ok && old.rev >= e.rev {
		return
	}
	s.setLocked(key, e, true)
}

// live counts the cached live records.
func (s *Store) live(now time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.keys {
		if e.servable(now) {
			n++
		}
	}
	return n
}

// Close stops the watch and waits for its goroutine. Keys then fails.
func (s *Store) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	<-s.done
	return nil
}
