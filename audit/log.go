package audit

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"hash/maphash"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"golang.org/x/mod/sumdb/note"

	"github.com/ztci/ztci/internal/x509ca"
)

// Log is a durable, tamper-evident, append-only audit log in one file. It is
// a [Sink].
//
// Entries form an RFC 6962 Merkle tree; signed checkpoints ([Checkpoint])
// are written into the file every [WithCheckpointEvery] entries, every
// [WithCheckpointInterval], on [Log.Checkpoint] and on [Log.Close]. Appends are group-committed: all
// appends waiting while the previous batch is being fsync'd are written with
// one write and one fsync, and each returns only when its batch is durable.
//
// A Log keeps the tree's nodes in memory (64 bytes per entry) to serve
// proofs, and an index of event ids (about 20–40 bytes per entry; see
// [Log.Lookup]) to find an event's entry without reading the file. One process at a time may open a log file (an exclusive lock is
// taken where the platform supports it; a second Open fails with
// [ErrLogLocked]), and the Log stops appending
// ([ErrLogFileChanged]) if its file is replaced or changed under it.
type Log struct {
	f      *os.File
	path   string
	signer note.Signer
	v      *Verifier
	every  int
	each   time.Duration
	noSync bool
	logger *slog.Logger
	now    func() time.Time
	tail   TailPolicy

	mu       sync.Mutex // guards the fields below
	pend     []byte     // framed entries not yet written
	leaves   [][]byte   // their leaf hashes, in order
	pendIDs  []pendingID
	batch    *batch // the batch new appends join
	next     uint64 // index of the next entry
	cpWanted bool
	closed   bool
	err      error // sticky: once a write failed, the log refuses appends
	spare    []byte
	spareL   [][]byte
	spareI   []pendingID

	wake chan struct{}
	stop chan struct{}
	done chan struct{}

	tmu    sync.RWMutex // guards the tree
	rng    *compact.Range
	levels []nodeStore // levels[k] holds the hashes of complete level-k nodes
	size   uint64      // durable entries
	cp     Checkpoint
	ids    idIndex // event id → entry offset, for Lookup
	end    int64   // file offset after the last durable line
}

// pendingID locates a pending entry for the id index: its id hash and the
// offset of its line within the pending buffer.
type pendingID struct {
	hash uint64
	rel  int
	ok   bool // false: the id could not be indexed
}

type batch struct {
	done chan struct{}
	err  error
}

// Receipt acknowledges a durable append.
type Receipt struct {
	// Index is the entry's position in the log (its Merkle leaf index).
	Index uint64
	// Entry is the event's stable JSON as stored: the Merkle leaf data,
	// needed to verify an inclusion proof.
	Entry []byte
}

