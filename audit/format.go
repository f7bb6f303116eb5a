package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"

	"github.com/transparency-dev/merkle/compact"
)

// The log file is line-oriented text:
//
//	ztci-audit-log/v1 <origin>                 header, line 1
//	e <index> <crc32c, 8 hex> <event JSON>     one entry per event
//	c <base64 of the signed checkpoint note>   after the entries it covers
//
// The Merkle leaf of an entry is its event JSON exactly as stored. The
// CRC-32C (Castagnoli) catches accidental corruption at the exact line;
// deliberate rewriting that also fixes CRCs is caught by the signed
// checkpoints.

const (
	headerPrefix = "ztci-audit-log/v1 "
	// maxLine bounds a line: an event plus framing, or a checkpoint.
	maxLine = MaxEventSize + 64
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func appendEntryLine(dst []byte, index uint64, line []byte) []byte {
	dst = append(dst, 'e', ' ')
	dst = strconv.AppendUint(dst, index, 10)
	dst = append(dst, ' ')
	crc := crc32.Checksum(line, castagnoli)
	const hexdig = "0123456789abcdef"
	for i := 28; i >= 0; i -= 4 {
		dst = append(dst, hexdig[(crc>>uint(i))&0xf])
	}
	dst = append(dst, ' ')
	dst = append(dst, line...)
	return append(dst, '\n')
}

func appendCheckpointLine(dst []byte, cp Checkpoint) []byte {
	dst = append(dst, 'c', ' ')
	dst = base64.StdEncoding.AppendEncode(dst, cp.Signed)
	return append(dst, '\n')
}

// Report summarises a verified log.
type Report struct {
	// Entries is the number of entries.
	Entries uint64
	// Checkpoints is the number of valid checkpoints.
	Checkpoints int
	// Latest is the last checkpoint; zero if there is none.
	Latest Checkpoint
	// Unsigned is the number of entries after the last checkpoint: they
	// are checksummed and sequenced but not yet covered by a signature.
	Unsigned uint64
	// Adopted is the number of entries that [Open] found after the last
	// signed checkpoint when it reopened the log, and signed then rather
	// than when they were written: left by a crash between checkpoints,
	// or written into the file by someone else while the log was closed.
	// An [ActionUnsignedTailAdopted] entry after them records each
	// adoption (read it with [ReadEntries]); an entry adopted twice counts
	// once.
	Adopted uint64
}

// scanner walks a log, checking framing, sequence, checksums and, when
// verifier is set, checkpoints.
type scanner struct {
	r        *bufio.Reader
	h        slabHasher
	verifier *Verifier // nil: framing only
	anchor   *Checkpoint
	rng      *compact.Range
	visit    compact.VisitFn
	onEntry  func(index uint64, event []byte) error

	line   int
	off    int64 // offset of the current line
	good   int64 // offset just after the last valid line
	report Report

	// Position of the first entry not covered by a signed checkpoint (or
	// the anchor), for the error of an unanchored log.
	tailLine int
	tailOff  int64

	adoptedEnd uint64 // end of the last adoption counted in report.Adopted
}

func newScanner(r io.Reader, v *Verifier) *scanner {
	s := &scanner{r: bufio.NewReaderSize(r, maxLine+1), verifier: v}
	f := &compact.RangeFactory{Hash: s.h.children}
	s.rng = f.NewEmptyRange(0)
	return s
}

func (s *scanner) fail(index uint64, err error) error {
	return &LogError{Line: s.line, Offset: s.off, Index: index, Err: err}
}

// run scans to the end. It returns nil, or a *LogError for the first
// problem. A torn tail is reported as ErrTornTail with s.good marking where
// the valid part ends.
func (s *scanner) run(ctx context.Context) error {
	for {
		if s.line%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		b, err := s.r.ReadSlice('\n')
		s.line++
		switch {
		case err == nil:
		case errors.Is(err, io.EOF) && len(b) == 0:
			s.line--
			if s.line == 0 {
				return s.fail(0, fmt.Errorf("%w: empty file, no header", ErrTornTail))
			}
			if s.anchor != nil && s.report.Entries < s.anchor.Size {
				s.line++
				return s.fail(s.report.Entries, &MismatchError{Kind: ErrTruncated, What: "entries", Want: fmt.Sprintf("at least %d (trusted checkpoint)", s.anchor.Size), Got: strconv.FormatUint(s.report.Entries, 10)})
			}
			return nil
		case errors.Is(err, io.EOF):
			if s.line == 1 && !s.tornHeader(b) {
				return s.fail(0, fmt.Errorf("%w: missing header %q", ErrCorruptEntry, headerPrefix))
			}
			return s.fail(s.report.Entries, fmt.Errorf("%w: %d bytes after the last complete line", ErrTornTail, len(b)))
		case errors.Is(err, bufio.ErrBufferFull):
			return s.fail(s.report.Entries, fmt.Errorf("%w: line longer than %d bytes", ErrCorruptEntry, maxLine))
		default:
			return s.fail(s.report.Entries, fmt.Errorf("%w: read: %w", ErrInvalidLog, err))
		}
		if err := s.handle(b[:len(b)-1]); err != nil {
			return err
		}
		s.off += int64(len(b))
		s.good = s.off
	}
}

// tornHeader reports whether b, an incomplete first line, can be what a
// crash while the log was created left of its header: a prefix of it, or
// zero bytes (file systems may extend a file before writing its data).
// Anything else is another file, which [Open] must refuse, not truncate.
func (s *scanner) tornHeader(b []byte) bool {
	if len(bytes.Trim(b, "\x00")) == 0 {
		return true
	}
	want := headerPrefix
	if s.verifier != nil {
		want += s.verifier.origin
	} else if bytes.HasPrefix(b, []byte(headerPrefix)) {
		return true // any origin: framing only
	}
	return len(b) <= len(want) && want[:len(b)] == string(b)
}

func (s *scanner) handle(b []byte) error {
	if s.line == 1 {
		origin, ok := bytes.CutPrefix(b, []byte(headerPrefix))
		if !ok {
			return s.fail(0, fmt.Errorf("%w: missing header %q", ErrCorruptEntry, headerPrefix))
		}
		if s.verifier != nil && string(origin) != s.verifier.origin {
			// The file's origin is not quoted: whoever wrote the file chose it.
			return s.fail(0, &MismatchError{Kind: ErrForeignLog, What: "header origin", Want: strconv.Quote(s.verifier.origin), Got: otherText(len(origin))})
		}
		return nil
	}
	if len(b) < 2 || b[1] != ' ' {
		return s.fail(s.report.Entries, fmt.Errorf("%w: unknown line type", ErrCorruptEntry))
	}
	switch b[0] {
	case 'e':
		return s.entry(b[2:])
	case 'c':
		return s.checkpoint(b[2:])
	}
	return s.fail(s.report.Entries, fmt.Errorf("%w: unknown line type %q", ErrCorruptEntry, b[0]))
}

func (s *scanner) entry(b []byte) error {
	want := s.report.Entries
	index, start, err := parseEntry(b)
	if err != nil {
		return s.fail(want, err)
	}
	event := b[start:] // b[start-1] is the space before it: scratch for the leaf prefix
	if index != want {
		return s.fail(want, &MismatchError{Kind: ErrSequence, What: "entry index", Want: strconv.FormatUint(want, 10), Got: strconv.FormatUint(index, 10)})
	}
	if index == s.covered() {
		s.tailLine, s.tailOff = s.line, s.off
	}
	if s.onEntry != nil {
		if err := s.onEntry(index, event); err != nil {
			return s.fail(want, err)
		}
	}
	if s.verifier != nil {
		s.adoption(index, event)
	}
	if err := s.rng.Append(s.h.leafPrefixed(b[start-1:]), s.visit); err != nil {
		return s.fail(want, fmt.Errorf("%w: %w", ErrInvalidLog, err))
	}
	s.report.Entries++
	s.report.Unsigned++
	if s.anchor != nil && s.report.Entries == s.anchor.Size {
		if err := s.matchRoot(want, s.anchor.Root); err != nil {
			return err
		}
	}
	return nil
}

// parseEntry parses an entry line after its "e " and without its newline:
// "<index> <crc32c> <event JSON>". It checks the framing and the checksum
// and returns the index and where the event JSON starts (the byte before
// it is a space).
func parseEntry(b []byte) (index uint64, start int, err error) {
	sp := bytes.IndexByte(b, ' ')
	if sp <= 0 || sp > 20 || (sp > 1 && b[0] == '0') {
		return 0, 0, fmt.Errorf("%w: bad index field", ErrCorruptEntry)
	}
	for _, c := range b[:sp] {
		if c < '0' || c > '9' {
			return 0, 0, fmt.Errorf("%w: bad index field", ErrCorruptEntry)
		}
		d := uint64(c - '0')
		if index > (^uint64(0)-d)/10 {
			return 0, 0, fmt.Errorf("%w: index overflows", ErrCorruptEntry)
		}
		index = index*10 + d
	}
	f := b[sp+1:]
	if len(f) < 9 || f[8] != ' ' {
		return 0, 0, fmt.Errorf("%w: bad checksum field", ErrCorruptEntry)
	}
	var crc uint32
	for _, c := range f[:8] {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		default:
			return 0, 0, fmt.Errorf("%w: bad checksum field", ErrCorruptEntry)
		}
		crc = crc<<4 | uint32(d)
	}
	start = sp + 1 + 9
	if got := crc32.Checksum(b[start:], castagnoli); got != crc {
		return 0, 0, &MismatchError{Kind: ErrCorruptEntry, What: "crc32c", Want: fmt.Sprintf("%08x", crc), Got: fmt.Sprintf("%08x", got)}
	}
	return index, start, nil
}

