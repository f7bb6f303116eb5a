package natskill

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/kvconf"
	"github.com/ztci/ztci/internal/randid"
)

// Attributes of detector events read by [Switch.Write], beside
// [audit.AttrCompromisedID] and [audit.AttrExpires].
const AttrCompromisedKind = "compromised_kind"

// AttrMarkID is set on the mark event of an id longer than 4 KiB: the
// stand-in the mark is stored and listed under ([Switch.Marks]), which the
// event of its clear names as [audit.AttrCompromisedID].
const AttrMarkID = "mark_id"

// SourceKillSwitch is the Source of the switch's own audit events.
const SourceKillSwitch = "ztci/audit/natskill"

// Switch is a fleet-wide kill switch: marks live in a JetStream KV bucket,
// and every replica's Switch follows the bucket with a watch and answers
// [Switch.Check] and [Switch.Compromised] from memory. A Switch is an
// [audit.CompromiseChecker] (for job identities and SPIFFE IDs) and an
// [audit.Sink] fed by a detector, like the in-memory [audit.KillSwitch].
//
// It fails closed: when it cannot confirm, within [WithStaleAfter], that it
// holds every mark in the bucket, or when the bucket holds an invalid entry,
// every identity is reported compromised.
type Switch struct {
	kv     jetstream.KeyValue
	stream jetstream.Stream
	audit  audit.Sink
	cfg    config

	mu   sync.RWMutex
	view *view
	// freshAt is when the switch last proved it held every mark, on the
	// process's monotonic clock (time.Now), never the clock of WithClock:
	// an injected clock without a monotonic reading that stood still or
	// stepped back kept a replica cut off from NATS fresh past the bound.
	freshAt time.Time
	closed  bool
	tombs   map[string]tomb // deletion markers the watch delivered, by key: at most maxTombs
	epoch   uint64          // counts the watches started (from 1): see entry.local

	probes chan probe
	stop   chan struct{}
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

var (
	_ audit.CompromiseChecker = (*Switch)(nil)
	_ audit.Sink              = (*Switch)(nil)
)

// view is what the switch knows of the bucket: the keys that hold a value
// (a mark or an invalid entry). A deleted key is dropped, so the view is
// bounded by the marks in the bucket, not by every id ever marked; floor
// keeps a stale revision from bringing it back.
type view struct {
	entries map[string]entry // by KV key
	// marks holds the same marks by kind and canonical id
	// (audit.CanonicalMarkID): no hashing on the check path. An ident may
	// hold more than one: a repository mark written before ids were folded
	// ("repository:github-actions/Acme/App", stored under its own key) and
	// one written since ("repository:github-actions/acme/app").
	marks   map[ident][]*Mark
	corrupt int // entries holding an invalid value
	// floor is the last revision the watch delivered: the view reflects
	// every revision up to it (the watch delivers in stream order), so a
	// revision at or below it that the view does not hold was superseded,
	// by a later value or by a deletion the view has forgotten.
	floor uint64
	// max bounds entries ([WithMaxMarks]). A key beyond it is not held:
	// overflow is set instead, and the view then cannot decide (it may
	// lack a mark) until a view rebuilt from the bucket fits.
	max      int
	overflow bool
	reported bool // overflow was logged
}

type ident struct {
	kind Kind
	id   string
}

func newView() *view {
	return &view{entries: map[string]entry{}, marks: map[ident][]*Mark{}, max: DefaultMaxMarks}
}

// newView returns an empty view bounded by the switch's [WithMaxMarks].
func (s *Switch) newView() *view {
	v := newView()
	v.max = s.cfg.maxMarks
	return v
}

// markIdent is the ident a mark is found under by checks.
func markIdent(m *Mark) ident { return ident{m.Kind, audit.CanonicalMarkID(m.ID)} }

// apply records e under k unless the view holds k at a later revision, or
// e is at or below the floor (a mark Mark applied locally may arrive after
// the watch delivered its deletion, which the view no longer holds). A
// deletion (mark nil, not corrupt) removes k.
func (v *view) apply(k string, e entry) {
	old, ok := v.entries[k]
	switch {
	case ok && old.rev > e.rev:
		return
	case ok && old.rev == e.rev && (e.local != 0 || old.local == 0):
		return // applied already (the watch's delivery of a local write clears local)
	case !ok && e.rev <= v.floor:
		return // superseded
	case !ok && (e.mark != nil || e.corrupt) && len(v.entries) >= v.max:
		// Holding it would grow memory with whatever a bucket writer
		// floods in; dropping it silently would let its identity through.
		v.overflow = true
		return
	}
	if old.corrupt {
		v.corrupt--
	}
	if old.mark != nil {
		id := markIdent(old.mark)
		rest := slices.DeleteFunc(v.marks[id], func(m *Mark) bool { return m == old.mark })
		if len(rest) == 0 {
			delete(v.marks, id)
		} else {
			v.marks[id] = rest
		}
	}
	if e.corrupt {
		v.corrupt++
	}
	if e.mark != nil {
		id := markIdent(e.mark)
		v.marks[id] = append(v.marks[id], e.mark)
	}
	if e.mark == nil && !e.corrupt {
		delete(v.entries, k)
		return
	}
	v.entries[k] = e
}

// watched applies e as the watch delivered it, and raises the floor.
func (v *view) watched(k string, e entry) {
	e.local = 0
	v.apply(k, e)
	v.floor = max(v.floor, e.rev)
}

// carry applies to v (a view just built from a new watch that delivered up
// to seen) the marks old holds that this switch wrote itself after the new
// watch's snapshot was taken: those the new watch has not delivered yet
// (rev above seen), applied since the new watch started (epoch). A value
// of old above seen that the old watch delivered, or that this switch
// wrote before, is not carried: the new watch's snapshot holds that key at a later
// revision, so a value above seen that it lacks was deleted, and carrying
// it would bring back a cleared mark.
func (v *view) carry(old *view, seen, epoch uint64) {
	for k, e := range old.entries {
		if e.rev > seen && e.local == epoch {
			v.apply(k, e)
		}
	}
}

// entry is the last revision of one key that the switch applied: a mark or
// an invalid value (a deletion, mark nil and corrupt false, is applied by
// dropping the key).
type entry struct {
	rev     uint64
	mark    *Mark
	corrupt bool
	// local is the switch's epoch when it applied the revision it wrote
	// itself (zero once the watch delivered it).
	local uint64
}

// probe is the stream's last sequence as the stream leader reported it at
// a time: once the watch has delivered that sequence, the switch held every
// mark committed before that time.
type probe struct {
	at   time.Time
	last uint64
}

// New binds to (creating it if needed) the KV bucket of marks on js, starts
// following it, and returns once the switch holds every mark and has
// confirmed it is current, or fails when ctx ends first. Marks and clears
// are audited to sink. Close the switch to stop its goroutines; the NATS
// connection belongs to the caller. Options: [WithBucket], [WithReplicas],
// [WithStaleAfter], [WithTimeout], [WithClock], [WithLogger], [WithOnMark],
// [WithPurgeAfter], [WithMaxMarks].
//
// An existing bucket whose stream can lose a mark by itself or by a
// writer's header is refused with [ErrConfig]: a per-message TTL setting
// with a [*BucketSettingError] naming it (see the package's security
// contract).
func New(ctx context.Context, js jetstream.JetStream, sink audit.Sink, opts ...Option) (*Switch, error) {
	if js == nil || sink == nil {
		return nil, fmt.Errorf("%w: nil JetStream or audit sink", ErrConfig)
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
		Bucket:       cfg.bucket,
		Description:  "ztci fleet kill switch: compromised identities",
		History:      1,
		Replicas:     cfg.replicas,
		Storage:      jetstream.FileStorage,
		MaxValueSize: maxValueLen,
	})
	if errors.Is(err, jetstream.ErrBucketExists) {
		kv, err = js.KeyValue(ctx, cfg.bucket)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: bucket %q: %w", ErrUnavailable, cfg.bucket, err)
	}
	st, err := kv.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: bucket %q: %w", ErrUnavailable, cfg.bucket, err)
	}
	if st.TTL() != 0 {
		return nil, fmt.Errorf("%w: bucket %q has a max age of %v; marks must not lapse by age", ErrConfig, cfg.bucket, st.TTL())
	}
	stream, err := js.Stream(ctx, "KV_"+cfg.bucket)
	if err != nil {
		return nil, fmt.Errorf("%w: bucket %q: %w", ErrUnavailable, cfg.bucket, err)
	}
	if err := checkStream(stream.CachedInfo().Config, cfg); err != nil {
		return nil, err
	}
	life, cancel := context.WithCancel(context.Background())
	s := &Switch{
		kv: kv, stream: stream, audit: sink, cfg: cfg,
		view:   nil,
		tombs:  map[string]tomb{},
		epoch:  1,
		probes: make(chan probe, 16),
		stop:   make(chan struct{}),
		cancel: cancel,
	}
	s.view = s.newView()
	s.wg.Add(2)
	go s.follow(life)
	go s.probe(life)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		s.mu.RLock()
		ready := !s.freshAt.IsZero()
		s.mu.RUnlock()
		if ready {
			return s, nil
		}
		select {
		case <-ctx.Done():
			s.Close()
			return nil, fmt.Errorf("%w: bucket %q: marks not loaded: %w", ErrUnavailable, cfg.bucket, ctx.Err())
		case <-tick.C:
		}
	}
}