// Open opens the log at path, creating it if it does not exist. origin is
// the log's identity, written into the header and every checkpoint (e.g.
// "example.com/ztci/audit/prod"); key signs the checkpoints.
//
// An existing file is verified completely (framing, checksums, sequence,
// checkpoint signatures and roots) against origin and key's public half.
// A torn tail left by a crash during an append (an incomplete last line) is
// truncated; any other problem fails Open with a [*LogError] (fail closed).
// A first line is torn only if it is a prefix of the header (or zero
// bytes): any other file without a newline is refused, not truncated.
// The log is evidence, so Open keeps it where only this process's user
// (and root) can change it, and fails with [ErrUnsafeFile], reading and
// writing nothing, unless: every directory from / to the file's is owned
// by root or this user, the ones above writable by group or others only
// if sticky (/tmp), and the file's own directory not at all (OpenSSH's
// rule for ~/.ssh; symbolic links on the way are resolved and checked);
// and the file is no symbolic link (name the file itself), is a regular
// file (not a FIFO, which would hang Open, nor a device), is owned by
// this process's effective user, and is not writable by group or others.
// A missing directory is not created; a new log is created with mode
// 0600.
//
// Entries after the last signed checkpoint (an unsigned tail) are what a
// crash between an append and the next checkpoint leaves — and what
// anyone who can write the file while the log is closed can add, since
// their framing and checksums need no key. Open cannot tell the two
// apart, and whatever it keeps, it signs. By default ([TailAdopt]) it
// keeps them, but never silently: it logs a warning ([WithLogger]) naming
// the entries, appends an [ActionUnsignedTailAdopted] entry recording
// their range and tree root, and signs a checkpoint over them and it
// before it returns, so the signed log shows which entries were signed
// at a restart rather than when written ([Report.Adopted]). It adopts only
// events exactly as [Log.Append] writes them (the [Encode] form): any
// other tail entry (no event, or an event spelled otherwise, which
// [Log.Lookup] would not find by its id) was not written by a log, and
// Open fails with a [*LogError] wrapping [ErrCorruptEntry] at it, leaving
// the file as it is. With
// [WithUnsignedTail]([TailRefuse]) Open instead fails with a [*LogError]
// wrapping [ErrUnanchored] that names them, and leaves the file as it is;
// use it when the key is out of the host's reach ([OpenWithSigner] with a
// KMS or HSM key), where adoption would sign for whoever can write the
// file. [TailPolicy] says how an operator then recovers.
//
// Options: [WithCheckpointEvery], [WithCheckpointInterval],
// [WithUnsignedTail], [WithoutSyncUnsafe], [WithLogger], [WithClock].
func Open(ctx context.Context, path, origin string, key ed25519.PrivateKey, opts ...Option) (*Log, error) {
	signer, v, err := newSigner(origin, key)
	if err != nil {
		return nil, err
	}
	if err := checkSigner(signer, v); err != nil {
		return nil, err
	}
	return open(ctx, path, signer, v, opts)
}

// OpenWithSigner is [Open] with checkpoints signed by s and verified by v:
// a key held elsewhere ([NewCheckpointSigner] for an Ed25519 or ECDSA
// crypto.Signer), or a signed-note signer of your own — a post-quantum one,
// for example — with its verifier ([NewNoteVerifier]). s must sign as v's
// origin under v's key: Open signs a test note and fails with [ErrConfig]
// if v does not accept it or if a checkpoint of its origin and signature
// would not fit a line of the log (at most [MaxEventSize] + 64 bytes;
// see the package documentation), and every checkpoint is checked with v before
// it is written, so a signer that goes wrong later (a KMS answering with
// another key version) fails the batch with [ErrSink] wrapping
// [ErrCheckpointSignature], writes nothing of it, and leaves the log
// refusing appends. With a key out of the host's reach, pass
// [WithUnsignedTail]([TailRefuse]) unless adopting whatever the file holds
// after its last checkpoint is acceptable (see [Open]).
func OpenWithSigner(ctx context.Context, path string, s note.Signer, v *Verifier, opts ...Option) (*Log, error) {
	if s == nil || v == nil {
		return nil, fmt.Errorf("%w: nil checkpoint signer or verifier", ErrConfig)
	}
	if err := checkSigner(s, v); err != nil {
		return nil, err
	}
	return open(ctx, path, s, v, opts)
}

// checkSigner signs a probe note, as long as the longest checkpoint s can
// sign but no checkpoint (its first line is not an origin), and fails with
// [ErrConfig] unless v accepts it and its line fits the log's line limit:
// a checkpoint line is the base64 of the signed note, which grows with
// the origin and the signature, and a log whose checkpoint lines exceed
// maxLine was written, its appends acknowledged, but neither
// [Verifier.Log] nor the next [Open] could read it (a post-quantum
// signature of 50 KB, or an origin of 32 KB).
func checkSigner(s note.Signer, v *Verifier) error {
	const text = "ztci audit checkpoint signer check\n"
	longest := len(checkpointBody(s.Name(), ^uint64(0), make([]byte, 32)))
	probe, err := note.Sign(&note.Note{Text: text + strings.Repeat("-", max(0, longest-len(text)-1)) + "\n"}, s)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, &SignerError{Origin: s.Name(), cause: err})
	}
	if s.Name() != v.Origin() {
		return fmt.Errorf("%w: signer named %q, verifier for %q", ErrConfig, s.Name(), v.Origin())
	}
	if _, err := note.Open(probe, note.VerifierList(v.nv)); err != nil {
		return fmt.Errorf("%w: the verifier does not accept the signer's signature: %w", ErrConfig, err)
	}
	if n := len(appendCheckpointLine(nil, Checkpoint{Signed: probe})); n > maxLine {
		return fmt.Errorf("%w: a checkpoint line of this origin (%d bytes) and signer would take %d bytes, the log's lines at most %d",
			ErrConfig, len(s.Name()), n, maxLine)
	}
	return nil
}

