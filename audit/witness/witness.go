package witness

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/randid"
)

// Source is the Source of the witness's audit events.
const Source = "ztci/audit/witness"

// Actions of the witness's audit events, one per kind of flag. Every flag
// event has Outcome deny, the origin as Resource and as Actor (kind
// "service": the node whose log it is), and the attributes Attr*.
const (
	ActionFork           = "audit.witness.fork"
	ActionRollback       = "audit.witness.rollback"
	ActionGap            = "audit.witness.gap" // also a missing proof
	ActionBadSignature   = "audit.witness.bad_signature"
	ActionUnknownOrigin  = "audit.witness.unknown_origin"
	ActionOriginMismatch = "audit.witness.origin_mismatch"
	ActionMalformed      = "audit.witness.malformed"
)

// ActionFirstUse is the audit event of a checkpoint trusted on first use:
// the witness held no checkpoint of its origin, so nothing it was shown
// could be checked against the past (its proof, if any, is not checked).
// A witness whose state was lost or removed — a store that does not
// survive a restart, a deleted or wiped key — trusts the next checkpoint
// of a rolled-back or forked log this way, so every such trust is in the
// audit trail, not only in a log line. Outcome allow, the origin as
// Resource and Actor, [AttrSize], [AttrRoot] and [AttrOldSize]; an old
// size above 0 means the log says it was witnessed before. The event is
// recorded before the state is saved: when it cannot be recorded, nothing
// is accepted ([ErrUnrecorded]).
const ActionFirstUse = "audit.witness.first_use"

// Attributes of flag events. Sizes are decimal, roots base64; the
// accepted ones are absent when the witness held nothing for the origin,
// the submitted ones when the submission did not parse and verify.
const (
	AttrAcceptedSize = "accepted_size"
	AttrAcceptedRoot = "accepted_root"
	AttrSize         = "size"
	AttrRoot         = "root"
	AttrOldSize      = "old_size"
)

// Result describes an accepted checkpoint.
type Result struct {
	// Checkpoint is the verified checkpoint, now the witness's state for
	// its origin.
	Checkpoint audit.Checkpoint
	// Previous is the checkpoint accepted before it (zero if First).
	Previous audit.Checkpoint
	// First: the witness held nothing for this origin and trusted the
	// checkpoint on first use (its proof, if any, could not be checked);
	// recorded as an [ActionFirstUse] event.
	First bool
	// Duplicate: the checkpoint is the one already accepted (a redelivered
	// submission); the state did not change.
	Duplicate bool
	// Replayed: the submission was given to [Witness.AddAt] at a
	// [Position] at or before the one of the checkpoint accepted last for
	// its origin: the transport delivered again what was witnessed already
	// (a consumer replaying its stream), so it was not decided again.
	// Checkpoint and Previous are the accepted checkpoint; the state did
	// not change.
	Replayed bool
}

// Position is where a transport stored a submission: Seq is the sequence
// number the transport assigned it in Log, an append-only sequence of
// submissions (for JetStream, one stream), so that every submission stored
// later in Log has a higher Seq. The transport assigns it, never the
// submitter: a node publishing a message, even one carrying an old
// checkpoint, gets a new, higher Seq. Log names that sequence and its
// incarnation (a stream deleted and made again under the same name starts
// its numbers again, and must have another Log). The zero Position means
// none.
type Position struct {
	Log string
	Seq uint64
}

// IsZero reports whether p is the zero Position (no position).
func (p Position) IsZero() bool { return p.Log == "" || p.Seq == 0 }

// covers reports whether a submission at q was stored at or before p, in
// the same log.
func (p Position) covers(q Position) bool {
	return !p.IsZero() && !q.IsZero() && p.Log == q.Log && q.Seq <= p.Seq
}

// Witness checks that the logs it knows only ever grow. It is safe for
// concurrent use; submissions are decided one at a time.
type Witness struct {
	logs  map[string]*audit.Verifier
	store Store
	sink  audit.Sink
	cfg   config

	mu    sync.Mutex
	state map[string]held // cache of the store
}

type held struct {
	cp  audit.Checkpoint
	rev uint64
	pos Position // where the transport stored cp's submission, if known
}

