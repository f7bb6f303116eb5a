package natslease

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/internal/jsleader"
	"github.com/ztci/ztci/internal/kvconf"
	"github.com/ztci/ztci/secrets"
)

// Errors. Every error but a refused record or a lost claim means the bucket
// could not answer: the broker hands out nothing, the reaper revokes
// nothing it did not claim.
var (
	// ErrUnavailable: the bucket did not answer (no connection, no stream
	// leader, timeout).
	ErrUnavailable = fmt.Errorf("%w: natslease: bucket unavailable", secrets.ErrLeaseRegistry)
	// ErrConfig: an invalid option, or a bucket or server without per-key
	// TTL.
	ErrConfig = fmt.Errorf("%w: natslease: invalid configuration", secrets.ErrConfig)
)

// UnavailableError reports a request the bucket did not answer. It matches
// [ErrUnavailable] (and so [secrets.ErrLeaseRegistry]) and the NATS error.
type UnavailableError struct {
	Bucket string
	Op     string
	Err    error
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("natslease: bucket %q: %s: %v", e.Bucket, e.Op, e.Err)
}

func (e *UnavailableError) Unwrap() []error { return []error{ErrUnavailable, e.Err} }

// Registry is a [secrets.LeaseRegistry] and [secrets.LeaseReclaimer] on a
// JetStream KV bucket. It holds no goroutines and needs no Close; the NATS
// connection belongs to the caller.
type Registry struct {
	js     jetstream.JetStream
	kv     jetstream.KeyValue
	stream string // the bucket's stream
	cfg    config
}

var (
	_ secrets.LeaseRegistry  = (*Registry)(nil)
	_ secrets.LeaseReclaimer = (*Registry)(nil)
)

// markerTTL is how long a removed key's marker stays in the bucket: long
// enough for any reaper's stale read of the key to fail its
// compare-and-swap, short enough that released leases do not pile up.
const markerTTL = time.Minute

// New binds to (creating it if needed) the KV bucket that holds the fleet's
// lease records and owner heartbeats, on js. The bucket keeps one revision
// per key, allows per-key TTL (nats-server 2.11 or later) and, when New
// creates it, refuses values larger than a lease record; an existing
// bucket without per-key TTL or with a bucket-wide max age is refused with
// [ErrConfig]. Options: [WithBucket], [WithReplicas], [WithTimeout],
// [WithLogger].
func New(ctx context.Context, js jetstream.JetStream, opts ...Option) (*Registry, error) {
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
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:         cfg.bucket,
		Description:    "ztci outstanding secret leases and their owners' heartbeats (no secret values)",
		History:        1,
		Replicas:       cfg.replicas,
		Storage:        jetstream.FileStorage,
		LimitMarkerTTL: markerTTL,
		// No value the registry writes is larger than a record: the
		// server refuses the megabyte values a hostile writer would park
		// for every reaper's listing to buffer.
		MaxValueSize: maxRecord,
	})
	if errors.Is(err, jetstream.ErrBucketExists) {
		kv, err = js.KeyValue(ctx, cfg.bucket)
	}
	if errors.Is(err, jetstream.ErrLimitMarkerTTLNotSupported) {
		return nil, fmt.Errorf("%w: the server has no per-key TTL (needs nats-server 2.11 or later): %w", ErrConfig, err)
	}
	if err != nil {
		return nil, &UnavailableError{Bucket: cfg.bucket, Op: "bind", Err: err}
	}
	st, err := kv.Status(ctx)
	if err != nil {
		return nil, &UnavailableError{Bucket: cfg.bucket, Op: "status", Err: err}
	}
	if st.TTL() != 0 {
		return nil, fmt.Errorf("%w: bucket %q has a max age of %v; lease records must live until revoked", ErrConfig, cfg.bucket, st.TTL())
	}
	bs, ok := st.(*jetstream.KeyValueBucketStatus)
	if !ok || !bs.StreamInfo().Config.AllowMsgTTL {
		return nil, fmt.Errorf("%w: bucket %q does not allow per-key TTL", ErrConfig, cfg.bucket)
	}
	// A stream that drops a lease record by itself (interest retention,
	// discard old, memory storage, fewer replicas than asked) leaves that
	// lease to the backend's TTL: no reaper ever sees it.
	if err := kvconf.Check(bs.StreamInfo().Config, cfg.replicas); err != nil {
		return nil, fmt.Errorf("%w: bucket %q: %w", ErrConfig, cfg.bucket, err)
	}
	return &Registry{js: js, kv: kv, stream: bs.StreamInfo().Config.Name, cfg: cfg}, nil
}