func open(ctx context.Context, path string, signer note.Signer, v *Verifier, opts []Option) (*Log, error) {
	o, err := build(forLog, opts)
	if err != nil {
		return nil, err
	}
	l := &Log{
		signer: signer, v: v, every: o.checkpointEvery, each: o.checkpointEach, noSync: o.noSync, logger: o.logger,
		now: o.now, tail: o.tail,
		batch: &batch{done: make(chan struct{})}, ids: newIDIndex(),
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	if err := l.openFile(ctx, path); err != nil {
		return nil, err
	}
	go l.committer()
	return l, nil
}

func (l *Log) openFile(ctx context.Context, path string) (err error) {
	// Absolute, so that checkFile still finds it after a chdir.
	if path, err = filepath.Abs(path); err != nil {
		return fmt.Errorf("audit: open log: %w", err)
	}
	// The directory is checked and its symbolic links resolved first, so
	// that no other user can replace the file or the path to it after the
	// checks; the file itself is then opened without following a link.
	dir, err := x509ca.SecureDir(filepath.Dir(path), false)
	if errors.Is(err, x509ca.ErrUnsafeDir) {
		return fmt.Errorf("%w: %w", ErrUnsafeFile, err)
	} else if err != nil {
		return fmt.Errorf("audit: open log directory: %w", err)
	}
	path = filepath.Join(dir, filepath.Base(path))
	f, created, err := openLogFile(path)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	if err := lockFile(f); err != nil {
		return fmt.Errorf("audit: open log %s: %w", path, err)
	}
	s := newScanner(f, l.v)
	s.visit = l.store
	s.onEntry = func(_ uint64, event []byte) error {
		l.ids.add(event, s.off)
		return nil
	}
	serr := s.run(ctx)
	var le *LogError
	// Entries after the last signed checkpoint: [from, to).
	from, to := s.report.Latest.Size, s.report.Entries
	torn := errors.As(serr, &le) && errors.Is(serr, ErrTornTail)
	if (serr == nil || torn) && to > from {
		// Both before a torn line is cut: a refused file stays as it is.
		if l.tail == TailRefuse {
			return refuseTail(path, s, from, to)
		}
		if err := checkTail(f, s, from, to); err != nil {
			return fmt.Errorf("audit: open log %s: %w", path, err)
		}
	}
	if (serr == nil || torn) && s.good == 0 {
		// No complete line: Open is about to truncate the file and write a
		// header, as for a log it creates, and creates none through a link.
		if err := notLinked(path, f); err != nil {
			return err
		}
	}
	switch {
	case serr == nil:
	case torn && created:
		// A file Open has just made holds nothing to cut: no torn tail.
		l.logger.InfoContext(ctx, "audit log: created a new log", "path", path)
	case torn:
		l.logger.WarnContext(ctx, "audit log: truncating torn tail", "path", path, "offset", s.good, "error", serr)
		if err := f.Truncate(s.good); err != nil {
			return fmt.Errorf("audit: truncate torn tail: %w", err)
		}
	default:
		return fmt.Errorf("audit: open log %s: %w", path, serr)
	}
	if _, err := f.Seek(s.good, 0); err != nil {
		return fmt.Errorf("audit: open log: %w", err)
	}
	l.end = s.good
	if s.good == 0 {
		header := headerPrefix + l.signer.Name() + "\n"
		if _, err := f.Write([]byte(header)); err != nil {
			return fmt.Errorf("audit: write log header: %w", err)
		}
		l.end = int64(len(header))
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("audit: sync log: %w", err)
	}
	if s.good == 0 {
		if err := syncDir(filepath.Dir(path)); err != nil {
			return err
		}
	}
	l.f, l.path = f, path
	l.rng = s.rng
	l.size = s.report.Entries
	l.next = s.report.Entries
	l.cp = s.report.Latest
	if to > from {
		return l.adoptTail(ctx, path, from, to)
	}
	return nil
}

// notLinked fails with [ErrInvalidLog] unless path names f itself, not
// through a symbolic link: Open initialises (truncates, then writes a
// header and entries into) only a file it reached directly. openLogFile
// follows no link already (on Unix, O_NOFOLLOW); this also catches a file
// replaced at path since it was opened.
func notLinked(path string, f *os.File) error {
	named, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidLog, err)
	}
	open, err := f.Stat()
	if err != nil {
		return fmt.Errorf("audit: open log: %w", err)
	}
	if named.Mode()&fs.ModeSymlink != 0 || !os.SameFile(named, open) {
		return fmt.Errorf("%w: %s holds no log and is a symbolic link (or was replaced): refusing to start a log through it; name the file itself", ErrInvalidLog, path)
	}
	return nil
}