// checkStream returns why the configuration of the bucket's stream cannot
// hold marks, or nil. New checks it, and so does every freshness probe: a
// stream edited while the switch runs stops proving the switch current,
// which then denies every identity (ErrStale) and logs why.
func checkStream(sc jetstream.StreamConfig, cfg config) error {
	// A stream that drops a mark by itself (interest retention, discard
	// old, memory storage, fewer replicas than asked) lifts it unaudited,
	// and a replica that starts afterwards never sees it.
	if err := kvconf.Check(sc, cfg.replicas); err != nil {
		return fmt.Errorf("%w: bucket %q: %w", ErrConfig, cfg.bucket, err)
	}
	// kvconf allows per-message TTLs (buckets whose keys expire by design
	// need them); marks must not. A writer's Nats-TTL header makes a mark
	// vanish without a deletion the watch delivers (or, with a subject
	// delete marker TTL, with a purge nobody audited): replicas running
	// keep denying, replicas that start or watch again allow. The switch
	// sets no TTL of its own: a mark ends at its Until, lapsed marks are
	// deleted with revision-checked KV deletes, and their markers purged
	// through the stream API (see purgeLapsed, purgeTombs), none of which
	// needs AllowMsgTTL. The stream holds it, not the bucket status: a
	// stream edited by hand carries it without a marker TTL.
	if sc.AllowMsgTTL {
		return &BucketSettingError{Bucket: cfg.bucket, Setting: "AllowMsgTTL",
			Why: "per-message TTL headers let a bucket writer make a mark expire unseen by running replicas and unaudited"}
	}
	return nil
}