// New returns a witness for the logs of verifiers (one per origin: the
// origin and public key of each node's [audit.Log]), keeping its state in
// store and recording every flag in sink. Checkpoints of any other origin
// are rejected with [ErrUnknownOrigin].
//
// Options: [WithLogger], [WithClock], [WithOnFlag].
func New(verifiers []*audit.Verifier, store Store, sink audit.Sink, opts ...Option) (*Witness, error) {
	if len(verifiers) == 0 || store == nil || sink == nil {
		return nil, fmt.Errorf("%w: at least one verifier, a store and an audit sink are required", ErrConfig)
	}
	w := &Witness{
		logs: make(map[string]*audit.Verifier, len(verifiers)), store: store, sink: sink,
		cfg:   config{logger: slog.New(slog.DiscardHandler), now: time.Now},
		state: map[string]held{},
	}
	for _, v := range verifiers {
		if v == nil {
			return nil, fmt.Errorf("%w: nil verifier", ErrConfig)
		}
		if _, dup := w.logs[v.Origin()]; dup {
			return nil, fmt.Errorf("%w: origin %q configured twice", ErrConfig, v.Origin())
		}
		w.logs[v.Origin()] = v
	}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil Option", ErrConfig)
		}
		if err := o(&w.cfg); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	return w, nil
}

// Add decides the encoded submission body (see [Submission]) received for
// origin — the origin the transport attributes it to (the node's subject
// or connection), which the checkpoint must name.
//
// It returns the Result when the checkpoint was accepted (and persisted),
// a [*FlagError] wrapping [ErrRejected] when it was refused (audited and
// reported to the [WithOnFlag] callback first), or an error wrapping
// [ErrUndecided] when it could not decide or could not record the flag (or
// the first use, [ActionFirstUse]);
// redeliver the submission later in that case.
//
// The checks, in order: origin known and named by the checkpoint; framing;
// signature by the origin's key; then against the accepted checkpoint L
// (if none, the checkpoint is trusted on first use):
//
//   - old size above the checkpoint's size, or size below L's: rollback;
//   - size equal to L's: the same root is a duplicate (accepted, no
//     change), another root a fork;
//   - size above L's: old size 0 is a missing proof, another old size
//     than L's a gap, a proof that does not verify from L a fork.
func (w *Witness) Add(ctx context.Context, origin string, body []byte) (Result, error) {
	return w.AddAt(ctx, origin, body, Position{})
}

// AddAt is [Witness.Add] for a submission the transport stored at pos (the
// zero Position: Add). When the store is a [PositionStore], the witness
// keeps, with each origin's accepted checkpoint and in the same write, the
// position of the submission that carried it, and a submission at or
// before that position in the same log is recognised as delivered again,
// not decided again: Result.Replayed, no flag, no audit event. A transport
// replaying its log from the start (a new or reset consumer, an ack lost)
// thus hands the witness its old checkpoints without every one being
// flagged as a rollback, while a submission stored later — a node
// publishing an old checkpoint anew — is decided as Add does, and flagged.
//
// Only a position the transport assigned (never one the submitter chose,
// nor one derived from the submission's content) is sound here, and only
// as long as the positions of one Log only grow. With a store that keeps
// no positions ([Witness.KeepsPositions] false), AddAt is Add: a replayed
// old checkpoint is flagged as a rollback.
func (w *Witness) AddAt(ctx context.Context, origin string, body []byte, pos Position) (Result, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	res, flag, err := w.decide(ctx, origin, body, pos)
	if err != nil {
		return Result{}, err
	}
	if flag != nil {
		return Result{}, w.report(ctx, flag)
	}
	return res, nil
}

// KeepsPositions reports whether the witness's store is a [PositionStore],
// so that [Witness.AddAt] recognises submissions delivered again.
func (w *Witness) KeepsPositions() bool {
	_, ok := w.store.(PositionStore)
	return ok
}