func wrapOpen(err error) error {
	if err != nil {
		return fmt.Errorf("audit: open log: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("audit: sync log directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("audit: sync log directory: %w", err)
	}
	return nil
}

// store records a tree node; nodes arrive in order within each level.
func (l *Log) store(id compact.NodeID, hash []byte) {
	for uint(len(l.levels)) <= id.Level {
		l.levels = append(l.levels, nodeStore{})
	}
	l.levels[id.Level].add(hash)
}

// nodeStore keeps 32-byte hashes in fixed-size chunks, so that growing it
// never copies what is already stored.
type nodeStore struct{ chunks [][]byte }

const nodesPerChunk = 2048

func (s *nodeStore) add(h []byte) {
	if n := len(s.chunks); n == 0 || len(s.chunks[n-1]) == cap(s.chunks[n-1]) {
		s.chunks = append(s.chunks, make([]byte, 0, nodesPerChunk*32))
	}
	last := &s.chunks[len(s.chunks)-1]
	*last = append(*last, h...)
}

func (s *nodeStore) get(i uint64) []byte {
	c := s.chunks[i/nodesPerChunk]
	off := (i % nodesPerChunk) * 32
	return c[off : off+32 : off+32]
}

// Write appends e; see [Log.Append].
func (l *Log) Write(ctx context.Context, e Event) error {
	_, err := l.Append(ctx, e)
	return err
}

// Append adds e to the log and returns once it is durable (written and
// fsync'd with its batch). An error means the event may not be recorded: if
// ctx ends first, the event may still be written later. After a write or
// fsync failure the log refuses all further appends (fail closed).
func (l *Log) Append(ctx context.Context, e Event) (Receipt, error) {
	if err := ctx.Err(); err != nil {
		return Receipt{}, fmt.Errorf("%w: %w", ErrSink, err)
	}
	p, err := encodePrefixed(e)
	if err != nil {
		return Receipt{}, err
	}
	leaf, line := hashLeafPrefixed(p), p[1:]
	var pid pendingID
	if tok, ok := idToken(line); ok {
		pid.hash, pid.ok = maphash.Bytes(l.ids.seed, tok), true
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return Receipt{}, ErrClosed
	}
	if l.err != nil {
		err := l.err
		l.mu.Unlock()
		return Receipt{}, err
	}
	index := l.next
	l.next++
	pid.rel = len(l.pend)
	l.pendIDs = append(l.pendIDs, pid)
	l.pend = appendEntryLine(l.pend, index, line)
	l.leaves = append(l.leaves, leaf)
	b := l.batch
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	select {
	case <-b.done:
		if b.err != nil {
			return Receipt{}, b.err
		}
		return Receipt{Index: index, Entry: line}, nil
	case <-ctx.Done():
		return Receipt{}, fmt.Errorf("%w: append of entry %d not confirmed durable: %w", ErrSink, index, ctx.Err())
	}
}

// Checkpoint signs a checkpoint over all entries appended before the call,
// writes it durably into the log and returns it. If the latest checkpoint
// already covers them, it is returned.
func (l *Log) Checkpoint(ctx context.Context) (Checkpoint, error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return Checkpoint{}, ErrClosed
	}
	l.cpWanted = true
	b := l.batch
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	select {
	case <-b.done:
		if b.err != nil {
			return Checkpoint{}, b.err
		}
	case <-ctx.Done():
		return Checkpoint{}, fmt.Errorf("%w: checkpoint: %w", ErrSink, ctx.Err())
	}
	return l.Latest(), nil
}

