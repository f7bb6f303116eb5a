package secrets

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/internal/x509ca"
	"github.com/ztci/ztci/secrets/seal"
)

// The durable lease record: one file per job, "<sha256(job id)[:32]>.leases",
// holding one JSON object per line. It never holds a secret value: only the
// job id, the actor id, lease ids and secret names. Every line is fsync'd
// before the broker proceeds, and the lease id is recorded before the backend
// is asked, so a crash at any point leaves the lease findable.
//
// Sealed at rest (journalSealing.enc set), a record's first line is
// "sealed-v1 " and the base64 of a file key sealed by the vendor's
// [seal.Encrypter] with the file's name as AAD; every later line is the
// base64 of the record's JSON sealed under that file key with AAD "name NUL
// line number". The vendor's Encrypter (perhaps a KMS) is asked once per job
// and once per recovered file, never under the job's lock; a line moved to
// another file or another position, or a file renamed to another job's
// name, is refused. Truncating a file's tail is not detected: it can only
// drop lines, as deleting the file can.
const (
	journalExt     = ".leases"
	maxJournalSize = 1 << 20
	maxJournalLine = 4 << 10
	// maxSealedLine bounds a sealed line: a 4 KiB record, or a file key
	// wrapped by a KMS (up to [seal.MaxWrappedLen]), in base64.
	maxSealedLine = 8 << 10
	sealedPrefix  = "sealed-v1 "
	fileKeyID     = "journal-file"
)

// journalSealing says how lease records are protected at rest. The zero
// value writes and reads plain JSON lines.
type journalSealing struct {
	enc seal.Encrypter
	// readPlainUnsafe lets records written before encryption was enabled
	// (wholly plain files) be read, for migration. A plain line inside a
	// sealed file is refused regardless.
	readPlainUnsafe bool
}

// lineCodec encodes the lines of one record file. file is nil for a plain
// file.
type lineCodec struct {
	name string
	file *seal.Envelope
}

func fileKeyAAD(name string) []byte { return []byte("ztci/secrets lease record key\x00" + name) }

func lineAAD(name string, n int) []byte {
	return strconv.AppendInt([]byte(name+"\x00"), int64(n), 10)
}

// newFileEnvelope makes the local envelope that seals one file's lines.
func newFileEnvelope(key []byte) (*seal.Envelope, error) {
	k, err := seal.NewKey(fileKeyID, key)
	if err != nil {
		return nil, err
	}
	return seal.NewLocal(k)
}

func (c lineCodec) encode(n int, r record) ([]byte, error) {
	line, err := json.Marshal(r)
	if err != nil || c.file == nil {
		return line, err
	}
	// The file envelope holds its key in memory: Seal does not block, so
	// no caller context is needed under the job's lock.
	sealed, err := c.file.Seal(context.Background(), line, lineAAD(c.name, n))
	if err != nil {
		return nil, err
	}
	return base64.StdEncoding.AppendEncode(nil, sealed), nil
}

func (c lineCodec) decode(n int, line []byte) (record, error) {
	var rec record
	if c.file != nil {
		if len(line) > 0 && line[0] == '{' {
			return rec, errors.New("plain line in a sealed record")
		}
		sealed, err := base64.StdEncoding.AppendDecode(nil, line)
		if err != nil {
			return rec, fmt.Errorf("%w: %w", seal.ErrMalformed, err)
		}
		if line, err = c.file.Open(context.Background(), sealed, lineAAD(c.name, n)); err != nil {
			return rec, err
		}
	} else if len(line) > maxJournalLine {
		return rec, fmt.Errorf("line longer than %d bytes", maxJournalLine)
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	err := dec.Decode(&rec)
	return rec, err
}

type record struct {
	Op      string `json:"op"` // "job", "issue", "bind", "revoke"
	Job     string `json:"job,omitempty"`
	Actor   string `json:"actor,omitempty"`
	Lease   string `json:"lease,omitempty"`
	Backend string `json:"backend_lease,omitempty"`
	Name    string `json:"name,omitempty"`
}

type journalFile struct {
	f     *os.File
	path  string
	codec lineCodec
	lines int   // lines written so far; the next is lines+1
	size  int64 // bytes in the file
	// reserved is room kept below maxJournalSize for the revoke line of
	// every lease recorded as issued and not yet revoked (revokeLen, by
	// lease id), so that a record the broker wrote always stays readable
	// by Recover and a revocation can always be recorded.
	reserved  int64
	revokeLen map[string]int64
}

func journalPath(dir, jobID string) string {
	sum := sha256.Sum256([]byte(jobID))
	return filepath.Join(dir, hex.EncodeToString(sum[:16])+journalExt)
}

// createJournal starts the record of a job, sealed when js.enc is set.
// ctx bounds the one call to js.enc.
func createJournal(ctx context.Context, dir string, js journalSealing, jobID, actor string) (*journalFile, error) {
	path := journalPath(dir, jobID)
	j := &journalFile{path: path, codec: lineCodec{name: filepath.Base(path)}}
	var keyLine []byte
	if js.enc != nil {
		fileKey := make([]byte, seal.KeySize)
		defer clear(fileKey)
		if _, err := rand.Read(fileKey); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrJournal, err)
		}
		sealedKey, err := js.enc.Seal(ctx, fileKey, fileKeyAAD(j.codec.name))
		if err != nil {
			return nil, fmt.Errorf("%w: seal the record key: %w", ErrJournal, err)
		}
		if j.codec.file, err = newFileEnvelope(fileKey); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrJournal, err)
		}
		keyLine = base64.StdEncoding.AppendEncode([]byte(sealedPrefix), sealedKey)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("%w: job %q already has a lease record %s; run Broker.Recover before reusing the id", ErrJournal, jobID, path)
		}
		return nil, fmt.Errorf("%w: %w", ErrJournal, err)
	}
	j.f = f
	if keyLine != nil {
		if err := j.writeLine(keyLine); err != nil {
			_ = f.Close()
			_ = os.Remove(path)
			return nil, err
		}
	}
	if err := j.append(record{Op: "job", Job: jobID, Actor: actor}); err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return nil, err
	}
	if err := syncDir(dir); err != nil {
		_ = f.Close()
		return nil, err
	}
	return j, nil
}

