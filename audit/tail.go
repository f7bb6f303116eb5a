package audit

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/maphash"
	"os"
	"strconv"
	"time"
)

// TailPolicy is what [Open] does with an unsigned tail: entries it finds
// after the last signed checkpoint of an existing log ([WithUnsignedTail]).
// The zero value is not a policy, so a forgotten setting is an error
// rather than a default.
//
// A crash between an fsync'd append and the next checkpoint leaves such a
// tail, but so does anyone who writes the file while the log is closed:
// the entry framing and checksums need no key, so a forged entry and one
// the process wrote before it crashed look alike. Whatever Open adopts,
// the next checkpoint signs.
type TailPolicy int

const (
	// TailAdopt, the default: Open keeps the log available after a crash.
	// It logs a warning naming the entries, appends one
	// [ActionUnsignedTailAdopted] entry recording them before anything
	// else, and signs a checkpoint over both before it returns, so the
	// signed log says which entries were signed at a restart rather than
	// when written ([Report.Adopted]). An entry that is not an event as
	// [Log.Append] writes it fails Open with [ErrCorruptEntry] instead:
	// no crash leaves one, and once signed it would be part of the
	// verified log.
	TailAdopt TailPolicy = iota + 1
	// TailRefuse: Open fails with a [*LogError] wrapping [ErrUnanchored]
	// that names the entries, and leaves the file as it is (a torn line
	// after them included). Use it when the checkpoint key lives outside
	// the host ([OpenWithSigner] with a KMS or HSM key): there, adoption
	// would let whoever can write the file, but not use the key, have
	// their entries signed. An operator inspects the tail ([Verifier.Log]
	// reports how far the log is signed; [ReadEntries] shows the entries)
	// and then either opens the log with [TailAdopt], which records the
	// adoption, or cuts the file back to the end of its last checkpoint
	// line (keeping a copy) to discard them.
	TailRefuse
)

func (p TailPolicy) String() string {
	switch p {
	case TailAdopt:
		return "TailAdopt"
	case TailRefuse:
		return "TailRefuse"
	}
	return "TailPolicy(" + strconv.Itoa(int(p)) + ")"
}

// WithUnsignedTail sets what [Open] and [OpenWithSigner] do with entries
// after the last signed checkpoint of an existing log (default
// [TailAdopt]; see [TailPolicy]). There is no policy that adopts without
// a record.
func WithUnsignedTail(p TailPolicy) Option {
	return Option{"WithUnsignedTail", forLog, func(o *options) error {
		if p != TailAdopt && p != TailRefuse {
			return fmt.Errorf("unknown policy %v (want TailAdopt or TailRefuse)", p)
		}
		o.tail = p
		return nil
	}}
}

// The recovery event [Open] appends when it adopts an unsigned tail
// ([TailAdopt]): Source [SourceLog], Action [ActionUnsignedTailAdopted],
// Outcome success, Actor {ID: SourceLog, Kind: "service"}, Resource the
// log's origin, Time when Open ran, ID
// "unsigned-tail-adopted-<from>-<to>-<first 8 bytes of the root in hex>",
// and these attributes (decimal indices, standard base64 root).
// The adopted entries are those with index from to to-1; the event itself
// is entry to, and the checkpoint Open signs after it covers both.
// [Verifier.Log] counts the adopted entries in [Report.Adopted].
const (
	// SourceLog is the Source, and the Actor ID, of the events a [Log]
	// writes into itself.
	SourceLog = "ztci/audit/log"
	// ActionUnsignedTailAdopted: Open found entries after the log's last
	// signed checkpoint and signed them.
	ActionUnsignedTailAdopted = "audit.unsigned_tail_adopted"
	// AttrAdoptedFrom is the index of the first adopted entry: the size
	// of the last signed checkpoint (0 if there was none).
	AttrAdoptedFrom = "adopted_from"
	// AttrAdoptedTo is one past the index of the last adopted entry: the
	// tree size the adopted entries end at, and the recovery event's own
	// index.
	AttrAdoptedTo = "adopted_to"
	// AttrTreeRoot is the RFC 6962 root of the log's first adopted_to
	// entries, in standard base64: what a checkpoint signed at the crash
	// would have committed to. [Log.ConsistencyProof] from the checkpoint
	// of size adopted_from proves it an extension of that checkpoint.
	AttrTreeRoot = "tree_root"
)

// adoptionEvent is the recovery event for the entries [from, to) of the
// log named origin, whose tree of size to has root.
func adoptionEvent(origin string, from, to uint64, root []byte, now time.Time) Event {
	return Event{
		ID:       fmt.Sprintf("unsigned-tail-adopted-%d-%d-%s", from, to, hex.EncodeToString(root[:8])),
		Time:     now.UTC(),
		Source:   SourceLog,
		Action:   ActionUnsignedTailAdopted,
		Outcome:  OutcomeSuccess,
		Actor:    Actor{ID: SourceLog, Kind: "service"},
		Resource: origin,
		Reason: "unsigned tail (" + span(from, to) + ") adopted when the log was opened: signed then, not when written; " +
			"a crash between checkpoints leaves such a tail, and so does a write to the closed file",
		Attributes: map[string]string{
			AttrAdoptedFrom: strconv.FormatUint(from, 10),
			AttrAdoptedTo:   strconv.FormatUint(to, 10),
			AttrTreeRoot:    base64.StdEncoding.EncodeToString(root),
		},
	}
}

// span names the entries [from, to), to > from.
func span(from, to uint64) string {
	if to-from == 1 {
		return "entry " + strconv.FormatUint(from, 10)
	}
	return "entries " + strconv.FormatUint(from, 10) + " to " + strconv.FormatUint(to-1, 10)
}