func (w *Witness) decide(ctx context.Context, origin string, body []byte, pos Position) (Result, *FlagError, error) {
	v, ok := w.logs[origin]
	if !ok {
		return Result{}, &FlagError{Kind: ErrUnknownOrigin, Origin: printable(origin)}, nil
	}
	if !pos.IsZero() && w.KeepsPositions() {
		// Before anything else: a submission stored at or before the one
		// accepted last was decided when it was first delivered (accepted,
		// or flagged and the flag recorded), whatever it holds.
		h, _, err := w.load(ctx, origin, v)
		if err != nil {
			return Result{}, nil, err
		}
		if h.pos.covers(pos) {
			w.cfg.logger.DebugContext(ctx, "witness: submission delivered again, witnessed already", "origin", origin, "seq", pos.Seq, "accepted_seq", h.pos.Seq)
			return replayed(h), nil, nil
		}
	}
	s, err := ParseSubmission(body)
	if err != nil {
		return Result{}, &FlagError{Kind: ErrMalformed, Origin: origin, Err: err}, nil
	}
	if got := originOf(s.Checkpoint); got != origin {
		return Result{}, &FlagError{Kind: ErrOriginMismatch, Origin: origin, Err: w.namesOrigin(got)}, nil
	}
	cp, err := v.Checkpoint(s.Checkpoint)
	switch {
	case errors.Is(err, audit.ErrCheckpointSignature):
		return Result{}, &FlagError{Kind: ErrBadSignature, Origin: origin, Err: err}, nil
	case err != nil:
		return Result{}, &FlagError{Kind: ErrMalformed, Origin: origin, Err: err}, nil
	}
	h, cached, err := w.load(ctx, origin, v)
	if err != nil {
		return Result{}, nil, err
	}
	res, f := judge(origin, s, cp, h)
	if cached && (f != nil || res.Duplicate) {
		// The cache holds what this witness last decided, and another
		// witness sharing the store (a second follower of the same
		// consumer) may have accepted newer checkpoints since. An
		// acceptance is safe against that (Save is compare-and-swap on the
		// revision), a flag or a duplicate is not: an honest node's next
		// checkpoint, proved from the one the other witness accepted,
		// looked like a gap, and a node that had rolled back re-submitting
		// the checkpoint this witness saw last was a duplicate, accepted.
		// So neither is decided on a cached state.
		delete(w.state, origin)
		if h, _, err = w.load(ctx, origin, v); err != nil {
			return Result{}, nil, err
		}
		if h.pos.covers(pos) {
			// The other witness accepted past this submission: it was
			// decided there.
			return replayed(h), nil, nil
		}
		res, f = judge(origin, s, cp, h)
	}
	if f != nil || res.Duplicate {
		return res, f, nil
	}
	if res.First {
		w.cfg.logger.WarnContext(ctx, "witness: first checkpoint of log, trusted on first use", "origin", origin, "size", cp.Size, "old_size", s.OldSize)
		if err := w.sink.Write(ctx, w.firstUseEvent(origin, s.OldSize, cp)); err != nil {
			return Result{}, nil, fmt.Errorf("%w: audit first use of %q: %w", ErrUnrecorded, origin, err)
		}
	}
	var rev uint64
	ps, keeps := w.store.(PositionStore)
	if keeps && !pos.IsZero() {
		rev, err = ps.SavePosition(ctx, origin, cp.Signed, pos, h.rev)
	} else {
		pos = Position{}
		rev, err = w.store.Save(ctx, origin, cp.Signed, h.rev)
	}
	if err != nil {
		delete(w.state, origin) // reload: another writer, or an unknown outcome
		if errors.Is(err, ErrConflict) {
			return Result{}, nil, fmt.Errorf("witness: save state of %q: %w", origin, err)
		}
		return Result{}, nil, fmt.Errorf("%w: save state of %q: %w", ErrUnavailable, origin, err)
	}
	w.state[origin] = held{cp: cp, rev: rev, pos: pos}
	w.cfg.logger.DebugContext(ctx, "witness: checkpoint accepted", "origin", origin, "size", cp.Size)
	return res, nil, nil
}

// replayed is the Result of a submission delivered again, h being the
// state whose position covers it.
func replayed(h held) Result {
	return Result{Checkpoint: h.cp, Previous: h.cp, Replayed: true}
}