// Latest returns the latest durable checkpoint (zero if none yet).
func (l *Log) Latest() Checkpoint {
	l.tmu.RLock()
	defer l.tmu.RUnlock()
	return l.cp
}

// Size returns the number of durable entries.
func (l *Log) Size() uint64 {
	l.tmu.RLock()
	defer l.tmu.RUnlock()
	return l.size
}

// String describes the log without its key.
func (l *Log) String() string { return "audit.Log{" + l.signer.Name() + "}" }

// GoString describes the log without its key.
func (l *Log) GoString() string { return l.String() }

// LogValue describes the log without its key.
func (l *Log) LogValue() slog.Value { return slog.StringValue(l.String()) }

// Verifier returns a verifier for this log's origin and public key.
func (l *Log) Verifier() *Verifier { return l.v }

func (l *Log) committer() {
	defer close(l.done)
	var tick <-chan time.Time
	if l.each > 0 {
		t := time.NewTicker(l.each)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-l.wake:
		case <-tick:
			l.mu.Lock()
			l.cpWanted = true
			l.mu.Unlock()
		case <-l.stop:
			l.flush(true)
			return
		}
		// Yield once before taking the batch: writers just woken by the
		// previous commit get to join this one instead of the next
		// (group commit batches up to one entry per waiting writer).
		runtime.Gosched()
		l.flush(false)
	}
}

// flush commits the pending batch.
func (l *Log) flush(final bool) {
	l.mu.Lock()
	if len(l.leaves) == 0 && !l.cpWanted && !final {
		l.mu.Unlock()
		return
	}
	buf, leaves, pids, b, cpWanted := l.pend, l.leaves, l.pendIDs, l.batch, l.cpWanted || final
	l.pend, l.leaves, l.pendIDs, l.cpWanted = l.spare[:0], l.spareL[:0], l.spareI[:0], false
	l.batch = &batch{done: make(chan struct{})}
	failed := l.err
	l.mu.Unlock()

	err := failed
	if err == nil {
		buf, err = l.commit(buf, leaves, pids, cpWanted)
	}
	b.err = err
	close(b.done)

	l.mu.Lock()
	if err != nil && l.err == nil {
		l.err = err
		l.logger.Error("audit log: write failed; refusing further appends", "error", err)
	}
	clear(leaves)
	l.spare, l.spareL, l.spareI = buf[:0], leaves[:0], pids[:0]
	l.mu.Unlock()
}