// Check reports whether the identity id of the given kind may proceed: nil
// when it is not marked (or its mark lapsed) and the switch is current; an
// error matching [ErrCompromised] ([*MarkedError]) when it is marked; an
// error matching [ErrUndecided] ([ErrStale], [ErrCorrupt], [ErrClosed]) when
// the switch cannot decide. Every error is a deny. Safe for concurrent use;
// it reads memory only. A check of a [KindJob] or a [KindSPIFFE] consults
// the marks of both kinds, as [Switch.Compromised] does (see [Switch.For]).
func (s *Switch) Check(kind Kind, id string) error {
	m, err := s.decideKind(id, kind)
	if m != nil {
		return &MarkedError{Mark: *m}
	}
	return err
}

// Compromised implements [audit.CompromiseChecker] for the identities that
// secrets brokers and policy gates pass (the job's actor ID): it reports
// whether id is marked as a [KindJob] or a [KindSPIFFE], and reports true
// whenever the switch cannot decide.
func (s *Switch) Compromised(id string) bool {
	m, err := s.decide(id, KindJob, KindSPIFFE)
	return m != nil || err != nil
}

// For returns an [audit.CompromiseChecker] for one kind, e.g. KindKey for a
// verifier that must refuse artifacts signed with a marked key. It fails
// closed as [Switch.Compromised] does.
//
// [KindJob] and [KindSPIFFE] are one kind to a check: both name an actor
// id, and a SPIFFE ID is the same workload whichever kind its mark was
// given. An automatic mark (audit.Escalator, through [Switch.Write]) names
// no kind and is a KindJob one, also of a workload's SPIFFE ID; a
// For(KindSPIFFE) checker (an mTLS peer check, say) that consulted only
// KindSPIFFE marks let the quarantined workload through.
func (s *Switch) For(kind Kind) audit.CompromiseChecker { return kindChecker{s, kind} }

type kindChecker struct {
	s    *Switch
	kind Kind
}

func (c kindChecker) Compromised(id string) bool {
	m, err := c.s.decideKind(id, c.kind)
	return m != nil || err != nil
}

// decideKind is decide for a check of one kind: the marks of that kind,
// or of either actor kind for a KindJob or KindSPIFFE check (see For).
func (s *Switch) decideKind(id string, kind Kind) (*Mark, error) {
	if kind == KindJob || kind == KindSPIFFE {
		return s.decide(id, KindJob, KindSPIFFE)
	}
	return s.decide(id, kind)
}

