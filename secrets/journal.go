package secrets

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ztci/ztci/audit"
)

// The durable lease record: one file per job, "<sha256(job id)[:32]>.leases",
// holding one JSON object per line. It never holds a secret value: only the
// job id, the actor id, lease ids and secret names. Every line is fsync'd
// before the broker proceeds, and the lease id is recorded before the backend
// is asked, so a crash at any point leaves the lease findable.
const (
	journalExt     = ".leases"
	maxJournalSize = 1 << 20
	maxJournalLine = 4 << 10
)

type record struct {
	Op      string `json:"op"` // "job", "issue", "bind", "revoke"
	Job     string `json:"job,omitempty"`
	Actor   string `json:"actor,omitempty"`
	Lease   string `json:"lease,omitempty"`
	Backend string `json:"backend_lease,omitempty"`
	Name    string `json:"name,omitempty"`
}

type journalFile struct {
	f    *os.File
	path string
}

func journalPath(dir, jobID string) string {
	sum := sha256.Sum256([]byte(jobID))
	return filepath.Join(dir, hex.EncodeToString(sum[:16])+journalExt)
}

func createJournal(dir, jobID, actor string) (*journalFile, error) {
	path := journalPath(dir, jobID)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("%w: job %q already has a lease record %s; run Broker.Recover before reusing the id", ErrJournal, jobID, path)
		}
		return nil, fmt.Errorf("%w: %w", ErrJournal, err)
	}
	j := &journalFile{f: f, path: path}
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

func (j *journalFile) append(r record) error {
	line, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrJournal, err)
	}
	if _, err := j.f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("%w: write %s: %w", ErrJournal, j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("%w: fsync %s: %w", ErrJournal, j.path, err)
	}
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
}

// parseJournal reads a lease record. A final line without its newline is a
// write torn by a crash; it was never fsync'd, so the backend was never asked,
// and it is ignored. Anything else malformed is an error.
func parseJournal(r io.Reader) (journalState, error) {
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
	byID := map[string]*pendingLease{}
	var order []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 512), maxJournalLine)
	for n := 1; sc.Scan(); n++ {
		var rec record
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rec); err != nil {
			return st, fmt.Errorf("%w: line %d: %w", ErrJournal, n, err)
		}
		if n == 1 {
			if rec.Op != "job" || rec.Job == "" {
				return st, fmt.Errorf("%w: line 1: want a job header, got op %q", ErrJournal, rec.Op)
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
	if st.job == "" {
		return st, fmt.Errorf("%w: empty record", ErrJournal)
	}
	for _, id := range order {
		if p, ok := byID[id]; ok {
			st.outstanding = append(st.outstanding, *p)
		}
	}
	return st, nil
}

// Recover revokes the leases that a previous process recorded (see
// [WithJournal]) and never revoked, because it crashed or its revocations
// kept failing. A record is deleted once everything in it is revoked; what
// still fails stays recorded for the next call and is returned as
// [*RevokeError]s. Call it at start-up, before [Broker.Begin]: it also
// revokes the leases of jobs still running in this process.
//
// It returns the number of leases revoked.
func (b *Broker) Recover(ctx context.Context) (int, error) {
	if b.journal == "" {
		return 0, fmt.Errorf("%w: Recover needs WithJournal", ErrJournal)
	}
	files, err := filepath.Glob(filepath.Join(b.journal, "*"+journalExt))
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrJournal, err)
	}
	sort.Strings(files)
	var errs []error
	revoked := 0
	for _, path := range files {
		n, err := b.recoverFile(ctx, path)
		revoked += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return revoked, errors.Join(errs...)
}

func (b *Broker) recoverFile(ctx context.Context, path string) (int, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrJournal, err)
	}
	st, err := parseJournal(f)
	if err != nil {
		_ = f.Close()
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	j := &journalFile{f: f, path: path}
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