// judge decides the verified checkpoint cp of submission s against h, the
// checkpoint accepted for origin: a flag, a duplicate, or (neither) the
// Result of accepting it, which the caller saves.
func judge(origin string, s Submission, cp audit.Checkpoint, h held) (Result, *FlagError) {
	flag := func(kind, cause error) *FlagError {
		return &FlagError{Kind: kind, Origin: origin, Accepted: h.cp, Size: cp.Size, Root: cp.Root, OldSize: s.OldSize, Err: cause}
	}
	if s.OldSize > cp.Size {
		return Result{}, flag(ErrRollback, fmt.Errorf("old size %d above checkpoint size %d", s.OldSize, cp.Size))
	}
	first := h.cp.Signed == nil
	switch {
	case first:
	case cp.Size < h.cp.Size:
		return Result{}, flag(ErrRollback, nil)
	case cp.Size == h.cp.Size:
		if !bytes.Equal(cp.Root, h.cp.Root) {
			return Result{}, flag(ErrFork, errors.New("same size, different root"))
		}
		return Result{Checkpoint: h.cp, Previous: h.cp, Duplicate: true}, nil
	case s.OldSize == 0 && h.cp.Size > 0:
		return Result{}, flag(ErrMissingProof, nil)
	case s.OldSize != h.cp.Size:
		return Result{}, flag(ErrGap, fmt.Errorf("proof from size %d, witness holds size %d", s.OldSize, h.cp.Size))
	default:
		// Both checkpoints are verified already: check the proof alone.
		if err := proof.VerifyConsistency(rfc6962.DefaultHasher, h.cp.Size, cp.Size, s.Proof, h.cp.Root, cp.Root); err != nil {
			return Result{}, flag(ErrFork, fmt.Errorf("%w: consistency %d -> %d: %w", audit.ErrProof, h.cp.Size, cp.Size, err))
		}
	}
	return Result{Checkpoint: cp, Previous: h.cp, First: first}, nil
}

// load returns the accepted checkpoint of origin, from the cache (cached
// true) or the store, verified against the origin's key.
func (w *Witness) load(ctx context.Context, origin string, v *audit.Verifier) (h held, cached bool, err error) {
	if h, ok := w.state[origin]; ok {
		return h, true, nil
	}
	var (
		signed []byte
		rev    uint64
		pos    Position
	)
	if ps, ok := w.store.(PositionStore); ok {
		signed, pos, rev, err = ps.LoadPosition(ctx, origin)
	} else {
		signed, rev, err = w.store.Load(ctx, origin)
	}
	if err != nil {
		return held{}, false, fmt.Errorf("%w: load state of %q: %w", ErrUnavailable, origin, err)
	}
	h = held{rev: rev}
	if signed != nil {
		h.pos = pos // a position without a checkpoint is nothing witnessed
	}
	if signed != nil {
		if h.cp, err = v.Checkpoint(signed); err != nil {
			return held{}, false, fmt.Errorf("%w: origin %q: %w", ErrStateCorrupt, origin, err)
		}
	}
	w.state[origin] = h
	return h, false, nil
}

// report audits f, calls the flag callback and returns f, or an
// ErrUnrecorded error wrapping f if either failed.
func (w *Witness) report(ctx context.Context, f *FlagError) error {
	w.cfg.logger.ErrorContext(ctx, "witness: checkpoint flagged", "origin", f.Origin, "error", f)
	if err := w.sink.Write(ctx, w.event(f)); err != nil {
		return fmt.Errorf("%w: audit: %w (flag: %w)", ErrUnrecorded, err, f)
	}
	if w.cfg.onFlag != nil {
		if err := w.cfg.onFlag(ctx, f); err != nil {
			return fmt.Errorf("%w: flag callback: %w (flag: %w)", ErrUnrecorded, err, f)
		}
	}
	return f
}

var actions = []struct {
	kind   error
	action string
}{
	// Most specific first: ErrMissingProof is an ErrGap.
	{ErrFork, ActionFork}, {ErrRollback, ActionRollback}, {ErrGap, ActionGap},
	{ErrBadSignature, ActionBadSignature}, {ErrUnknownOrigin, ActionUnknownOrigin},
	{ErrOriginMismatch, ActionOriginMismatch}, {ErrMalformed, ActionMalformed},
}