// adoptionIDPrefix starts the stable form of every recovery event (its id
// comes first): an entry without it is not one Open wrote, and is not
// decoded, so verifying a log costs one comparison per entry.
const adoptionIDPrefix = `{"id":"unsigned-tail-adopted-`

// parseAdoption reads event as a recovery event: the range [from, to) it
// adopts and the root it records. ok is false for any other event.
func parseAdoption(event []byte) (from, to uint64, root []byte, ok bool) {
	if !bytes.HasPrefix(event, []byte(adoptionIDPrefix)) {
		return 0, 0, nil, false
	}
	e, err := Decode(event)
	if err != nil || e.Action != ActionUnsignedTailAdopted || e.Source != SourceLog {
		return 0, 0, nil, false
	}
	from, err1 := strconv.ParseUint(e.Attributes[AttrAdoptedFrom], 10, 64)
	to, err2 := strconv.ParseUint(e.Attributes[AttrAdoptedTo], 10, 64)
	root, err3 := base64.StdEncoding.Strict().DecodeString(e.Attributes[AttrTreeRoot])
	if err1 != nil || err2 != nil || err3 != nil || from >= to {
		return 0, 0, nil, false
	}
	return from, to, root, true
}

// adoption counts, while a log is verified, the entries its recovery
// events adopted. A recovery event counts only where Open would have
// written it: at index to, adopting from the last signed checkpoint, with
// the root of the tree before it. Any other entry that says it is one
// (written into a tail that a later, real one adopted) is an ordinary
// entry. An entry adopted twice (a crash after a recovery event was
// written but before its checkpoint was) counts once.
func (s *scanner) adoption(index uint64, event []byte) {
	from, to, root, ok := parseAdoption(event)
	if !ok || to != index || from != s.report.Latest.Size {
		return
	}
	if cur, err := rootOf(s.rng); err != nil || !bytes.Equal(cur, root) {
		return
	}
	if to > s.adoptedEnd {
		s.report.Adopted += to - max(from, s.adoptedEnd)
		s.adoptedEnd = to
	}
}

// refuseTail is Open's error for entries [from, to) found after the last
// signed checkpoint under [TailRefuse]; s is the scan that found them.
func refuseTail(path string, s *scanner, from, to uint64) error {
	where := fmt.Sprintf("after the last signed checkpoint (size %d)", from)
	if s.report.Checkpoints == 0 {
		where = "in a log with no signed checkpoint"
	}
	le := &LogError{Line: s.tailLine, Offset: s.tailOff, Index: from,
		Err: fmt.Errorf("%w: unsigned tail (%s) %s, refused by WithUnsignedTail(TailRefuse)",
			ErrUnanchored, span(from, to), where)}
	return fmt.Errorf("audit: open log %s: %w", path, le)
}

// adoptTail appends the recovery event for the entries [from, to) and a
// checkpoint over it, durably, before the log takes any append.
func (l *Log) adoptTail(ctx context.Context, path string, from, to uint64) error {
	root, err := rootOf(l.rng)
	if err != nil {
		return fmt.Errorf("audit: open log %s: %w", path, err)
	}
	l.logger.WarnContext(ctx, "audit log: adopting entries found after the last signed checkpoint "+
		"(left by a crash between checkpoints, or written to the file while the log was closed); "+
		"recording the adoption in the log and signing them now",
		"path", path, "entries", to-from, "first", from, "last", to-1, "signed_size", from,
		"tree_root", base64.StdEncoding.EncodeToString(root))
	p, err := encodePrefixed(adoptionEvent(l.signer.Name(), from, to, root, l.now()))
	if err != nil {
		return fmt.Errorf("audit: open log %s: recovery event: %w", path, err)
	}
	leaf, line := hashLeafPrefixed(p), p[1:]
	var pid pendingID
	if tok, ok := idToken(line); ok {
		pid.hash, pid.ok = maphash.Bytes(l.ids.seed, tok), true
	}
	l.next++
	if _, err := l.commit(appendEntryLine(nil, to, line), [][]byte{leaf}, []pendingID{pid}, true); err != nil {
		return fmt.Errorf("audit: open log %s: adopt unsigned tail: %w", path, err)
	}
	return nil
}

// checkTail refuses to adopt the unsigned tail [from, to) that scan s
// found unless every entry is an event exactly as [Encode] writes it, as
// every entry [Log.Append] writes is. Anything else was written by someone
// else, and signing it would make it part of the verified log: a line that
// is no event would fail [ReadEntries] for every reader from then on, and
// another spelling of an event's id (an escaped letter, a space before the
// object) would escape [Log.Lookup], which then returns the original as
// the only entry with that id.
func checkTail(f *os.File, s *scanner, from, to uint64) error {
	off, line := s.tailOff, s.tailLine
	for index := from; index < to; index++ {
		b, err := readLineAt(f, off)
		if err != nil {
			return err
		}
		if err := stableEntry(b); err != nil {
			return &LogError{Line: line, Offset: off, Index: index,
				Err: fmt.Errorf("%w: unsigned tail entry refused, not adopted: %w", ErrCorruptEntry, err)}
		}
		off += int64(len(b)) + 1
		line++
	}
	return nil
}

// stableEntry checks an entry line (without its newline) whose framing
// the scan verified: its event decodes and re-encodes to the same bytes.
func stableEntry(line []byte) error {
	_, start, err := parseEntry(line[2:])
	if err != nil {
		return err
	}
	raw := line[2+start:]
	e, err := Decode(raw)
	if err != nil {
		return err
	}
	if j, err := Encode(e); err != nil || !bytes.Equal(j, raw) {
		return errors.New("the event is not in the stable form Append writes")
	}
	return nil
}