// append writes r, or fails without writing when the record would no
// longer be one parseJournal reads back: a line over its bounds, or a file
// over maxJournalSize once the revoke lines of outstanding leases are
// counted. Revoke lines always fit (their room was reserved at issue).
func (j *journalFile) append(r record) error {
	line, err := j.codec.encode(j.lines+1, r)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrJournal, err)
	}
	if err := j.codec.checkLine(line); err != nil {
		return fmt.Errorf("%w: %s: %s record of lease %s: %w", ErrJournal, j.path, r.Op, r.Lease, err)
	}
	need := int64(len(line)) + 1
	var reserve int64
	switch r.Op {
	case "revoke":
		reserve = -j.revokeLen[r.Lease]
		need = 0
	case "issue":
		// The revoke line's length does not depend on its line number.
		rv, err := j.codec.encode(j.lines+2, record{Op: "revoke", Lease: r.Lease})
		if err != nil {
			return fmt.Errorf("%w: %w", ErrJournal, err)
		}
		reserve = int64(len(rv)) + 1
	}
	if need > 0 && j.size+j.reserved+need+reserve > maxJournalSize {
		return fmt.Errorf("%w: %s: the job's lease record is full (%d bytes)", ErrJournal, j.path, maxJournalSize)
	}
	if err := j.writeLine(line); err != nil {
		return err
	}
	switch r.Op {
	case "issue":
		if j.revokeLen == nil {
			j.revokeLen = map[string]int64{}
		}
		j.reserved += reserve
		j.revokeLen[r.Lease] = reserve
	case "revoke":
		j.reserved += reserve
		delete(j.revokeLen, r.Lease)
	}
	return nil
}

// checkLine reports a line parseJournal would refuse as too long.
func (c lineCodec) checkLine(line []byte) error {
	if c.file == nil && len(line) > maxJournalLine {
		return fmt.Errorf("line of %d bytes, more than %d", len(line), maxJournalLine)
	}
	if len(line) >= maxSealedLine { // the reader's buffer also holds the newline
		return fmt.Errorf("line of %d bytes, %d or more", len(line), maxSealedLine)
	}
	return nil
}

func (j *journalFile) writeLine(line []byte) error {
	if _, err := j.f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("%w: write %s: %w", ErrJournal, j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("%w: fsync %s: %w", ErrJournal, j.path, err)
	}
	j.lines++
	j.size += int64(len(line)) + 1
	return nil
}