// decide returns the mark in force on id under one of kinds, or an error
// when the switch cannot decide; Compromised uses it directly so that the
// common answers allocate nothing.
func (s *Switch) decide(id string, kinds ...Kind) (*Mark, error) {
	now := s.cfg.now()
	s.mu.RLock()
	defer s.mu.RUnlock()
	switch {
	case s.closed:
		return nil, ErrClosed
	case s.view.corrupt > 0:
		return nil, fmt.Errorf("%w: %d entries", ErrCorrupt, s.view.corrupt)
	case s.view.overflow:
		return nil, fmt.Errorf("%w: more than %d", ErrTooManyMarks, s.view.max)
	}
	if age := time.Since(s.freshAt); age > s.cfg.staleAfter {
		return nil, &StaleError{Age: age, Bound: s.cfg.staleAfter}
	}
	id = storedID(audit.CanonicalMarkID(id))
	for _, k := range kinds {
		for _, m := range s.view.marks[ident{k, id}] {
			if m.live(now) {
				return m, nil
			}
		}
	}
	return nil, nil
}

// Marks returns the marks the switch holds, sorted by kind and id; lapsed
// marks are included until cleared or purged ([WithPurgeAfter]). The mark of an id longer than 4 KiB
// carries its stand-in as ID: lift it with [Switch.ClearMark], not
// [Switch.Clear].
func (s *Switch) Marks() []Mark {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Mark
	for _, e := range s.view.entries {
		if e.mark != nil {
			out = append(out, *e.mark)
		}
	}
	slices.SortFunc(out, func(a, b Mark) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// Mark marks id, of the given kind, compromised for reason until until (zero:
// no expiry), by actor by, in the bucket. When it returns nil or an audit
// error, the mark is recorded fleet-wide and already in force on this
// replica; the others apply it when their watch delivers it. An error
// matching [ErrUnavailable] means the mark was not recorded: retry. An
// until that is not after the switch's clock is refused with
// [audit.ErrMarkLapsed] ([ErrMarkLapsed]): that mark would deny nobody, so
// nothing is written to the bucket (a live mark is left at its revision)
// and nothing is audited. A mark of an identity not yet marked when the
// switch holds [WithMaxMarks] marks is refused with [ErrTooManyMarks], and
// nothing is written or audited.
//
// Mark never shortens a mark in force: when the bucket holds one that lasts
// at least as long (or has no expiry), it is kept as it is (written again
// at a new revision, so that a clear that read it before cannot lift it)
// and the audit event names its expiry. Only [Switch.Clear] lifts or shortens a mark, so
// an automatic, bounded quarantine (audit.Escalator) cannot turn an
// operator's permanent mark into a temporary one. The read and the write
// are one compare-and-set on the key's revision, so concurrent marks on
// different replicas cannot shorten each other either.
//
// An id that no check could match ([audit.CheckMarkID]: whitespace around
// it, an uppercase SPIFFE trust domain, a SPIFFE ID that SPIFFE libraries
// do not parse, a repository mark id such as "Repository:github-actions/acme/app"
// or "repository_id:42", ...) is refused with [ErrConfig] (and the
// audit.FieldError):
// ids are compared byte for byte, and such a mark would deny nobody. So is
// a [KindSPIFFE] mark of anything but a SPIFFE ID: "example.org/x", or
// "spıffe://example.org/x" with a dotless i, escaped the SPIFFE syntax
// check (which applies to ids beginning "spiffe://") and denied nobody.
// [Switch.Write] does not apply these checks (see audit.CheckMarkID). A
// repository or owner mark id (audit.MarkRepository, ...) is stored folded
// ([audit.CanonicalMarkID]), as [Switch.Write] stores it too, so it denies
// the repository's jobs whatever case the operator or the token spells it in.
func (s *Switch) Mark(ctx context.Context, kind Kind, id, reason, by string, until time.Time) error {
	if kind == KindSPIFFE && !strings.HasPrefix(id, "spiffe://") {
		return fmt.Errorf("%w: a %s mark names a SPIFFE ID (spiffe://<trust domain>/<path>, ASCII)", ErrConfig, kind)
	}
	if err := audit.CheckMarkID(id); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return s.mark(ctx, kind, id, reason, by, until)
}

// mark is Mark for an id as a detector saw it in the audit stream.
func (s *Switch) mark(ctx context.Context, kind Kind, id, reason, by string, until time.Time) error {
	if err := validArgs(kind, id, reason, by); err != nil {
		return err
	}
	if !utf8.ValidString(id) {
		// The bucket holds marks as JSON, which would store U+FFFD for the
		// invalid bytes under the key of the id as given: every replica
		// would read a mark stored under another key and deny every
		// identity (ErrCorrupt), and the mark would name another id. No
		// audit event can name such an identity either (audit.Encode
		// refuses it), so it cannot act where it is audited.
		return fmt.Errorf("%w: id is not valid UTF-8", ErrConfig)
	}
	id = audit.CanonicalMarkID(id)
	now := s.cfg.now()
	if !until.IsZero() && !now.Before(until) {
		// Checks would pass from the start: storing and auditing it would
		// record a quarantine that never denied anyone, and rewriting a
		// live mark it does not outlast would still bump that mark's
		// revision, failing an operator's clear that read the one before.
		return fmt.Errorf("%w: mark of %s %q until %s, now %s", audit.ErrMarkLapsed, kind, id,
			until.UTC().Format(time.RFC3339Nano), now.UTC().Format(time.RFC3339Nano))
	}
	m := Mark{Kind: kind, Mark: audit.Mark{ID: storedID(id), Reason: reason, By: by, Since: now, Until: until}}
	val, err := encodeMark(m)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	k := key(kind, m.ID)
	s.mu.RLock()
	_, held := s.view.entries[k]
	full := !held && (len(s.view.entries) >= s.view.max || s.view.overflow)
	s.mu.RUnlock()
	if full {
		// A new key would take the fleet's views past WithMaxMarks, and
		// every replica would deny every identity. Make room: lapsed marks
		// leave the bucket (and the views, once the watch delivers their
		// deletion) when older than the purge allowance.
		s.purgeLapsed(ctx, now)
		s.cfg.logger.ErrorContext(ctx, "natskill: mark refused, the switch holds as many marks as it may",
			"kind", kind, "id", id, "max", s.cfg.maxMarks)
		return fmt.Errorf("%w: mark of %s %q not recorded: the switch holds %d marks", ErrTooManyMarks, kind, id, s.cfg.maxMarks)
	}
	wctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
	kept, err := s.put(wctx, k, m, val, now)
	cancel()
	if err != nil {
		return fmt.Errorf("%w: mark of %s %q not recorded: %w", ErrUnavailable, kind, id, err)
	}
	s.cfg.logger.WarnContext(ctx, "natskill: identity marked compromised", "kind", kind, "id", id, "by", by)
	attrs := map[string]string{audit.AttrCompromisedID: id, AttrCompromisedKind: string(kind)}
	if !kept.Until.IsZero() {
		attrs[audit.AttrExpires] = kept.Until.UTC().Format(time.RFC3339Nano)
	}
	if m.ID != id {
		attrs[AttrMarkID] = m.ID
	}
	err = s.audit.Write(ctx, s.event(now, audit.ActionKillSwitchMark, by, reason, attrs))
	s.purgeLapsed(ctx, now)
	if err != nil {
		return fmt.Errorf("natskill: mark of %s %q is in effect but was not audited: %w", kind, id, err)
	}
	return nil
}

// maxPurge bounds the lapsed marks one Mark deletes, so that marking stays
// quick; a Mark adds at most one mark, so the lapsed ones still drain.
const maxPurge = 8

// purgeLapsed deletes from the bucket up to maxPurge marks that lapsed more
// than the purge allowance before now ([WithPurgeAfter]), so that the
// bucket, and every replica's view of it, stays bounded by the marks in
// force rather than growing with every mark ever set. Each deletion is
// conditional on the revision this switch read: a mark re-asserted or
// extended on any replica since (a new revision) is never deleted. The
// allowance keeps a replica whose clock runs ahead from deleting a mark
// still in force by the others' clocks. A purge lifts nothing (the mark
// already denied nobody), so it is logged, not audited; a failure is
// logged and left for the next Mark.
func (s *Switch) purgeLapsed(ctx context.Context, now time.Time) {
	type lapsed struct {
		k    string
		rev  uint64
		mark Mark
	}
	var todo []lapsed
	s.mu.RLock()
	for k, e := range s.view.entries {
		if e.mark != nil && !e.mark.Until.IsZero() && now.Sub(e.mark.Until) > s.cfg.purgeAfter {
			todo = append(todo, lapsed{k, e.rev, *e.mark})
			if len(todo) == maxPurge {
				break
			}
		}
	}
	s.mu.RUnlock()
	for _, l := range todo {
		dctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
		err := s.kv.Delete(dctx, l.k, jetstream.LastRevision(l.rev))
		cancel()
		if err != nil {
			s.cfg.logger.DebugContext(ctx, "natskill: lapsed mark not purged", "kind", l.mark.Kind, "id", l.mark.ID, "error", err)
			continue
		}
		s.cfg.logger.InfoContext(ctx, "natskill: lapsed mark purged", "kind", l.mark.Kind, "id", l.mark.ID,
			"until", l.mark.Until.UTC().Format(time.RFC3339Nano))
	}
	s.purgeTombs(ctx, now)
}

// maxTombs bounds the deletion markers a switch remembers for purging; one
// it does not remember stays in the bucket until a switch that rebuilds
// its view (or starts) learns it again.
const maxTombs = 4096

// tomb is a deletion marker of a key: its revision and when the server
// wrote it.
type tomb struct {
	rev     uint64
	created time.Time
}

// tombAge is how old a deletion marker must be before it is purged: the
// purge allowance, and at least four stale bounds, so that every replica
// whose watch is behind has delivered the marker or rebuilt its view
// (which it does once half a stale bound behind) by then. A replica whose
// watch skipped a purged marker would keep the cleared mark.
func (s *Switch) tombAge() time.Duration { return max(s.cfg.purgeAfter, 4*s.cfg.staleAfter) }

// purgeTombs removes from the bucket up to maxPurge deletion markers older
// than tombAge by the switch's clock. A clear or a purge of a lapsed mark
// leaves a marker in the bucket's stream for ever (the bucket keeps the
// last message of each key), so every id ever marked would grow the
// stream, and every watch's initial delivery, for ever. Each purge removes
// the key's messages up to and including the marker only: a mark written
// to the key after the marker is kept (unlike KeyValue.PurgeDeletes, which
// purges the whole key once it has read an old marker, and so erased a
// mark written meanwhile). A failure (no purge permission, say) is logged
// and left for the next Mark.
func (s *Switch) purgeTombs(ctx context.Context, now time.Time) {
	type old struct {
		k string
		tomb
	}
	var todo []old
	s.mu.RLock()
	for k, t := range s.tombs {
		if now.Sub(t.created) > s.tombAge() {
			todo = append(todo, old{k, t})
			if len(todo) == maxPurge {
				break
			}
		}
	}
	s.mu.RUnlock()
	for _, o := range todo {
		pctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
		err := s.stream.Purge(pctx, jetstream.WithPurgeSubject("$KV."+s.cfg.bucket+"."+o.k), jetstream.WithPurgeSequence(o.rev+1))
		cancel()
		if err != nil {
			s.cfg.logger.DebugContext(ctx, "natskill: deletion marker not purged", "key", o.k, "error", err)
			return
		}
		s.mu.Lock()
		if t, ok := s.tombs[o.k]; ok && t.rev == o.rev {
			delete(s.tombs, o.k)
		}
		s.mu.Unlock()
	}
}

// noteTomb records (del) or forgets a deletion marker of k that the watch
// delivered.
func (s *Switch) noteTomb(k string, rev uint64, created time.Time, del bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.tombs[k]; ok && t.rev > rev {
		return
	}
	switch {
	case !del:
		delete(s.tombs, k)
	case len(s.tombs) < maxTombs || s.tombs[k].rev != 0:
		s.tombs[k] = tomb{rev: rev, created: created}
	}
}

// reportOverflow logs, once per view, that the view overflowed. s.mu is
// held.
func (s *Switch) reportOverflow(ctx context.Context) {
	if s.view.overflow && !s.view.reported {
		s.view.reported = true
		s.cfg.logger.ErrorContext(ctx, "natskill: bucket holds more marks than the switch may hold, denying every identity",
			"bucket", s.cfg.bucket, "max", s.view.max)
	}
}

// maxMarkAttempts bounds Mark's compare-and-set retries under contention.
const maxMarkAttempts = 8

// put writes m under k unless the bucket holds a live mark that outlasts
// it, and returns the mark in force afterwards. It writes only over the
// revision it read (or creates the key), retrying on a concurrent change.
// A mark that outlasts m is written again as it is: the mark is re-asserted
// (and audited), so a clear that read the previous revision must not lift
// it, and its revision-checked delete then fails.
func (s *Switch) put(ctx context.Context, k string, m Mark, val []byte, now time.Time) (Mark, error) {
	for range maxMarkAttempts {
		var rev uint64
		put, putVal := m, val
		cur, err := s.kv.Get(ctx, k)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return Mark{}, err
		default:
			rev = cur.Revision()
			// A stored value that does not decode is replaced: the mark
			// being written is well formed and fails closed too.
			if old, derr := decodeMark(k, cur.Value()); derr == nil && outlasts(old, m, now) {
				put, putVal = old, cur.Value()
			}
		}
		var wrote uint64
		if rev == 0 {
			wrote, err = s.kv.Create(ctx, k, putVal)
		} else {
			wrote, err = s.kv.Update(ctx, k, putVal, rev)
		}
		if err == nil {
			s.mu.Lock()
			s.view.apply(k, entry{rev: wrote, mark: &put, local: s.epoch})
			s.reportOverflow(ctx)
			s.mu.Unlock()
			return put, nil
		}
		if !lostRace(err) {
			return Mark{}, err
		}
	}
	return Mark{}, errors.New("the mark kept changing under concurrent writers")
}

// outlasts reports whether old, in force at now, lasts at least as long as m.
func outlasts(old, m Mark, now time.Time) bool {
	if !old.live(now) {
		return false
	}
	return old.Until.IsZero() || (!m.Until.IsZero() && !old.Until.Before(m.Until))
}

// lostRace reports whether a create or update failed because another writer
// changed the key first.
func lostRace(err error) bool {
	if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return true
	}
	// A create that loses on a replicated bucket reports the R>1 code.
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// Clear lifts the mark on id of the given kind (lapsed or not): the id as
// it was marked, however long. It is audited first; if the audit fails, or
// the bucket cannot be read or written ([ErrUnavailable]), the mark stays.
// Replicas, this one included, lift it when their watch delivers the
// deletion. The clear event names the mark as [Switch.Marks] lists it: for
// an id longer than 4 KiB, its stand-in (see [AttrMarkID]).
//
// An id the bucket holds no mark for is refused with [ErrNotMarked], and
// nothing is audited (the log records changes; this one changed nothing).
// The deletion is conditional on the revision the clear read, so a mark
// written after that read (a re-mark on any replica, or another clear) is
// never lifted by it: the clear then fails with [ErrMarkChanged], and a
// second event with [audit.OutcomeFailure] records that the audited clear
// did not happen. A deletion that fails otherwise is recorded the same way
// ([ErrUnavailable]). A repository or owner mark id is cleared in any
// case, as it is marked ([audit.CanonicalMarkID]); one stored unfolded by
// an earlier version is lifted with [Switch.ClearMark].
func (s *Switch) Clear(ctx context.Context, kind Kind, id, reason, by string) error {
	if err := validArgs(kind, id, reason, by); err != nil {
		return err
	}
	return s.clear(ctx, kind, storedID(audit.CanonicalMarkID(id)), reason, by)
}

// ClearMark lifts m, a mark as [Switch.Marks] listed it, as [Switch.Clear]
// does. It exists for the mark of an id longer than 4 KiB, which Marks
// lists under its stand-in: Clear takes the id as it was marked and
// hashes a stand-in again (an id shaped like one is an id of its own, which
// keeps ids and stored marks one-to-one). ClearMark takes m.ID as the
// stored id, so it reaches exactly the mark listed under m.ID and no other
// id's: a stand-in names one id by its SHA-256, and an id kept as it is
// is stored under itself. Only m.Kind and m.ID are read.
func (s *Switch) ClearMark(ctx context.Context, m Mark, reason, by string) error {
	if err := validArgs(m.Kind, m.ID, reason, by); err != nil {
		return err
	}
	return s.clear(ctx, m.Kind, m.ID, reason, by)
}

// clear deletes the mark stored under id (a stored id: see storedID) if the
// bucket holds one, after auditing it, and only at the revision it read.
func (s *Switch) clear(ctx context.Context, kind Kind, id, reason, by string) error {
	k := key(kind, id)
	gctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
	cur, err := s.kv.Get(gctx, k)
	cancel()
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return fmt.Errorf("%w: %s %q", ErrNotMarked, kind, id)
	case err != nil:
		return fmt.Errorf("%w: mark of %s %q kept, not read: %w", ErrUnavailable, kind, id, err)
	}
	attrs := map[string]string{audit.AttrCompromisedID: id, AttrCompromisedKind: string(kind)}
	if err := s.audit.Write(ctx, s.event(s.cfg.now(), audit.ActionKillSwitchClear, by, reason, attrs)); err != nil {
		return fmt.Errorf("natskill: mark of %s %q kept, clearing could not be audited: %w", kind, id, err)
	}
	dctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
	err = s.kv.Delete(dctx, k, jetstream.LastRevision(cur.Revision()))
	cancel()
	if err == nil {
		return nil
	}
	why := fmt.Errorf("%w: mark of %s %q kept, clear not recorded: %w", ErrUnavailable, kind, id, err)
	if lostRace(err) {
		why = fmt.Errorf("%w: %s %q was marked again or cleared by another caller", ErrMarkChanged, kind, id)
	}
	return s.clearNotDone(ctx, attrs, reason, by, why)
}

