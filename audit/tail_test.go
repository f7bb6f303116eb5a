package audit

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// crashedLog writes n events with a checkpoint every `every` entries and
// closes the log, then drops the final checkpoint line, as a crash between
// an fsync'd append and its checkpoint leaves the file. It returns the
// path, the dropped checkpoint (the root a checkpoint at the crash would
// have signed) and the size of the last checkpoint left.
func crashedLog(t *testing.T, n, every int) (path string, dropped Checkpoint, signed uint64) {
	t.Helper()
	path, b := writeLog(t, n, every)
	ls := lines(b)
	last := ls[len(ls)-1]
	if last[0] != 'c' {
		t.Fatalf("last line %q is not a checkpoint", last)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(string(last[2:]), "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if dropped, err = testVerifier(t).Checkpoint(raw); err != nil {
		t.Fatal(err)
	}
	kept := join(ls[:len(ls)-1])
	if err := os.WriteFile(path, kept, 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := testVerifier(t).Log(t.Context(), bytes.NewReader(kept))
	if !errors.Is(err, ErrUnanchored) || rep.Unsigned == 0 {
		t.Fatalf("crashed log: %+v, %v; want an unsigned tail", rep, err)
	}
	return path, dropped, rep.Latest.Size
}

// entriesOf reads every entry of the log at path.
func entriesOf(t *testing.T, path string) []Entry {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var es []Entry
	if err := ReadEntries(t.Context(), bytes.NewReader(b), func(e Entry) error {
		es = append(es, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return es
}

// adoptions returns the entries of the log at path that record an
// adopted tail.
func adoptions(t *testing.T, path string) []Entry {
	t.Helper()
	var out []Entry
	for _, e := range entriesOf(t, path) {
		if e.Event.Action == ActionUnsignedTailAdopted {
			out = append(out, e)
		}
	}
	return out
}

func verifyFile(t *testing.T, path string) Report {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := testVerifier(t).Log(t.Context(), bytes.NewReader(b))
	if err != nil {
		t.Fatalf("Verifier.Log: %v (%+v)", err, rep)
	}
	return rep
}

// forgeEntries appends well-formed entries (right index, valid CRC) to a
// closed log's file, as whoever can write the file but not use the key
// can; it returns their events.
func forgeEntries(t *testing.T, path string, events ...Event) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rep, _ := VerifyIntegrityOnlyUnsafe(t.Context(), bytes.NewReader(b))
	var buf []byte
	for i, e := range events {
		j, err := Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		buf = appendEntryLine(buf, rep.Entries+uint64(i), j)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(buf); err != nil {
		t.Fatal(err)
	}
}

func forgedEvent(i int) Event {
	e := testEvent(i)
	e.ID = fmt.Sprintf("forged-%d", i)
	e.Actor.ID = "spiffe://example.org/attacker"
	e.Resource = "secret:prod-root"
	return e
}

// TestUnsignedTailAdoptedAfterCrash: the entries a crash left after the
// last checkpoint are kept, recorded by a recovery entry appended before
// anything else, signed before Open returns, and the whole log verifies,
// reporting them as adopted. The recovery entry's root is the one a
// checkpoint signed at the crash would have carried.
func TestUnsignedTailAdoptedAfterCrash(t *testing.T) {
	t.Parallel()
	path, dropped, signed := crashedLog(t, 10, 4) // checkpoints at 4 and 8; 8 and 9 unsigned
	if signed != 8 || dropped.Size != 10 {
		t.Fatalf("setup: signed %d, dropped checkpoint of size %d", signed, dropped.Size)
	}
	var logs bytes.Buffer
	l := openTest(t, path, WithoutSyncUnsafe(), WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	if l.Size() != 11 || l.Latest().Size != 11 {
		t.Errorf("after Open: size %d, signed %d; want 11 and 11 (signed before Open returns)", l.Size(), l.Latest().Size)
	}
	r, err := l.Append(t.Context(), testEvent(10))
	if err != nil || r.Index != 11 {
		t.Fatalf("append after adoption: %+v, %v", r, err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	var rec struct {
		Level   string
		Msg     string
		Entries uint64
		First   uint64
		Last    uint64
	}
	if err := json.Unmarshal(logs.Bytes(), &rec); err != nil {
		t.Fatalf("want one warning, logged %q: %v", logs.String(), err)
	}
	if rec.Level != "WARN" || rec.Entries != 2 || rec.First != 8 || rec.Last != 9 || !strings.Contains(rec.Msg, "adopting") {
		t.Errorf("warning = %+v", rec)
	}

	rep := verifyFile(t, path)
	if rep.Entries != 12 || rep.Unsigned != 0 || rep.Adopted != 2 {
		t.Errorf("report = %+v, want 12 entries, 2 adopted", rep)
	}
	es := entriesOf(t, path)
	for i := range 10 {
		if es[i].Event.ID != testEvent(i).ID {
			t.Errorf("entry %d = %s, want %s", i, es[i].Event.ID, testEvent(i).ID)
		}
	}
	got := es[10].Event
	if got.Action != ActionUnsignedTailAdopted || got.Attributes[AttrAdoptedFrom] != "8" || got.Attributes[AttrAdoptedTo] != "10" ||
		got.Attributes[AttrTreeRoot] != base64.StdEncoding.EncodeToString(dropped.Root) {
		t.Errorf("entry 10 = %+v, want the recovery event for 8..9 with the root of the dropped checkpoint %x", got, dropped.Root)
	}
	if es[11].Event.ID != testEvent(10).ID {
		t.Errorf("entry 11 = %s, want the append after Open", es[11].Event.ID)
	}
}

// TestUnsignedTailForgedEntriesVisible: entries appended to a closed
// log's file by someone without the key (well-formed, valid checksums)
// are signed by the next Open — whatever it keeps it signs — but the
// signed log says they were adopted at that Open, not checkpointed when
// written, even when the forger adds a recovery entry of its own that
// understates the range. So it is with a KMS-held key too.
func TestUnsignedTailForgedEntriesVisible(t *testing.T) {
	t.Parallel()
	kms, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, v, err := NewCheckpointSigner(testOrigin, kmsKey{kms})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "audit.log")
	reopen := func() *Log {
		l, err := OpenWithSigner(t.Context(), path, s, v, WithoutSyncUnsafe())
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	l := reopen()
	for i := range 5 {
		if _, err := l.Append(t.Context(), testEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	// The forger appends two entries and a recovery entry claiming only
	// the second was adopted.
	fake := adoptionEvent(testOrigin, 6, 7, make([]byte, 32), testT0)
	forgeEntries(t, path, forgedEvent(0), forgedEvent(1), fake)
	b, _ := os.ReadFile(path)
	if rep, err := v.Log(t.Context(), bytes.NewReader(b)); !errors.Is(err, ErrUnanchored) || rep.Unsigned != 3 {
		t.Fatalf("forged file before Open: %+v, %v", rep, err)
	}

	l = reopen()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(path)
	rep, err := v.Log(t.Context(), bytes.NewReader(b))
	if err != nil || rep.Entries != 9 || rep.Adopted != 3 {
		t.Fatalf("after Open: %+v, %v; want 9 entries, 3 adopted", rep, err)
	}
	es := entriesOf(t, path)
	if es[5].Event.ID != "forged-0" || es[6].Event.ID != "forged-1" || es[7].Event.ID != fake.ID {
		t.Fatalf("forged entries not kept in place: %s %s %s", es[5].Event.ID, es[6].Event.ID, es[7].Event.ID)
	}
	got := es[8].Event
	if got.Action != ActionUnsignedTailAdopted || got.Source != SourceLog ||
		got.Attributes[AttrAdoptedFrom] != "5" || got.Attributes[AttrAdoptedTo] != "8" {
		t.Errorf("recovery entry = %+v, want adoption of entries 5 to 7", got)
	}
}

// TestUnsignedTailRefused: WithUnsignedTail(TailRefuse) makes Open fail
// with a *LogError wrapping ErrUnanchored at the first unsigned entry,
// naming the range, and leaves the file byte for byte as it was — a torn
// line after the tail included. The operator inspects the tail and
// adopts it with TailAdopt.
func TestUnsignedTailRefused(t *testing.T) {
	t.Parallel()
	crashed, _, _ := crashedLog(t, 10, 4)
	b, _ := os.ReadFile(crashed)
	forged, _ := writeLog(t, 3, 100)
	forgeEntries(t, forged, forgedEvent(0))
	torn := append(bytes.Clone(b), "e 10 0000"...)
	neverSigned := join(lines(b)[:4]) // header and entries 0..2, no checkpoint yet

	for _, tt := range []struct {
		name      string
		data      []byte
		from, to  uint64
		firstLine int
		names     string
	}{
		{"crashed", b, 8, 10, 12, "(entries 8 to 9) after the last signed checkpoint (size 8)"},
		{"forged", mustRead(t, forged), 3, 4, 6, "(entry 3) after the last signed checkpoint (size 3)"},
		{"torn after tail", torn, 8, 10, 12, "(entries 8 to 9) after the last signed checkpoint (size 8)"},
		{"never signed", neverSigned, 0, 3, 2, "(entries 0 to 2) in a log with no signed checkpoint"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "audit.log")
			if err := os.WriteFile(path, tt.data, 0o600); err != nil {
				t.Fatal(err)
			}
			l, err := Open(t.Context(), path, testOrigin, testKey(1), WithUnsignedTail(TailRefuse))
			if err == nil {
				l.Close()
				t.Fatal("Open accepted an unsigned tail under TailRefuse")
			}
			var le *LogError
			if !errors.Is(err, ErrUnanchored) || !errors.As(err, &le) {
				t.Fatalf("Open = %v, want a *LogError wrapping ErrUnanchored", err)
			}
			if le.Index != tt.from || le.Line != tt.firstLine {
				t.Errorf("error at line %d entry %d, want line %d entry %d", le.Line, le.Index, tt.firstLine, tt.from)
			}
			if !strings.Contains(err.Error(), tt.names) {
				t.Errorf("error %q does not name %q", err, tt.names)
			}
			if got := mustRead(t, path); !bytes.Equal(got, tt.data) {
				t.Errorf("refusing Open changed the file:\n%q\nwant\n%q", got, tt.data)
			}
			// The operator's way out: open with adoption, recorded.
			l = openTest(t, path, WithUnsignedTail(TailAdopt), WithoutSyncUnsafe())
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if rep := verifyFile(t, path); rep.Adopted != tt.to-tt.from {
				t.Errorf("after adoption: %+v, want %d adopted", rep, tt.to-tt.from)
			}
		})
	}

	// Nothing to refuse: a signed log, or one whose only tail is a torn
	// line after its last checkpoint, opens (the torn line is cut).
	signed, sb := writeLog(t, 3, 100)
	l := openTest(t, signed, WithUnsignedTail(TailRefuse))
	l.Close()
	tornOnly := filepath.Join(t.TempDir(), "audit.log")
	if err := os.WriteFile(tornOnly, append(bytes.Clone(sb), "e 3 00"...), 0o600); err != nil {
		t.Fatal(err)
	}
	l = openTest(t, tornOnly, WithUnsignedTail(TailRefuse))
	l.Close()
	if got := mustRead(t, tornOnly); !bytes.Equal(got, sb) {
		t.Errorf("torn line after the last checkpoint not cut: %q", got)
	}

	for _, opt := range []Option{WithUnsignedTail(0), WithUnsignedTail(3)} {
		if l, err := Open(t.Context(), filepath.Join(t.TempDir(), "audit.log"), testOrigin, testKey(1), opt); !errors.Is(err, ErrConfig) {
			if err == nil {
				l.Close()
			}
			t.Errorf("Open(%s) = %v, want ErrConfig", opt.name, err)
		}
	}
	if _, err := NewJSONLines(&bytes.Buffer{}, WithUnsignedTail(TailRefuse)); !errors.Is(err, ErrConfig) {
		t.Errorf("NewJSONLines(WithUnsignedTail) = %v, want ErrConfig", err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestNoUnsignedTailNoRecoveryEvent: a new log, and a log whose entries
// are all signed, get no recovery entry; reopening a closed log and
// closing it again leaves its file as it was.
func TestNoUnsignedTailNoRecoveryEvent(t *testing.T) {
	t.Parallel()
	path, b := writeLog(t, 7, 3)
	l := openTest(t, path)
	if l.Size() != 7 {
		t.Errorf("size %d, want 7", l.Size())
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, path); !bytes.Equal(got, b) {
		t.Error("reopening a signed log changed it")
	}
	fresh := filepath.Join(t.TempDir(), "audit.log")
	l = openTest(t, fresh)
	if _, err := l.Append(t.Context(), testEvent(0)); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, fresh} {
		if a := adoptions(t, p); len(a) != 0 {
			t.Errorf("%s: recovery entries %+v", p, a)
		}
		if rep := verifyFile(t, p); rep.Adopted != 0 {
			t.Errorf("%s: report %+v", p, rep)
		}
	}
	// The contrast, so that the checks above can see a recovery entry: the
	// same log cut before its last checkpoint gets one.
	ls := lines(b)
	if err := os.WriteFile(path, join(ls[:len(ls)-1]), 0o600); err != nil {
		t.Fatal(err)
	}
	l = openTest(t, path)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if a := adoptions(t, path); len(a) != 1 {
		t.Errorf("log with an unsigned tail: %d recovery entries, want 1", len(a))
	}
	if rep := verifyFile(t, path); rep.Adopted != 1 {
		t.Errorf("log with an unsigned tail: report %+v, want 1 adopted", rep)
	}
}

// TestUnsignedTailAdoptedOnce: reopening after an adoption adds no second
// recovery entry. If the process dies after the recovery entry is written
// but before its checkpoint is, the next Open adopts that entry too with a
// second one covering both, and the report counts each entry once.
func TestUnsignedTailAdoptedOnce(t *testing.T) {
	t.Parallel()
	path, _, _ := crashedLog(t, 10, 4)
	l := openTest(t, path, WithoutSyncUnsafe())
	l.Close()
	after := mustRead(t, path)
	for range 2 {
		l = openTest(t, path, WithoutSyncUnsafe())
		l.Close()
	}
	if got := mustRead(t, path); !bytes.Equal(got, after) {
		t.Error("reopening after the adoption changed the log")
	}
	if a := adoptions(t, path); len(a) != 1 {
		t.Fatalf("%d recovery entries, want 1", len(a))
	}

	// Crash between the recovery entry and its checkpoint.
	ls := lines(after)
	if err := os.WriteFile(path, join(ls[:len(ls)-1]), 0o600); err != nil {
		t.Fatal(err)
	}
	l = openTest(t, path, WithoutSyncUnsafe())
	l.Close()
	a := adoptions(t, path)
	if len(a) != 2 || a[1].Event.Attributes[AttrAdoptedFrom] != "8" || a[1].Event.Attributes[AttrAdoptedTo] != "11" {
		t.Fatalf("recovery entries %+v, want a second one adopting 8..10", a)
	}
	if rep := verifyFile(t, path); rep.Entries != 12 || rep.Adopted != 3 {
		t.Errorf("report %+v, want 12 entries, 3 adopted", rep)
	}
}

// TestRecoveryEventExact pins the recovery entry field by field, and
// proves it like any other entry (Log.Prove, Verifier.VerifyEvent).
func TestRecoveryEventExact(t *testing.T) {
	t.Parallel()
	path, dropped, _ := crashedLog(t, 10, 4)
	at := time.Date(2027, 1, 2, 3, 4, 5, 6, time.FixedZone("CET", 3600))
	l := openTest(t, path, WithoutSyncUnsafe(), WithClock(func() time.Time { return at }))
	defer l.Close()
	root := base64.StdEncoding.EncodeToString(dropped.Root)
	id := fmt.Sprintf("unsigned-tail-adopted-8-10-%x", dropped.Root[:8])
	p, err := l.Prove(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if p.Index != 10 || p.Checkpoint.Size != 11 {
		t.Errorf("recovery entry %d, proved against size %d; want 10 and 11", p.Index, p.Checkpoint.Size)
	}
	got, err := testVerifier(t).VerifyEvent(p, id)
	if err != nil {
		t.Fatal(err)
	}
	want := Event{
		ID:       id,
		Time:     time.Date(2027, 1, 2, 2, 4, 5, 6, time.UTC),
		Source:   "ztci/audit/log",
		Action:   "audit.unsigned_tail_adopted",
		Outcome:  OutcomeSuccess,
		Actor:    Actor{ID: "ztci/audit/log", Kind: "service"},
		Resource: testOrigin,
		Reason: "unsigned tail (entries 8 to 9) adopted when the log was opened: signed then, not when written; " +
			"a crash between checkpoints leaves such a tail, and so does a write to the closed file",
		Attributes: map[string]string{"adopted_from": "8", "adopted_to": "10", "tree_root": root},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("recovery event\n got %+v\nwant %+v", got, want)
	}
}