// event is the audit event of a flag. It carries sizes, roots and the
// origin, never the submission's bytes.
func (w *Witness) event(f *FlagError) audit.Event {
	action := ActionMalformed
	for _, a := range actions {
		if errors.Is(f.Kind, a.kind) {
			action = a.action
			break
		}
	}
	origin := f.Origin
	if _, known := w.logs[origin]; !known {
		origin = printable(origin)
	}
	attrs := map[string]string{}
	if f.Accepted.Signed != nil {
		attrs[AttrAcceptedSize] = strconv.FormatUint(f.Accepted.Size, 10)
		attrs[AttrAcceptedRoot] = base64.StdEncoding.EncodeToString(f.Accepted.Root)
	}
	if f.Root != nil {
		attrs[AttrSize] = strconv.FormatUint(f.Size, 10)
		attrs[AttrRoot] = base64.StdEncoding.EncodeToString(f.Root)
		attrs[AttrOldSize] = strconv.FormatUint(f.OldSize, 10)
	}
	return audit.Event{
		ID:         randid.New(),
		Time:       w.cfg.now().UTC(),
		Source:     Source,
		Action:     action,
		Outcome:    audit.OutcomeDeny,
		Actor:      audit.Actor{ID: origin, Kind: "service"},
		Resource:   origin,
		Reason:     f.Error(),
		Attributes: attrs,
	}
}

// firstUseEvent is the audit event of cp, of a configured origin, trusted
// on first use.
func (w *Witness) firstUseEvent(origin string, oldSize uint64, cp audit.Checkpoint) audit.Event {
	reason := "trusted on first use: the witness held no checkpoint of this log"
	if oldSize > 0 {
		reason += "; the submission proves from size " + strconv.FormatUint(oldSize, 10) +
			", so the log was witnessed before: the witness's state was lost or removed"
	}
	return audit.Event{
		ID:       randid.New(),
		Time:     w.cfg.now().UTC(),
		Source:   Source,
		Action:   ActionFirstUse,
		Outcome:  audit.OutcomeAllow,
		Actor:    audit.Actor{ID: origin, Kind: "service"},
		Resource: origin,
		Reason:   reason,
		Attributes: map[string]string{
			AttrSize:    strconv.FormatUint(cp.Size, 10),
			AttrRoot:    base64.StdEncoding.EncodeToString(cp.Root),
			AttrOldSize: strconv.FormatUint(oldSize, 10),
		},
	}
}

// namesOrigin says which origin a mismatched checkpoint names: a configured
// one by name (a node replaying another's checkpoint), any other only by
// its length, since the submitter wrote it and the reason goes into the
// audit trail and logs.
func (w *Witness) namesOrigin(got string) error {
	if _, known := w.logs[got]; known {
		return fmt.Errorf("checkpoint names origin %q", got)
	}
	return fmt.Errorf("checkpoint names an unknown origin of %d bytes", len(got))
}

// originOf returns the first line of a checkpoint note: its origin.
func originOf(note []byte) string {
	o, _, _ := bytes.Cut(note, []byte{'\n'})
	return string(o)
}

// printable bounds an untrusted origin for messages and events: the origin
// itself when it is non-empty valid UTF-8 of at most 256 bytes, otherwise
// a stand-in holding a space, which no configured origin (a signed-note key
// name) contains. The empty origin — natswitness hands the witness "" for
// a subject that names none — was recorded as an event without an actor,
// which no sink accepts: Add returned ErrUnrecorded for ever and the
// follower, one submission at a time, redelivered it for ever and
// witnessed nothing else. A cut or repaired origin could read as the
// configured origin it was cut to, and a WithOnFlag callback would act on
// that node. Quoted by the caller where needed; printable(printable(s)) is
// printable(s).
func printable(s string) string {
	switch {
	case s == "":
		return "(no origin)"
	case len(s) <= 256 && utf8.ValidString(s):
		return s
	}
	return clip.String(strings.ToValidUTF8(s, "\uFFFD"), 240) + " (altered)"
}