// remove deletes the record once nothing is outstanding.
func (j *journalFile) remove() error {
	_ = j.f.Close()
	if err := os.Remove(j.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: %w", ErrJournal, err)
	}
	return syncDir(filepath.Dir(j.path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrJournal, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("%w: fsync dir %s: %w", ErrJournal, dir, err)
	}
	return nil
}

// pendingLease is an outstanding lease read back from a record.
type pendingLease struct {
	reserved string
	backend  string
	name     string
}

func (p pendingLease) id() string {
	if p.backend != "" {
		return p.backend
	}
	return p.reserved
}

type journalState struct {
	job         string
	actor       string
	outstanding []pendingLease
	codec       lineCodec // to append to the record in its own format
	lines       int       // complete lines read
	size        int64     // bytes up to the end of the last complete line
}

// parseJournal reads the lease record called name (its base name, bound
// into sealed lines). A final line without its newline is a write torn by a
// crash; it was never fsync'd, so the backend was never asked, and it is
// ignored; so is a record that a crash in Begin left without its job
// header (empty, or holding only its sealed key), which holds no lease.
// Anything else malformed, and anything that does not open under js, is an
// error: a record is never read past a line it cannot trust.
func parseJournal(ctx context.Context, r io.Reader, name string, js journalSealing) (journalState, error) {
	var st journalState
	data, err := io.ReadAll(io.LimitReader(r, maxJournalSize+1))
	if err != nil {
		return st, fmt.Errorf("%w: %w", ErrJournal, err)
	}
	if len(data) > maxJournalSize {
		return st, fmt.Errorf("%w: record larger than %d bytes", ErrJournal, maxJournalSize)
	}
	if i := bytes.LastIndexByte(data, '\n'); i != len(data)-1 {
		data = data[:i+1]
	}
	st.size = int64(len(data))
	st.codec.name = name
	byID := map[string]*pendingLease{}
	var order []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 512), maxSealedLine)
	first := 1 // line number of the job header
	for n := 1; sc.Scan(); n++ {
		st.lines = n
		if n == 1 {
			sealed, err := openFileKey(ctx, sc.Bytes(), name, js)
			if err != nil {
				return st, fmt.Errorf("%w: line 1: %w", ErrJournal, err)
			}
			if sealed != nil {
				st.codec.file, first = sealed, 2
				continue
			}
		}
		rec, err := st.codec.decode(n, sc.Bytes())
		if err != nil {
			return st, fmt.Errorf("%w: line %d: %w", ErrJournal, n, err)
		}
		if n == first {
			if rec.Op != "job" || rec.Job == "" {
				return st, fmt.Errorf("%w: line %d: want a job header, got op %q", ErrJournal, n, rec.Op)
			}
			st.job, st.actor = rec.Job, rec.Actor
			continue
		}
		if rec.Lease == "" || strings.ContainsAny(rec.Lease, "\x00\n") {
			return st, fmt.Errorf("%w: line %d: missing or bad lease id", ErrJournal, n)
		}
		switch rec.Op {
		case "issue":
			if _, dup := byID[rec.Lease]; !dup {
				order = append(order, rec.Lease)
			}
			byID[rec.Lease] = &pendingLease{reserved: rec.Lease, name: rec.Name}
		case "bind":
			p, ok := byID[rec.Lease]
			if !ok || rec.Backend == "" {
				return st, fmt.Errorf("%w: line %d: bind of unknown lease", ErrJournal, n)
			}
			p.backend = rec.Backend
		case "revoke":
			delete(byID, rec.Lease)
		default:
			return st, fmt.Errorf("%w: line %d: unknown op %q", ErrJournal, n, rec.Op)
		}
	}
	if err := sc.Err(); err != nil {
		return st, fmt.Errorf("%w: %w", ErrJournal, err)
	}
	// No job header (st.job empty) means no line past the record key: Begin
	// was cut short before it wrote the header, which precedes every lease,
	// so nothing is outstanding. Refusing such a record would keep the job
	// id unusable and fail every Recover after a crash in Begin.
	for _, id := range order {
		if p, ok := byID[id]; ok {
			st.outstanding = append(st.outstanding, *p)
		}
	}
	return st, nil
}

// openFileKey reads a record's first line. It returns the file envelope
// when the record is sealed, nil when it is plain and js allows plain
// records, and an error otherwise (fail closed both ways: a sealed record
// without an encrypter, a plain one with an encrypter but no migration
// opt-in).
func openFileKey(ctx context.Context, line []byte, name string, js journalSealing) (*seal.Envelope, error) {
	b64, sealed := bytes.CutPrefix(line, []byte(sealedPrefix))
	switch {
	case !sealed && js.enc != nil && !js.readPlainUnsafe:
		return nil, errors.New("record is not sealed but an encrypter is configured; refusing it (a migration must opt in to reading plain records)")
	case !sealed:
		return nil, nil
	case js.enc == nil:
		return nil, errors.New("record is sealed but no encrypter is configured")
	}
	sealedKey, err := base64.StdEncoding.AppendDecode(nil, b64)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", seal.ErrMalformed, err)
	}
	fileKey, err := js.enc.Open(ctx, sealedKey, fileKeyAAD(name))
	if err != nil {
		return nil, fmt.Errorf("record key: %w", err)
	}
	defer clear(fileKey)
	return newFileEnvelope(fileKey)
}