// ttlSeconds rounds d up to whole seconds, at least one: JetStream's
// per-message TTL counts seconds.
func ttlSeconds(d time.Duration) time.Duration {
	return max(time.Duration(math.Ceil(d.Seconds()))*time.Second, time.Second)
}

func (r *Registry) unavailable(op string, err error) error {
	return &UnavailableError{Bucket: r.cfg.bucket, Op: op, Err: err}
}

// Heartbeat implements [secrets.LeaseRegistry]: it writes o.<hash of owner>
// with a per-key TTL of ttl rounded up to a whole second. The server
// removes the key when the TTL passes, so liveness is judged by the
// servers' clock alone.
func (r *Registry) Heartbeat(ctx context.Context, owner string, ttl time.Duration) error {
	if err := secrets.CheckLeaseOwner(owner); err != nil {
		return err
	}
	if ttl <= 0 {
		return fmt.Errorf("%w: heartbeat ttl %v is not positive", ErrConfig, ttl)
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.timeout)
	defer cancel()
	data, _ := json.Marshal(struct {
		Owner string `json:"owner"`
	}{owner})
	msg := &nats.Msg{Subject: "$KV." + r.cfg.bucket + "." + hashKey(ownerPrefix, owner), Data: data}
	if _, err := r.js.PublishMsg(ctx, msg, jetstream.WithMsgTTL(ttlSeconds(ttl))); err != nil {
		return r.unavailable("heartbeat", err)
	}
	return nil
}

// Register implements [secrets.LeaseRegistry] with a create-only write of
// l.<hash of lease id>.
func (r *Registry) Register(ctx context.Context, rec secrets.LeaseRecord) error {
	if err := rec.Validate(); err != nil {
		return err
	}
	data, err := encodeLease(rec, "")
	if err != nil {
		return fmt.Errorf("%w: %w", secrets.ErrBadLeaseRecord, err)
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.timeout)
	defer cancel()
	_, err = r.kv.Create(ctx, hashKey(leasePrefix, rec.LeaseID), data)
	switch {
	case err == nil:
		return nil
	case conflict(err):
		return fmt.Errorf("%w: %s", secrets.ErrLeaseExists, rec.LeaseID)
	default:
		return r.unavailable("register "+rec.LeaseID, err)
	}
}

// Release implements [secrets.LeaseRegistry]: it purges the lease's key
// (its marker expires after a minute).
func (r *Registry) Release(ctx context.Context, leaseID string) error {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.timeout)
	defer cancel()
	if err := r.kv.Purge(ctx, hashKey(leasePrefix, leaseID), jetstream.PurgeTTL(markerTTL)); err != nil {
		return r.unavailable("release "+leaseID, err)
	}
	return nil
}

// entry is a lease record read from the bucket.
type entry struct {
	key string
	rev uint64
	rec secrets.LeaseRecord
}