// clearNotDone records that an audited clear did not happen, so that the
// log does not leave a lift standing that did not take place, and returns
// why, joined with the audit error if that record cannot be written.
func (s *Switch) clearNotDone(ctx context.Context, attrs map[string]string, reason, by string, why error) error {
	e := s.event(s.cfg.now(), audit.ActionKillSwitchClear, by, "not cleared ("+why.Error()+"); reason given: "+reason, attrs)
	e.Outcome = audit.OutcomeFailure
	if err := s.audit.Write(ctx, e); err != nil {
		return errors.Join(why, fmt.Errorf("natskill: the failed clear could not be audited: %w", err))
	}
	return why
}

// Write handles a detector event as [audit.KillSwitch.Write] does: an
// [audit.ActionCompromiseDetected] event marks Attributes[compromised_id], of
// kind Attributes[compromised_kind] (default [KindJob]), until
// Attributes[expires] (RFC 3339, optional); other actions are ignored. A
// malformed detector event is an error and marks nothing. An event whose
// expiry has already passed (a replay) marks nothing, writes nothing to
// the bucket, audits nothing and returns nil.
func (s *Switch) Write(ctx context.Context, e audit.Event) error {
	if e.Action != audit.ActionCompromiseDetected {
		return nil
	}
	if err := e.Validate(); err != nil {
		return err
	}
	id := e.Attributes[audit.AttrCompromisedID]
	if id == "" {
		return &audit.FieldError{Field: "attributes." + audit.AttrCompromisedID, Want: "the compromised identity"}
	}
	kind := KindJob
	if k, ok := e.Attributes[AttrCompromisedKind]; ok {
		kind = Kind(k)
		if !kind.valid() {
			// Not k: it is the detector event's, from the audit stream.
			return &audit.FieldError{Field: "attributes." + AttrCompromisedKind, Want: fmt.Sprint(kinds), Got: fmt.Sprintf("another value of %d bytes", len(k))}
		}
	}
	var until time.Time
	if v, ok := e.Attributes[audit.AttrExpires]; ok {
		t, err := audit.ParseExpires(v) // refuses the zero time, which would mean "never"
		if err != nil {
			return err
		}
		until = t
	}
	reason := e.Reason
	if reason == "" {
		reason = "detector event " + e.ID
	}
	// A detector's long reason or name is cut, never a reason to refuse
	// the mark: the identity would escape quarantine (the event itself is
	// audited in full where the detector writes it).
	err := s.mark(ctx, kind, id, clip.String(reason, maxIDLen-len("…")), clip.String(e.Actor.ID, maxIDLen-len("…")), until)
	if errors.Is(err, audit.ErrMarkLapsed) {
		// A replayed or late detector event: its mark would be inert, and
		// refusing it would fail the stream that carries it.
		s.cfg.logger.InfoContext(ctx, "natskill: detector event's mark already lapsed, not marking", "event", e.ID)
		return nil
	}
	return err
}