func (s *scanner) matchRoot(index uint64, want []byte) error {
	root, err := rootOf(s.rng)
	if err != nil {
		return s.fail(index, fmt.Errorf("%w: %w", ErrInvalidLog, err))
	}
	if !bytes.Equal(root, want) {
		return s.fail(index, &MismatchError{Kind: ErrRootMismatch, What: "merkle root", Want: base64.StdEncoding.EncodeToString(want), Got: base64.StdEncoding.EncodeToString(root)})
	}
	return nil
}

func (s *scanner) checkpoint(b []byte) error {
	n := s.report.Entries
	signed, err := base64.StdEncoding.Strict().DecodeString(string(b))
	if err != nil {
		return s.fail(n, fmt.Errorf("%w: checkpoint encoding: %w", ErrCorruptEntry, err))
	}
	if base64.StdEncoding.EncodedLen(len(signed)) != len(b) {
		// The decoder skips '\r' and '\n', even strict: a line with
		// carriage returns in it would be another spelling of the note.
		return s.fail(n, fmt.Errorf("%w: checkpoint encoding: not canonical base64", ErrCorruptEntry))
	}
	if s.verifier == nil {
		return nil
	}
	cp, err := s.verifier.Checkpoint(signed)
	if err != nil {
		return s.fail(n, err)
	}
	if cp.Size != n {
		return s.fail(n, &MismatchError{Kind: ErrCheckpointSize, What: "checkpoint size", Want: strconv.FormatUint(n, 10), Got: strconv.FormatUint(cp.Size, 10)})
	}
	if err := s.matchRoot(n, cp.Root); err != nil {
		return err
	}
	s.report.Checkpoints++
	s.report.Latest = cp
	s.report.Unsigned = 0
	return nil
}