// Claim implements [secrets.LeaseReclaimer]. It reads the lease records
// one at a time through an ordered consumer, asks the stream leader (not a
// possibly lagging replica) whether each owner's heartbeat key still
// exists, and for each lease of a lapsed owner: creates c.<hash> with a
// per-key TTL of ttl (create-only, so one claim at a time, and
// re-claimable once the server expires it), then rewrites the lease record
// naming the claimer with the revision it read (compare-and-swap, so a
// record released or reaped since it was read is left alone). It stops
// reading once it holds max claims; the timeout ([WithTimeout]) bounds
// each step (the listing's start, each record, each request), not the
// whole scan, so a registry of any size is read in memory bounded by max
// and the number of owners. Records that fail to decode are logged and
// skipped: nothing can revoke what they would name. The ordered consumer
// is one replica, which may lag the leader by a moment: a lease registered
// just now on another node may be listed only by a later Claim (a
// reaper's next round), never claimed from a stale record. An error means
// nothing was claimed: a failure after some claims were taken returns those
// claims, each whole, without the error (which is logged); a lease whose
// record could not be rewritten after its claim key was created has that
// key given back (if giving it back fails too, it expires with ttl).
func (r *Registry) Claim(ctx context.Context, claimer string, ttl time.Duration, max int) ([]secrets.LeaseClaim, error) {
	if err := secrets.CheckLeaseOwner(claimer); err != nil {
		return nil, err
	}
	if ttl <= 0 || max < 1 {
		return nil, fmt.Errorf("%w: claim ttl %v and max %d must be positive", ErrConfig, ttl, max)
	}
	var out []secrets.LeaseClaim
	alive := map[string]bool{}
	err := r.scan(ctx, func(e entry) (bool, error) {
		// Only a live verdict is remembered (it only skips leases): a scan
		// may outlast an owner's lapse, and an owner that heartbeats again
		// meanwhile must not lose leases it registered since.
		if !alive[e.rec.Owner] {
			live, err := r.ownerAlive(ctx, e.rec.Owner)
			if err != nil {
				return false, err
			}
			alive[e.rec.Owner] = live
		}
		if alive[e.rec.Owner] {
			r.cfg.logger.DebugContext(ctx, "natslease: owner alive", "lease_id", e.rec.LeaseID, "owner", e.rec.Owner)
			return true, nil
		}
		c, ok, err := r.claim(ctx, e, claimer, ttl)
		if err != nil {
			return false, err
		}
		if ok {
			out = append(out, c)
		}
		return len(out) < max, nil
	})
	if err != nil && len(out) > 0 {
		// An error from Claim means nothing was claimed ([secrets.LeaseReclaimer]),
		// so a caller would drop these claims and strand their leases until
		// the claims expire. Each one is whole (claim key and record both
		// written): hand them over to be revoked now; the next Claim meets
		// the failure again and reports it.
		r.cfg.logger.WarnContext(ctx, "natslease: claim stopped early; returning the claims taken", "bucket", r.cfg.bucket, "claims", len(out), "err", err)
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// scan reads the lease records through an ordered consumer and calls fn on
// each until fn returns false or an error, or every record was read. The
// timeout bounds the consumer's creation and the wait for each record.
func (r *Registry) scan(ctx context.Context, fn func(entry) (bool, error)) error {
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	// The watcher lives as long as its context: bound its creation with a
	// timer, not a deadline.
	timer := time.AfterFunc(r.cfg.timeout, stop)
	w, err := r.kv.WatchFiltered(wctx, []string{leasePrefix + ">"}, jetstream.IgnoreDeletes())
	if !timer.Stop() && err == nil {
		err = context.DeadlineExceeded
	}
	if err != nil {
		if w != nil {
			_ = w.Stop()
		}
		return r.unavailable("list leases", err)
	}
	defer func() { _ = w.Stop() }()
	idle := time.NewTimer(r.cfg.timeout)
	defer idle.Stop()
	for {
		idle.Reset(r.cfg.timeout)
		select {
		case <-ctx.Done():
			return r.unavailable("list leases", ctx.Err())
		case <-idle.C:
			return r.unavailable("list leases", context.DeadlineExceeded)
		case kve, ok := <-w.Updates():
			if !ok {
				return r.unavailable("list leases", errors.New("watcher closed"))
			}
			if kve == nil { // every current value delivered
				return nil
			}
			if kve.Operation() != jetstream.KeyValuePut {
				continue
			}
			rec, _, err := decodeLease(kve.Key(), kve.Value())
			if err != nil {
				r.cfg.logger.ErrorContext(ctx, "natslease: skipping a lease record that does not decode", "bucket", r.cfg.bucket, "key", kve.Key(), "err", err)
				continue
			}
			more, err := fn(entry{key: kve.Key(), rev: kve.Revision(), rec: rec})
			if err != nil || !more {
				return err
			}
		}
	}
}

// ownerAlive asks the stream leader for the last message of the owner's
// heartbeat key. The leader answers STREAM.MSG.GET, whereas a KV Get may be
// served by a replica that lags behind. A heartbeat message has data; a
// removed key has none (a marker) or no message at all.
func (r *Registry) ownerAlive(ctx context.Context, owner string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.timeout)
	defer cancel()
	subject := "$KV." + r.cfg.bucket + "." + hashKey(ownerPrefix, owner)
	m, found, err := jsleader.LastMsg(ctx, r.js, r.stream, subject)
	if err != nil {
		return false, r.unavailable("read heartbeat of "+owner, err)
	}
	alive, err := heartbeat(m, found, subject)
	if err != nil {
		return false, r.unavailable("read heartbeat of "+owner, err)
	}
	return alive, nil
}

// heartbeat interprets the leader's last message under the heartbeat
// subject: alive only for a message of that subject with data.
func heartbeat(m jsleader.Msg, found bool, subject string) (bool, error) {
	switch {
	case !found:
		return false, nil
	case m.Subject != subject:
		return false, fmt.Errorf("answer holds a message for %q, not the heartbeat key", m.Subject)
	}
	return len(m.Data) > 0, nil
}

func (r *Registry) claim(ctx context.Context, e entry, claimer string, ttl time.Duration) (secrets.LeaseClaim, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.timeout)
	defer cancel()
	ckey := hashKey(claimPrefix, e.rec.LeaseID)
	crev, err := r.kv.Create(ctx, ckey, []byte(claimer), jetstream.KeyTTL(ttlSeconds(ttl)))
	switch {
	case conflict(err):
		r.cfg.logger.DebugContext(ctx, "natslease: lease claimed by another", "lease_id", e.rec.LeaseID)
		return secrets.LeaseClaim{}, false, nil
	case err != nil:
		return secrets.LeaseClaim{}, false, r.unavailable("claim "+e.rec.LeaseID, err)
	}
	data, err := encodeLease(e.rec, claimer)
	if err != nil {
		return secrets.LeaseClaim{}, false, fmt.Errorf("%w: %w", secrets.ErrBadLeaseRecord, err)
	}
	lrev, err := r.kv.Update(ctx, e.key, data, e.rev)
	switch {
	case conflict(err):
		// Released, completed or claimed since we read it: give the claim
		// back and leave the lease alone.
		r.cfg.logger.DebugContext(ctx, "natslease: lease changed since listed", "lease_id", e.rec.LeaseID, "err", err)
		if err := r.kv.Purge(ctx, ckey, jetstream.LastRevision(crev), jetstream.PurgeTTL(markerTTL)); err != nil {
			r.cfg.logger.WarnContext(ctx, "natslease: claim key left to expire", "lease_id", e.rec.LeaseID, "err", err)
		}
		return secrets.LeaseClaim{}, false, nil
	case err != nil:
		// Nothing is handed out for this lease, so the claim key is given
		// back (with a fresh bound: the failure may be ctx's deadline);
		// left in place it would keep every reaper off the lease until
		// its ttl. If the give-back fails too, the key expires with ttl.
		gctx, gcancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.timeout)
		defer gcancel()
		if perr := r.kv.Purge(gctx, ckey, jetstream.LastRevision(crev), jetstream.PurgeTTL(markerTTL)); perr != nil {
			r.cfg.logger.WarnContext(ctx, "natslease: claim key left to expire", "lease_id", e.rec.LeaseID, "err", perr)
		}
		return secrets.LeaseClaim{}, false, r.unavailable("claim "+e.rec.LeaseID, err)
	}
	return secrets.LeaseClaim{Record: e.rec, Claimer: claimer, Token: strconv.FormatUint(lrev, 10) + "." + strconv.FormatUint(crev, 10)}, true, nil
}

