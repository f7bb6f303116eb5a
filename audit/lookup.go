package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/ztci/ztci/internal/clip"
)

// Errors of [Log.Lookup] and [Log.Prove].
var (
	// ErrEventNotFound: no durable entry of the log carries the event id.
	ErrEventNotFound = errors.New("audit: event not found in log")
	// ErrDuplicateEvent: more than one entry carries the event id (for
	// example an append retried after its context ended although it was
	// written), so the id does not name one entry. Read the log with
	// [ReadEntries] to see them all.
	ErrDuplicateEvent = errors.New("audit: event id appears more than once in log")
)

// idIndex maps event ids to the file offsets of their entry lines. It
// keeps a 64-bit keyed hash of the id, not the id: about 20–40 bytes per
// entry in Go's map (16 bytes of key and value, plus the map's load
// factor), whatever the length of the ids. A lookup reads the line back
// from the file and compares the id itself, so hash collisions (and
// duplicate ids) cost a read each but never return the wrong entry.
type idIndex struct {
	seed  maphash.Seed
	first map[uint64]int64   // id hash → offset of the first entry with it
	more  map[uint64][]int64 // further entries with the same hash, in log order
}

func newIDIndex() idIndex {
	return idIndex{seed: maphash.MakeSeed(), first: map[uint64]int64{}}
}

// add records the entry line at off whose event JSON is event.
func (x *idIndex) add(event []byte, off int64) {
	tok, ok := idToken(event)
	if !ok {
		// Not in the stable encoding this package writes: cannot be found
		// by id, as no event written by [Log.Append] can look like this.
		return
	}
	x.addHash(maphash.Bytes(x.seed, tok), off)
}

func (x *idIndex) addHash(h uint64, off int64) {
	if _, dup := x.first[h]; !dup {
		x.first[h] = off
		return
	}
	if x.more == nil {
		x.more = map[uint64][]int64{}
	}
	x.more[h] = append(x.more[h], off)
}

func (x *idIndex) hashID(id string) uint64 {
	return maphash.Bytes(x.seed, appendJSONString(nil, id))
}

// candidates returns the offsets of the entries whose id hash is h.
func (x *idIndex) candidates(h uint64) []int64 {
	off, ok := x.first[h]
	if !ok {
		return nil
	}
	return append([]int64{off}, x.more[h]...)
}

// idToken returns the JSON string token of the event's id, quotes
// included, as the stable encoding writes it first: {"id":"…",…}.
func idToken(event []byte) ([]byte, bool) {
	const prefix = `{"id":`
	if !bytes.HasPrefix(event, []byte(prefix)) || len(event) < len(prefix)+2 || event[len(prefix)] != '"' {
		return nil, false
	}
	b := event[len(prefix):]
	for i := 1; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++ // skip the escaped byte
		case '"':
			return b[:i+1], true
		}
	}
	return nil, false
}

// Lookup returns the receipt (index and stored bytes) of the durable entry
// whose event has the given id, without scanning the log: the log keeps an
// index of event ids, built by [Open] and extended by every append (its
// memory cost is about 20–40 bytes per entry, in addition to the 64 bytes
// per entry of the Merkle tree). The entry is read back from the file and
// checked against its Merkle leaf before it is returned.
//
// Errors: [ErrEventNotFound], [ErrDuplicateEvent] when several entries
// carry the id, [ErrClosed], or an [ErrInvalidLog] error when the file no
// longer holds what the log wrote.
func (l *Log) Lookup(ctx context.Context, id string) (Receipt, error) {
	if err := ctx.Err(); err != nil {
		return Receipt{}, err
	}
	l.mu.Lock()
	closed := l.closed
	l.mu.Unlock()
	if closed {
		return Receipt{}, ErrClosed
	}
	l.tmu.RLock()
	offs := l.ids.candidates(l.ids.hashID(id))
	l.tmu.RUnlock()
	want := appendJSONString(nil, id)
	var found []Receipt
	for _, off := range offs {
		r, err := l.readEntry(off)
		if err != nil {
			return Receipt{}, err
		}
		if tok, _ := idToken(r.Entry); bytes.Equal(tok, want) {
			found = append(found, r)
		}
	}
	// The id is the caller's, often a requester's (a proof served by
	// event id): clipped, like the list of entries sharing it, which
	// whoever chooses event ids can make as long as the log.
	switch len(found) {
	case 0:
		return Receipt{}, fmt.Errorf("%w: id %s", ErrEventNotFound, clip.Quote(id, maxIDText))
	case 1:
		return found[0], nil
	}
	idx := make([]string, 0, maxDupIndexes+1)
	for _, r := range found[:min(len(found), maxDupIndexes)] {
		idx = append(idx, strconv.FormatUint(r.Index, 10))
	}
	if len(found) > maxDupIndexes {
		idx = append(idx, fmt.Sprintf("and %d more", len(found)-maxDupIndexes))
	}
	return Receipt{}, fmt.Errorf("%w: id %s at entries %s", ErrDuplicateEvent, clip.Quote(id, maxIDText), strings.Join(idx, ", "))
}