// covered returns how many entries a signed checkpoint (in the log or the
// anchor) covers so far.
func (s *scanner) covered() uint64 {
	n := s.report.Latest.Size
	if s.anchor != nil && s.anchor.Size > n {
		n = s.anchor.Size
	}
	return n
}

// anchored reports, after a clean scan, whether every entry is covered by a
// checkpoint signed by the verifier's key: a log without one, or with
// entries after the last one, could have been written by anyone.
func (s *scanner) anchored() error {
	if s.report.Checkpoints == 0 && s.anchor == nil {
		line, off := s.tailLine, s.tailOff
		if s.report.Entries == 0 {
			line, off = s.line, s.good
		}
		return &LogError{Line: line, Offset: off, Index: 0,
			Err: fmt.Errorf("%w: no checkpoint signed by %s in %d entries", ErrUnanchored, s.verifier.origin, s.report.Entries)}
	}
	if c := s.covered(); c < s.report.Entries {
		return &LogError{Line: s.tailLine, Offset: s.tailOff, Index: c,
			Err: &MismatchError{Kind: ErrUnanchored, What: "entries covered by a signed checkpoint", Want: "all " + strconv.FormatUint(s.report.Entries, 10), Got: strconv.FormatUint(c, 10)}}
	}
	return nil
}