// Close stops following the bucket and waits for the switch's goroutines to
// exit. Afterwards every check fails with [ErrClosed]. Close is idempotent.
func (s *Switch) Close() error {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.stop)
		s.cancel()
		s.wg.Wait()
	})
	return nil
}

func validArgs(kind Kind, id, reason, by string) error {
	switch {
	case !kind.valid():
		return fmt.Errorf("%w: kind %q (want one of %v)", ErrConfig, kind, kinds)
	case id == "" || reason == "" || by == "":
		return fmt.Errorf("%w: empty id, reason or by", ErrConfig)
	case len(reason) > maxIDLen || len(by) > maxIDLen: // a long id is stored as its stand-in (storedID)
		return fmt.Errorf("%w: reason or by longer than %d bytes", ErrConfig, maxIDLen)
	}
	return nil
}

func (s *Switch) event(now time.Time, action, by, reason string, attrs map[string]string) audit.Event {
	return audit.Event{
		ID:         randid.New(),
		Time:       now.UTC(),
		Source:     SourceKillSwitch,
		Action:     action,
		Outcome:    audit.OutcomeSuccess,
		Actor:      audit.Actor{ID: by},
		Resource:   attrs[audit.AttrCompromisedID],
		Reason:     reason,
		Attributes: attrs,
	}
}