// Bounds of what [Log.Lookup] and [Verifier.VerifyEvent] errors quote.
const (
	maxIDText     = 128 // bytes of an event id
	maxDupIndexes = 8   // indexes of entries sharing an id
)

// readEntry reads the entry line at off and checks it against the leaf
// hash the log holds for its index.
func (l *Log) readEntry(off int64) (Receipt, error) {
	line, err := readLineAt(l.f, off)
	if err != nil {
		return Receipt{}, err
	}
	fail := func(err error) error {
		return &LogError{Offset: off, Err: fmt.Errorf("%w (the file changed under the open log)", err)}
	}
	if len(line) < 2 || line[0] != 'e' || line[1] != ' ' {
		return Receipt{}, fail(fmt.Errorf("%w: no entry at indexed offset", ErrCorruptEntry))
	}
	b := line[2:]
	index, start, err := parseEntry(b)
	if err != nil {
		return Receipt{}, fail(err)
	}
	l.tmu.RLock()
	var leaf []byte
	if index < l.size {
		leaf = l.levels[0].get(index)
	}
	l.tmu.RUnlock()
	if leaf == nil || !bytes.Equal(hashLeafPrefixed(b[start-1:]), leaf) {
		return Receipt{}, fail(fmt.Errorf("%w: entry %d does not match its Merkle leaf", ErrRootMismatch, index))
	}
	return Receipt{Index: index, Entry: b[start:]}, nil
}

// readLineAt reads the line starting at off, without its newline, reading
// at most maxLine bytes.
func readLineAt(f *os.File, off int64) ([]byte, error) {
	buf := make([]byte, 1024) // most events fit: one read
	n := 0
	for {
		m, err := f.ReadAt(buf[n:], off+int64(n))
		if i := bytes.IndexByte(buf[n:n+m], '\n'); i >= 0 {
			return buf[:n+i], nil
		}
		n += m
		switch {
		case n > maxLine:
			return nil, &LogError{Offset: off, Err: fmt.Errorf("%w: line longer than %d bytes", ErrCorruptEntry, maxLine)}
		case errors.Is(err, io.EOF):
			return nil, &LogError{Offset: off, Err: fmt.Errorf("%w: indexed entry cut short", ErrTruncated)}
		case err != nil:
			return nil, fmt.Errorf("%w: read log: %w", ErrInvalidLog, err)
		}
		buf = append(buf, make([]byte, min(len(buf), maxLine+1-len(buf)))...)
	}
}

// EventProof proves that an event is in a log: its entry, a signed
// checkpoint, and the inclusion proof between them. Anyone holding the
// log's origin and public key checks it with [Verifier.VerifyEvent].
type EventProof struct {
	Receipt
	Checkpoint Checkpoint
	// Hashes is the RFC 6962 inclusion proof of entry Index in the tree of
	// Checkpoint.Size entries.
	Hashes [][]byte
}

// Prove looks up the event with the given id ([Log.Lookup]) and returns
// its inclusion proof against the latest checkpoint, signing a new one
// first (as [Log.Checkpoint] does) if the entry is not covered yet.
func (l *Log) Prove(ctx context.Context, id string) (EventProof, error) {
	r, err := l.Lookup(ctx, id)
	if err != nil {
		return EventProof{}, err
	}
	cp := l.Latest()
	if cp.Signed == nil || cp.Size <= r.Index {
		if cp, err = l.Checkpoint(ctx); err != nil {
			return EventProof{}, err
		}
	}
	hashes, err := l.InclusionProof(r.Index, cp.Size)
	if err != nil {
		return EventProof{}, err
	}
	return EventProof{Receipt: r, Checkpoint: cp, Hashes: hashes}, nil
}

// VerifyEvent checks p offline: the checkpoint is signed by the verifier's
// key for its origin, the entry is included in it, and the entry is the
// event with the given id. It returns the decoded event. Errors wrap
// [ErrProof], [ErrEventNotFound] (the entry is another event) or a
// checkpoint or decoding error.
func (v *Verifier) VerifyEvent(p EventProof, id string) (Event, error) {
	if err := v.Inclusion(p.Checkpoint, p.Index, p.Entry, p.Hashes); err != nil {
		return Event{}, err
	}
	e, err := Decode(p.Entry)
	if err != nil {
		return Event{}, err
	}
	if e.ID != id {
		// Not e.ID: whoever handed over the proof chose it.
		return Event{}, fmt.Errorf("%w: proof is for another event than %s", ErrEventNotFound, clip.Quote(id, maxIDText))
	}
	return e, nil
}