// Log verifies a whole log read from r: header origin, framing, checksums,
// sequence, and every checkpoint's signature, size and Merkle root. It
// returns nil only if every entry is covered by a checkpoint signed by v's
// key; otherwise the first problem as a [*LogError] with its line, offset
// and entry index (a torn tail is reported too: only [Open] repairs it).
//
// A log with no valid checkpoint, or with entries after its last one,
// fails with [ErrUnanchored]: its framing may be perfect, but without the
// key anyone can produce it. The [Report] returned with that error says
// how far the log is signed (Report.Latest.Size, Report.Unsigned), for a
// caller that deliberately accepts the signed prefix of a live log.
// [Log.Close] and [Log.Checkpoint] sign everything appended.
//
// Entries that [Open] adopted after its last checkpoint when it reopened
// the log are signed, so they verify; Report.Adopted counts them (see
// [ActionUnsignedTailAdopted]).
//
// Accidental corruption is located at the exact entry. Deliberate rewriting
// that also fixes checksums is detected at the first checkpoint after the
// altered entry. A log cut back to an earlier checkpoint still verifies:
// use [Verifier.LogSince] with a checkpoint seen before to detect that.
func (v *Verifier) Log(ctx context.Context, r io.Reader) (Report, error) {
	s := newScanner(r, v)
	if err := s.run(ctx); err != nil {
		return s.report, err
	}
	return s.report, s.anchored()
}

// VerifyIntegrityOnlyUnsafe checks a log's framing, checksums and entry
// sequence without any key: checkpoint lines are decoded but not verified
// (Report.Checkpoints is 0 and every entry counts as unsigned). A nil error
// says nothing about who wrote the log; anyone can produce a file that
// passes. For tooling that inspects or repairs files; use [Verifier.Log]
// to decide whether a log is authentic.
func VerifyIntegrityOnlyUnsafe(ctx context.Context, r io.Reader) (Report, error) {
	s := newScanner(r, nil)
	err := s.run(ctx)
	return s.report, err
}

// LogSince is [Verifier.Log] for a verifier that already trusts a
// checkpoint of this log (e.g. one it saw earlier, or one published
// elsewhere): the log must still contain at least trusted.Size entries whose
// root matches trusted's, otherwise it was truncated ([ErrTruncated]) or
// rewritten ([ErrRootMismatch]). Without such an anchor, cutting whole lines
// off the end of a log is indistinguishable from a shorter log. Entries
// beyond trusted.Size must be covered by a later checkpoint in the log,
// otherwise it fails with [ErrUnanchored], as [Verifier.Log] does.
func (v *Verifier) LogSince(ctx context.Context, r io.Reader, trusted Checkpoint) (Report, error) {
	cp, err := v.Checkpoint(trusted.Signed)
	if err != nil {
		return Report{}, fmt.Errorf("audit: trusted checkpoint: %w", err)
	}
	s := newScanner(r, v)
	s.anchor = &cp
	if err := s.run(ctx); err != nil {
		return s.report, err
	}
	return s.report, s.anchored()
}

// Entry is one event read from a log.
type Entry struct {
	Index uint64
	// Raw is the event's stable JSON as stored: the Merkle leaf.
	Raw   []byte
	Event Event
}

// ReadEntries reads the entries of a log from r, checking framing,
// checksums and sequence but not signatures (use [Verifier.Log] first, on
// the same bytes, to know they are authentic),
// and calls fn for each. It stops at the first problem, returned as a
// [*LogError], or at the first error from fn. A torn tail is reported as
// ErrTornTail after all complete entries were passed to fn. An entry
// whose checksum holds but whose event does not decode is ErrCorruptEntry
// (and ErrInvalidEvent): the log, not only the event, is invalid.
func ReadEntries(ctx context.Context, r io.Reader, fn func(Entry) error) error {
	s := newScanner(r, nil)
	s.onEntry = func(index uint64, raw []byte) error {
		e, err := Decode(raw)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrCorruptEntry, err)
		}
		return fn(Entry{Index: index, Raw: bytes.Clone(raw), Event: e})
	}
	return s.run(ctx)
}
