package secrets

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/secrets/seal"
)

// Canaries: none of them may appear in a sealed record file.
const (
	canaryJob   = "job-CANARY-4d1f"
	canaryActor = "actor-CANARY-77aa"
	canaryName  = "name-CANARY-0b3c"
	canaryLease = "lease-CANARY-9e21"
	canaryBound = "vault/CANARY-b0und"
)

func sealKey(t testing.TB, id string, b byte) seal.Key {
	t.Helper()
	k, err := seal.NewKey(id, bytes.Repeat([]byte{b}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func sealEnv(t testing.TB, keys ...seal.Key) *seal.Envelope {
	t.Helper()
	e, err := seal.NewLocal(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// writeSealed writes a record with one outstanding lease (canaryLease bound
// to canaryBound) and one revoked lease, and returns its path.
func writeSealed(t *testing.T, dir, job string, js journalSealing) string {
	t.Helper()
	j, err := createJournal(t.Context(), dir, js, job, canaryActor)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []record{
		{Op: "issue", Lease: canaryLease, Name: canaryName},
		{Op: "bind", Lease: canaryLease, Backend: canaryBound},
		{Op: "issue", Lease: "l-2", Name: canaryName},
		{Op: "revoke", Lease: "l-2"},
	} {
		if err := j.append(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.f.Close(); err != nil {
		t.Fatal(err)
	}
	return j.path
}

func parseFile(t *testing.T, path string, js journalSealing) (journalState, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return parseJournal(t.Context(), f, filepath.Base(path), js)
}

func fileLines(t *testing.T, path string) [][]byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.SplitAfter(raw, []byte("\n"))[:bytes.Count(raw, []byte("\n"))]
}

func writeLines(t *testing.T, path string, lines [][]byte) {
	t.Helper()
	if err := os.WriteFile(path, bytes.Join(lines, nil), 0o600); err != nil {
		t.Fatal(err)
	}
}

// flipSealed flips one bit of the sealed bytes behind a base64 line (after
// prefix), at offset from the start (or from the end when negative).
func flipSealed(t *testing.T, line []byte, prefix string, offset int) []byte {
	t.Helper()
	body := bytes.TrimSuffix(bytes.TrimPrefix(line, []byte(prefix)), []byte("\n"))
	raw, err := base64.StdEncoding.DecodeString(string(body))
	if err != nil {
		t.Fatal(err)
	}
	if offset < 0 {
		offset += len(raw)
	}
	raw[offset] ^= 0x10
	return []byte(prefix + base64.StdEncoding.EncodeToString(raw) + "\n")
}

func TestSealedJournalRoundTrip(t *testing.T) {
	t.Parallel()
	js := journalSealing{enc: sealEnv(t, sealKey(t, "k1", 1))}
	path := writeSealed(t, t.TempDir(), canaryJob, js)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{canaryJob, canaryActor, canaryName, canaryLease, canaryBound, `"op"`} {
		if bytes.Contains(raw, []byte(c)) {
			t.Fatalf("sealed record contains %q", c)
		}
	}
	st, err := parseFile(t, path, js)
	if err != nil {
		t.Fatal(err)
	}
	if st.job != canaryJob || st.actor != canaryActor || len(st.outstanding) != 1 || st.outstanding[0].id() != canaryBound || st.lines != 6 {
		t.Fatalf("parsed %+v", st)
	}
	key, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(strings.TrimPrefix(string(fileLines(t, path)[0]), sealedPrefix)))
	if id, err := seal.KeyIDOf(key); err != nil || id != "k1" {
		t.Fatalf("record key under %q, %v; want k1", id, err)
	}
}

func TestSealedJournalRefused(t *testing.T) {
	t.Parallel()
	k1 := sealKey(t, "k1", 1)
	js := journalSealing{enc: sealEnv(t, k1)}
	tests := []struct {
		name string
		// edit changes the record at path (other is a second job's sealed
		// record in the same directory) and returns the path to read.
		edit  func(t *testing.T, path, other string) string
		js    journalSealing // zero: read with the writing key, unless noEnc
		noEnc bool
		want  error
	}{
		{name: "record key ciphertext flipped", want: seal.ErrTampered, edit: func(t *testing.T, p, _ string) string {
			l := fileLines(t, p)
			l[0] = flipSealed(t, l[0], sealedPrefix, -1)
			writeLines(t, p, l)
			return p
		}},
		{name: "record key header flipped", want: seal.ErrUnknownKey, edit: func(t *testing.T, p, _ string) string {
			l := fileLines(t, p)
			l[0] = flipSealed(t, l[0], sealedPrefix, 4) // first byte of the key id
			writeLines(t, p, l)
			return p
		}},
		{name: "line ciphertext flipped", want: seal.ErrTampered, edit: func(t *testing.T, p, _ string) string {
			l := fileLines(t, p)
			l[2] = flipSealed(t, l[2], "", -20)
			writeLines(t, p, l)
			return p
		}},
		{name: "line wrapped key flipped", want: seal.ErrTampered, edit: func(t *testing.T, p, _ string) string {
			l := fileLines(t, p)
			l[2] = flipSealed(t, l[2], "", 4+len(fileKeyID)+2+20)
			writeLines(t, p, l)
			return p
		}},
		{name: "line not base64", want: seal.ErrMalformed, edit: func(t *testing.T, p, _ string) string {
			l := fileLines(t, p)
			l[2] = []byte("!!!\n")
			writeLines(t, p, l)
			return p
		}},
		{name: "wrong key under the same id", js: journalSealing{enc: sealEnv(t, sealKey(t, "k1", 2))}, want: seal.ErrTampered},
		{name: "missing key", js: journalSealing{enc: sealEnv(t, sealKey(t, "k2", 2))}, want: seal.ErrUnknownKey},
		{name: "line swapped in from another job's record", want: seal.ErrTampered, edit: func(t *testing.T, p, other string) string {
			l, o := fileLines(t, p), fileLines(t, other)
			l[2] = o[2]
			writeLines(t, p, l)
			return p
		}},
		{name: "lines reordered", want: seal.ErrTampered, edit: func(t *testing.T, p, _ string) string {
			l := fileLines(t, p)
			l[2], l[3] = l[3], l[2]
			writeLines(t, p, l)
			return p
		}},
		{name: "record renamed to another job's file", want: seal.ErrTampered, edit: func(t *testing.T, p, _ string) string {
			to := filepath.Join(filepath.Dir(p), "0123456789abcdef0123456789abcdef"+journalExt)
			if err := os.Rename(p, to); err != nil {
				t.Fatal(err)
			}
			return to
		}},
		{name: "plain line injected", want: ErrJournal, js: journalSealing{enc: js.enc, readPlainUnsafe: true}, edit: func(t *testing.T, p, _ string) string {
			l := fileLines(t, p)
			l = append(l, []byte(`{"op":"issue","lease":"forged","name":"db"}`+"\n"))
			writeLines(t, p, l)
			return p
		}},
		{name: "sealed record read without an encrypter", noEnc: true, want: ErrJournal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := writeSealed(t, dir, canaryJob, js)
			other := writeSealed(t, dir, "another-job", js)
			if tt.edit != nil {
				path = tt.edit(t, path, other)
			}
			read := tt.js
			if read.enc == nil && !tt.noEnc {
				read = js
			}
			st, err := parseFile(t, path, read)
			if !errors.Is(err, ErrJournal) || !errors.Is(err, tt.want) {
				t.Fatalf("parse = %+v, %v; want ErrJournal and %v", st, err, tt.want)
			}
			for _, c := range []string{canaryJob, canaryActor, canaryName, canaryLease, canaryBound} {
				if strings.Contains(err.Error(), c) {
					t.Fatalf("error reveals %q: %v", c, err)
				}
			}
		})
	}
}

func TestSealedJournalRotation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	k1, k2 := sealKey(t, "k1", 1), sealKey(t, "k2", 2)
	old := writeSealed(t, dir, "old-job", journalSealing{enc: sealEnv(t, k1)})
	rotated := journalSealing{enc: sealEnv(t, k2, k1)}
	if st, err := parseFile(t, old, rotated); err != nil || len(st.outstanding) != 1 {
		t.Fatalf("old record after rotation: %+v, %v", st, err)
	}
	fresh := writeSealed(t, dir, "new-job", rotated)
	key, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(strings.TrimPrefix(string(fileLines(t, fresh)[0]), sealedPrefix)))
	if id, _ := seal.KeyIDOf(key); id != "k2" {
		t.Fatalf("new record under %q, want k2", id)
	}
	if _, err := parseFile(t, old, journalSealing{enc: sealEnv(t, k2)}); !errors.Is(err, seal.ErrUnknownKey) {
		t.Fatalf("old record after k1 retired: %v, want ErrUnknownKey", err)
	}
}

func TestPlainJournalWithEncrypter(t *testing.T) {
	t.Parallel()
	j, err := createJournal(t.Context(), t.TempDir(), journalSealing{}, "plain-job", "a")
	if err != nil {
		t.Fatal(err)
	}
	if err := j.append(record{Op: "issue", Lease: "l", Name: "db"}); err != nil {
		t.Fatal(err)
	}
	enc := sealEnv(t, sealKey(t, "k1", 1))
	if _, err := parseFile(t, j.path, journalSealing{enc: enc}); !errors.Is(err, ErrJournal) {
		t.Fatalf("plain record with an encrypter: %v, want refused", err)
	}
	st, err := parseFile(t, j.path, journalSealing{enc: enc, readPlainUnsafe: true})
	if err != nil || len(st.outstanding) != 1 || st.codec.file != nil {
		t.Fatalf("migration read: %+v, %v", st, err)
	}
}

// countingBackend records revocations.
type countingBackend struct {
	Static
	mu      sync.Mutex
	revoked []string
}

func (c *countingBackend) Revoke(_ context.Context, id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.revoked = append(c.revoked, id)
	return nil
}

// Recovery of a sealed record revokes what it holds, appends in the sealed
// format (the continuation must open), and cuts a torn last line first.
func TestRecoverSealedFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	js := journalSealing{enc: sealEnv(t, sealKey(t, "k1", 1))}
	path := writeSealed(t, dir, canaryJob, js)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("torn-by-a-cra"); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()

	be := &countingBackend{}
	// A failing audit keeps the record on disk, so the appended line can be
	// read back; without it the record is deleted after recovery.
	down := audit.SinkFunc(func(context.Context, audit.Event) error { return errors.New("audit down") })
	b, err := New(AllowNames(canaryName), be, WithJournal(dir), WithRevokeRetry(1, time.Millisecond), WithAudit(down))
	if err != nil {
		t.Fatal(err)
	}
	n, _ := b.recoverFile(t.Context(), path, js)
	if n != 1 || len(be.revoked) != 1 || be.revoked[0] != canaryBound {
		t.Fatalf("recovered %d, revoked %v", n, be.revoked)
	}
	st, err := parseFile(t, path, js)
	if err != nil || len(st.outstanding) != 0 || st.lines != 7 {
		t.Fatalf("after recovery: %+v, %v", st, err)
	}
}

// FuzzParseSealedJournal: a sealed record is read back after crashes and
// may be damaged or forged; parsing must never panic, every refusal wraps
// ErrJournal, and what is accepted is a well-formed state.
func FuzzParseSealedJournal(f *testing.F) {
	js := journalSealing{enc: sealEnv(f, sealKey(f, "k1", 1))}
	dir := f.TempDir()
	j, err := createJournal(context.Background(), dir, js, "fuzz-job", "a")
	if err != nil {
		f.Fatal(err)
	}
	if err := j.append(record{Op: "issue", Lease: "l", Name: "db"}); err != nil {
		f.Fatal(err)
	}
	raw, err := os.ReadFile(j.path)
	if err != nil {
		f.Fatal(err)
	}
	name := filepath.Base(j.path)
	f.Add(raw)
	f.Add(raw[:len(raw)-5])
	f.Add(raw[:bytes.IndexByte(raw, '\n')+1]) // Begin cut short after the key
	f.Add([]byte{})
	f.Add([]byte(sealedPrefix + "\n"))
	f.Add([]byte(sealedPrefix + "WlMBAmsx\n{}\n"))
	f.Add([]byte(`{"op":"job","job":"j"}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := parseJournal(context.Background(), bytes.NewReader(data), name, js)
		if err != nil {
			if !errors.Is(err, ErrJournal) {
				t.Fatalf("error %v does not wrap ErrJournal", err)
			}
			return
		}
		if st.job == "" && (len(st.outstanding) > 0 || st.lines > 1) {
			t.Fatalf("accepted %+v: a record without a job holding more than its key", st)
		}
		if st.job != "" && st.codec.file == nil {
			t.Fatalf("accepted %+v: a plain record under an encrypter", st)
		}
	})
}