func (l *Log) commit(buf []byte, leaves [][]byte, pids []pendingID, cpWanted bool) ([]byte, error) {
	if err := l.checkFile(); err != nil {
		return buf, err
	}
	l.tmu.Lock()
	for _, h := range leaves {
		if err := l.rng.Append(h, l.store); err != nil {
			l.tmu.Unlock()
			return buf, fmt.Errorf("%w: merkle append: %w", ErrSink, err)
		}
	}
	end := l.rng.End()
	var cp Checkpoint
	sign := end > l.cp.Size+uint64(l.every)-1 || (cpWanted && (end != l.cp.Size || l.cp.Signed == nil))
	if sign {
		root, err := rootOf(l.rng)
		if err == nil {
			cp, err = signCheckpoint(l.signer, end, root)
		}
		if err == nil {
			// The signer was checked once, at Open; a KMS that answers
			// with another key version, or a signer that goes wrong, must
			// not get a checkpoint into the file that no verifier (nor
			// the next Open) accepts, nor the batch it covers acknowledged.
			_, err = l.v.Checkpoint(cp.Signed)
		}
		if err != nil {
			l.tmu.Unlock()
			return buf, fmt.Errorf("%w: %w", ErrSink, err)
		}
		if n := len(appendCheckpointLine(nil, cp)); n > maxLine {
			// checkSigner saw a probe fit; a signer whose signatures grew
			// since must not write a line no reader accepts.
			l.tmu.Unlock()
			return buf, fmt.Errorf("%w: checkpoint line of %d bytes, the log's lines at most %d", ErrSink, n, maxLine)
		}
		buf = appendCheckpointLine(buf, cp)
	}
	l.tmu.Unlock()

	if _, err := l.f.Write(buf); err != nil {
		return buf, fmt.Errorf("%w: write log: %w", ErrSink, err)
	}
	if !l.noSync {
		if err := l.f.Sync(); err != nil {
			return buf, fmt.Errorf("%w: fsync log: %w", ErrSink, err)
		}
	}
	l.tmu.Lock()
	l.size = end
	if sign {
		l.cp = cp
	}
	for _, p := range pids {
		if p.ok {
			l.ids.addHash(p.hash, l.end+int64(p.rel))
		}
	}
	l.end += int64(len(buf))
	l.tmu.Unlock()
	return buf, nil
}

// checkFile fails with [ErrLogFileChanged] unless the log's path still
// names the file the Log has open and that file holds exactly what the
// Log wrote. The advisory lock keeps out other Logs, not a rename over the
// path, an unlink and re-create, or a truncate: after those, appends would
// go to an inode no verifier reads, or past a hole. Two stats per batch,
// beside a write and an fsync. A same-size overwrite in place is not seen
// here; the Merkle root is what catches that ([Verifier.Log]).
func (l *Log) checkFile() error {
	open, err := l.f.Stat()
	if err != nil {
		return fmt.Errorf("%w: stat open log: %w", ErrSink, err)
	}
	named, err := os.Stat(l.path)
	switch {
	case err != nil:
		return fmt.Errorf("%w: %w", ErrLogFileChanged, err)
	case !os.SameFile(open, named):
		return fmt.Errorf("%w: %s now names another file", ErrLogFileChanged, l.path)
	case open.Size() != l.end:
		return fmt.Errorf("%w: %s holds %d bytes, the log wrote %d", ErrLogFileChanged, l.path, open.Size(), l.end)
	}
	return nil
}

// Close signs a final checkpoint, waits for pending appends, and closes
// the file. Appends after Close fail with [ErrClosed].
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	l.closed = true
	l.mu.Unlock()
	close(l.stop)
	<-l.done
	l.mu.Lock()
	err := l.err
	l.mu.Unlock()
	if cerr := l.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("%w: close log: %w", ErrSink, cerr)
	}
	return err
}

// InclusionProof returns the proof that entry index is in the tree of the
// given size (at most [Log.Size], normally a checkpoint's size), for
// [Verifier.Inclusion].
func (l *Log) InclusionProof(index, size uint64) ([][]byte, error) {
	l.tmu.RLock()
	defer l.tmu.RUnlock()
	if size > l.size {
		return nil, fmt.Errorf("%w: tree size %d beyond durable size %d", ErrProof, size, l.size)
	}
	nodes, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrProof, err)
	}
	return l.fetch(nodes)
}

// ConsistencyProof returns the proof that the tree of size2 extends the
// tree of size1, for [Verifier.Consistency].
func (l *Log) ConsistencyProof(size1, size2 uint64) ([][]byte, error) {
	l.tmu.RLock()
	defer l.tmu.RUnlock()
	if size2 > l.size {
		return nil, fmt.Errorf("%w: tree size %d beyond durable size %d", ErrProof, size2, l.size)
	}
	nodes, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrProof, err)
	}
	return l.fetch(nodes)
}

func (l *Log) fetch(nodes proof.Nodes) ([][]byte, error) {
	hashes := make([][]byte, len(nodes.IDs))
	for i, id := range nodes.IDs {
		hashes[i] = append([]byte(nil), l.levels[id.Level].get(id.Index)...)
	}
	return nodes.Rehash(hashes, hashChildren)
}