// Complete implements [secrets.LeaseReclaimer]: it purges the lease's key
// if its last revision is still the one this claim wrote, then gives the
// claim key back.
func (r *Registry) Complete(ctx context.Context, c secrets.LeaseClaim) error {
	lrev, crev, err := parseToken(c.Token)
	if err != nil {
		return fmt.Errorf("%w: lease %s: %w", secrets.ErrClaimLost, c.Record.LeaseID, err)
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.timeout)
	defer cancel()
	err = r.kv.Purge(ctx, hashKey(leasePrefix, c.Record.LeaseID), jetstream.LastRevision(lrev), jetstream.PurgeTTL(markerTTL))
	switch {
	case conflict(err):
		return fmt.Errorf("%w: lease %s", secrets.ErrClaimLost, c.Record.LeaseID)
	case err != nil:
		return r.unavailable("complete "+c.Record.LeaseID, err)
	}
	if err := r.kv.Purge(ctx, hashKey(claimPrefix, c.Record.LeaseID), jetstream.LastRevision(crev), jetstream.PurgeTTL(markerTTL)); err != nil {
		r.cfg.logger.DebugContext(ctx, "natslease: claim key left to expire", "lease_id", c.Record.LeaseID, "err", err)
	}
	return nil
}

// conflict reports a failed compare-and-swap: the key exists, or its last
// revision is not the one expected. kv.Create over a removed key reports
// a concurrent writer as a bare wrong-last-sequence error.
func conflict(err error) bool {
	var apiErr *jetstream.APIError
	return errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) ||
		(errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
			apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant))
}

func parseToken(tok string) (lrev, crev uint64, err error) {
	a, b, ok := strings.Cut(tok, ".")
	if ok {
		lrev, err = strconv.ParseUint(a, 10, 64)
		if err == nil {
			crev, err = strconv.ParseUint(b, 10, 64)
		}
	}
	if !ok || err != nil || lrev == 0 || crev == 0 {
		return 0, 0, errors.New("not a natslease claim token")
	}
	return lrev, crev, nil
}