// WithJournalEncrypter seals the lease records of [WithJournal] at rest with
// enc (see package seal: a local key or a vendor's KMS). enc is asked once
// per job (Begin) and once per record [Broker.Recover] reads. A record that
// is not sealed, or does not open (tampered, unknown or wrong key, moved to
// another job's file), is refused by Recover and kept for inspection.
func WithJournalEncrypter(enc seal.Encrypter) Option {
	return func(c *config) error {
		if enc == nil {
			return fmt.Errorf("%w: WithJournalEncrypter: nil encrypter", ErrConfig)
		}
		c.jseal.enc = enc
		return nil
	}
}

// WithJournalReadPlainUnsafe lets [Broker.Recover] read lease records
// written before [WithJournalEncrypter] was enabled, for one migration
// start-up. A plain record can be forged by anyone who can write the
// journal directory; a plain line inside a sealed record is still refused.
func WithJournalReadPlainUnsafe() Option {
	return func(c *config) error {
		c.jseal.readPlainUnsafe = true
		return nil
	}
}

// Recover revokes the leases that a previous process recorded (see
// [WithJournal]) and never revoked, because it crashed or its revocations
// kept failing. A record is deleted once everything in it is revoked; what
// still fails stays recorded for the next call and is returned, each a
// [*RevokeError]. Call it at start-up, before [Broker.Begin]: it also
// revokes the leases of jobs still running in this process.
//
// It returns the number of leases revoked.
func (b *Broker) Recover(ctx context.Context) (int, error) {
	if b.journal == "" {
		return 0, fmt.Errorf("%w: Recover needs WithJournal", ErrJournal)
	}
	// Listed, not globbed: a directory named with glob metacharacters
	// ("jobs[1]") would make a pattern match another directory's records
	// and none of its own.
	ents, err := os.ReadDir(b.journal)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrJournal, err)
	}
	var files []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), journalExt) {
			files = append(files, filepath.Join(b.journal, e.Name()))
		}
	}
	sort.Strings(files)
	var errs []error
	revoked := 0
	for _, path := range files {
		n, err := b.recoverFile(ctx, path, b.jseal)
		revoked += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return revoked, errors.Join(errs...)
}

func (b *Broker) recoverFile(ctx context.Context, path string, js journalSealing) (int, error) {
	// Checked on the descriptor it reads and appends through, as the CA
	// checks its key: a regular file of this process's user that group and
	// others cannot write, no link followed, no FIFO waited on. Whoever
	// else can write a record can hide a lease from this sweep, or name
	// leases of others for the broker to revoke.
	f, err := x509ca.OpenStateFileAppend(path)
	switch {
	case errors.Is(err, x509ca.ErrUnsafeKeyFile):
		return 0, fmt.Errorf("%w: %w: %w", ErrJournal, ErrUnsafeJournal, err)
	case err != nil:
		return 0, fmt.Errorf("%w: %w", ErrJournal, err)
	}
	st, err := parseJournal(ctx, f, filepath.Base(path), js)
	if err != nil {
		_ = f.Close()
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	// Cut a torn last line off before appending, or the next line would
	// merge with it and make the record unreadable.
	if fi, err := f.Stat(); err != nil || fi.Size() > st.size && f.Truncate(st.size) != nil {
		_ = f.Close()
		return 0, fmt.Errorf("%w: %s: cannot cut off a torn last line", ErrJournal, path)
	}
	j := &journalFile{f: f, path: path, codec: st.codec, lines: st.lines, size: st.size}
	actor := audit.Actor{ID: st.actor, Kind: "job"}
	var errs []error
	n := 0
	for _, p := range st.outstanding {
		if err := b.revoke(ctx, p.id(), p.name); err != nil {
			errs = append(errs, err)
			errs = append(errs, b.auditActor(ctx, ActionRevoke, audit.OutcomeFailure, actor, st.job, p.name, p.id(), "recovery: revocation failed"))
			continue
		}
		if err := j.append(record{Op: "revoke", Lease: p.reserved}); err != nil {
			errs = append(errs, err)
		}
		n++
		b.log.InfoContext(ctx, "secrets: recovered lease revoked", "lease_id", p.id(), "secret", p.name, "job", st.job)
		errs = append(errs, b.auditActor(ctx, ActionRevoke, audit.OutcomeSuccess, actor, st.job, p.name, p.id(), "recovery: revoked lease left by a previous process"))
	}
	if err := errors.Join(errs...); err != nil {
		_ = f.Close()
		return n, err
	}
	return n, j.remove()
}
