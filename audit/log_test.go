package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/transparency-dev/merkle/rfc6962"
)

func openTest(t *testing.T, path string, opts ...Option) *Log {
	t.Helper()
	l, err := Open(t.Context(), path, testOrigin, testKey(1), opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return l
}

// writeLog writes n events with a checkpoint every `every` entries and
// returns the file's bytes.
func writeLog(t *testing.T, n, every int) (string, []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.log")
	l := openTest(t, path, WithCheckpointEvery(every), WithoutSyncUnsafe())
	for i := range n {
		if _, err := l.Append(t.Context(), testEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, b
}

func testVerifier(t testing.TB) *Verifier {
	v, err := NewVerifier(testOrigin, testKey(1).Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestLogAppendVerifyReopen(t *testing.T) {
	t.Parallel()
	path, b := writeLog(t, 100, 16)
	rep, err := testVerifier(t).Log(t.Context(), bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	// Checkpoints are signed when a batch reaches 16 new entries, and on Close.
	if rep.Entries != 100 || rep.Unsigned != 0 || rep.Latest.Size != 100 || rep.Checkpoints < 2 {
		t.Errorf("report = %+v", rep)
	}
	l := openTest(t, path)
	defer l.Close()
	if l.Size() != 100 || l.Latest().Size != 100 {
		t.Errorf("reopened: size %d, checkpoint %d", l.Size(), l.Latest().Size)
	}
	r, err := l.Append(t.Context(), testEvent(100))
	if err != nil || r.Index != 100 {
		t.Fatalf("append after reopen: %v, %+v", err, r)
	}
	var ids []string
	err = ReadEntries(t.Context(), bytes.NewReader(b), func(e Entry) error {
		ids = append(ids, e.Event.ID)
		return nil
	})
	if err != nil || len(ids) != 100 || ids[99] != testEvent(99).ID {
		t.Errorf("ReadEntries: %v, %d ids", err, len(ids))
	}
}

func TestLogProofs(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.log")
	l := openTest(t, path, WithoutSyncUnsafe())
	defer l.Close()
	v := l.Verifier()
	var receipts []Receipt
	var cps []Checkpoint
	for i := range 37 {
		r, err := l.Append(t.Context(), testEvent(i))
		if err != nil {
			t.Fatal(err)
		}
		receipts = append(receipts, r)
		if i%7 == 0 {
			cp, err := l.Checkpoint(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			cps = append(cps, cp)
		}
	}
	for _, cp := range cps {
		for _, r := range receipts[:cp.Size] {
			p, err := l.InclusionProof(r.Index, cp.Size)
			if err != nil {
				t.Fatal(err)
			}
			if err := v.Inclusion(cp, r.Index, r.Entry, p); err != nil {
				t.Fatalf("inclusion %d in %d: %v", r.Index, cp.Size, err)
			}
			if r.Index > 0 {
				if err := v.Inclusion(cp, r.Index-1, r.Entry, p); !errors.Is(err, ErrProof) {
					t.Fatalf("wrong index accepted: %v", err)
				}
			}
		}
	}
	for i := range cps {
		for j := i; j < len(cps); j++ {
			p, err := l.ConsistencyProof(cps[i].Size, cps[j].Size)
			if err != nil {
				t.Fatal(err)
			}
			if err := v.Consistency(cps[i], cps[j], p); err != nil {
				t.Fatalf("consistency %d->%d: %v", cps[i].Size, cps[j].Size, err)
			}
		}
	}
	// A forged checkpoint (fields changed, signature kept) is rejected.
	forged := cps[len(cps)-1]
	forged.Signed = bytes.Replace(forged.Signed, []byte("\n36\n"), []byte("\n35\n"), 1)
	if err := v.Inclusion(forged, 0, receipts[0].Entry, nil); !errors.Is(err, ErrCheckpointSignature) {
		t.Errorf("forged checkpoint: got %v", err)
	}
	if _, err := l.InclusionProof(0, l.Size()+1); !errors.Is(err, ErrProof) {
		t.Errorf("proof beyond size: got %v", err)
	}
}

// lines splits a log into lines, keeping the newlines.
func lines(b []byte) [][]byte {
	return bytes.SplitAfter(b, []byte("\n"))[:bytes.Count(b, []byte("\n"))]
}

func join(ls [][]byte) []byte { return bytes.Join(ls, nil) }

func TestVerifyDetectsTampering(t *testing.T) {
	t.Parallel()
	_, b := writeLog(t, 20, 5)
	ls := lines(b)
	// Line 1 is the header; entry i is at a line that depends on where
	// checkpoints fall, so find them.
	entryLine := func(i int) int {
		for n, l := range ls {
			if bytes.HasPrefix(l, fmt.Appendf(nil, "e %d ", i)) {
				return n
			}
		}
		t.Fatalf("entry %d not found", i)
		return 0
	}
	firstCheckpointAfter := func(i int) int {
		for n := entryLine(i); n < len(ls); n++ {
			if ls[n][0] == 'c' {
				return n
			}
		}
		t.Fatal("no checkpoint")
		return 0
	}
	mutate := func(f func(ls [][]byte) [][]byte) []byte {
		c := make([][]byte, len(ls))
		for i := range ls {
			c[i] = bytes.Clone(ls[i])
		}
		return join(f(c))
	}
	// reframe rewrites entry line n with new event JSON and a fresh CRC,
	// as an attacker without the signing key would.
	reframe := func(l []byte, index int, event []byte) []byte {
		_ = l
		return appendEntryLine(nil, uint64(index), event)
	}
	otherKey, _ := NewVerifier(testOrigin, testKey(2).Public().(ed25519.PublicKey))
	otherOrigin, _ := NewVerifier("example.com/ztci/audit/other", testKey(1).Public().(ed25519.PublicKey))

	tests := []struct {
		name     string
		data     []byte
		verifier *Verifier
		want     error
		line     int // 1-based, 0: don't check
	}{
		{"bit flip in entry", mutate(func(ls [][]byte) [][]byte {
			n := entryLine(7)
			ls[n][len(ls[n])-5] ^= 1
			return ls
		}), nil, ErrCorruptEntry, entryLine(7) + 1},
		{"entry rewritten with valid crc", mutate(func(ls [][]byte) [][]byte {
			n := entryLine(7)
			e := testEvent(7)
			e.Outcome = OutcomeDeny
			j, _ := Encode(e)
			ls[n] = reframe(ls[n], 7, j)
			return ls
		}), nil, ErrRootMismatch, firstCheckpointAfter(7) + 1},
		{"entries swapped", mutate(func(ls [][]byte) [][]byte {
			a, b := entryLine(3), entryLine(4)
			ls[a], ls[b] = ls[b], ls[a]
			return ls
		}), nil, ErrSequence, entryLine(3) + 1},
		{"entry duplicated", mutate(func(ls [][]byte) [][]byte {
			n := entryLine(9)
			return append(ls[:n+1], append([][]byte{ls[n]}, ls[n+1:]...)...)
		}), nil, ErrSequence, entryLine(9) + 2},
		{"entry removed", mutate(func(ls [][]byte) [][]byte {
			n := entryLine(8)
			return append(ls[:n], ls[n+1:]...)
		}), nil, ErrSequence, entryLine(8) + 1},
		{"entry before checkpoint removed", mutate(func(ls [][]byte) [][]byte {
			n := entryLine(9)
			return append(ls[:n], ls[n+1:]...)
		}), nil, ErrCheckpointSize, entryLine(9) + 1},
		{"truncated mid-line", b[:len(b)-10], nil, ErrTornTail, len(ls)},
		{"garbage line", mutate(func(ls [][]byte) [][]byte {
			ls[entryLine(2)] = []byte("x garbage\n")
			return ls
		}), nil, ErrCorruptEntry, entryLine(2) + 1},
		{"wrong key", b, otherKey, ErrCheckpointSignature, firstCheckpointAfter(0) + 1},
		{"other instance", b, otherOrigin, ErrForeignLog, 1},
		{"checkpoint from other instance", mutate(func(ls [][]byte) [][]byte {
			_, ob := writeLogOrigin(t, "example.com/ztci/audit/other", 20, 5)
			ols := lines(ob)
			n := firstCheckpointAfter(0)
			ls[n] = ols[n]
			return ls
		}), nil, ErrForeignLog, firstCheckpointAfter(0) + 1},
		{"no header", join(ls[1:]), nil, ErrCorruptEntry, 1},
		{"empty file", nil, nil, ErrTornTail, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := tt.verifier
			if v == nil {
				v = testVerifier(t)
			}
			_, err := v.Log(t.Context(), bytes.NewReader(tt.data))
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			var le *LogError
			if !errors.As(err, &le) {
				t.Fatalf("got %T, want *LogError", err)
			}
			if tt.line != 0 && le.Line != tt.line {
				t.Errorf("reported line %d, want %d (%v)", le.Line, tt.line, err)
			}
			// Open fails closed on everything but a torn tail.
			path := filepath.Join(t.TempDir(), "audit.log")
			if err := os.WriteFile(path, tt.data, 0o600); err != nil {
				t.Fatal(err)
			}
			l, err := Open(t.Context(), path, v.origin, testKey(1))
			if errors.Is(tt.want, ErrTornTail) || tt.verifier != nil && errors.Is(tt.want, ErrCheckpointSignature) {
				if err == nil {
					l.Close()
				}
				return
			}
			if !errors.Is(err, tt.want) {
				if err == nil {
					l.Close()
				}
				t.Errorf("Open: got %v, want %v", err, tt.want)
			}
		})
	}
}

func writeLogOrigin(t *testing.T, origin string, n, every int) (string, []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.log")
	l, err := Open(t.Context(), path, origin, testKey(1), WithCheckpointEvery(every), WithoutSyncUnsafe())
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := l.Append(t.Context(), testEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	return path, b
}

// TestOpenTruncatesTornTail cuts the log at every byte of its last line and
// checks that Open repairs it to the last complete entry.
func TestOpenTruncatesTornTail(t *testing.T) {
	t.Parallel()
	_, b := writeLog(t, 5, 100)
	ls := lines(b)
	// Drop the final checkpoint so the last line is an entry.
	full := join(ls[:len(ls)-1])
	last := ls[len(ls)-2]
	start := len(full) - len(last)
	for cut := start + 1; cut < len(full); cut++ {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "audit.log")
			if err := os.WriteFile(path, full[:cut], 0o600); err != nil {
				t.Fatal(err)
			}
			l := openTest(t, path, WithoutSyncUnsafe())
			// The 4 complete (unsigned) entries are kept, and adopted
			// with a recovery entry and a checkpoint.
			if l.Size() != 5 || l.Latest().Size != 5 {
				t.Errorf("size after repair = %d, signed %d; want 4 entries and the recovery entry", l.Size(), l.Latest().Size)
			}
			if _, err := l.Append(t.Context(), testEvent(4)); err != nil {
				t.Fatal(err)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(path)
			if rep, err := testVerifier(t).Log(t.Context(), bytes.NewReader(got)); err != nil || rep.Entries != 6 || rep.Adopted != 4 {
				t.Errorf("after repair: %+v, %v", rep, err)
			}
		})
	}
}

func TestLogConcurrentAndClosed(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.log")
	l := openTest(t, path, WithCheckpointEvery(50))
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 25 {
				if err := l.Write(t.Context(), testEvent(w*1000+i)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Write(t.Context(), testEvent(0)); !errors.Is(err, ErrClosed) {
		t.Errorf("write after close: %v", err)
	}
	b, _ := os.ReadFile(path)
	rep, err := testVerifier(t).Log(t.Context(), bytes.NewReader(b))
	if err != nil || rep.Entries != 200 || rep.Unsigned != 0 {
		t.Errorf("%+v %v", rep, err)
	}
	// A second writer is refused while the first holds the log.
	l1 := openTest(t, path)
	defer l1.Close()
	if _, err := Open(t.Context(), path, testOrigin, testKey(1)); err == nil {
		t.Error("second Open of a log in use succeeded")
	}
	// Invalid events are rejected before they reach the log.
	if err := l1.Write(t.Context(), Event{}); !errors.Is(err, ErrInvalidEvent) {
		t.Errorf("invalid event: %v", err)
	}
}

func TestOpenRejectsBadKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name, origin string
		key          []byte
	}{
		{"short key", testOrigin, []byte("short")},
		{"origin with space", "bad origin", testKey(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Open(t.Context(), filepath.Join(dir, tt.name), tt.origin, tt.key); err == nil {
				t.Error("accepted")
			}
		})
	}
}

// addLogSeeds seeds the log fuzz targets with a real log (three signed
// checkpoints), its torn half, and minimal entry and checkpoint lines.
func addLogSeeds(f *testing.F) {
	f.Helper()
	path := filepath.Join(f.TempDir(), "seed.log")
	l, err := Open(context.Background(), path, testOrigin, testKey(1), WithCheckpointEvery(3), WithoutSyncUnsafe())
	if err != nil {
		f.Fatal(err)
	}
	for i := range 7 {
		if _, err := l.Append(context.Background(), testEvent(i)); err != nil {
			f.Fatal(err)
		}
	}
	l.Close()
	seed, _ := os.ReadFile(path)
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	f.Add([]byte(headerPrefix + testOrigin + "\ne 0 00000000 {}\n"))
	f.Add([]byte(headerPrefix + testOrigin + "\nc AAAA\n"))
}

// FuzzReadEntries fuzzes the log's line format and event decoding without
// checkpoint signatures, at parser speed; FuzzVerifyLog, which verifies
// signatures and roots as well, shares its seeds.
func FuzzReadEntries(f *testing.F) {
	addLogSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		n := 0
		err := ReadEntries(context.Background(), bytes.NewReader(data), func(e Entry) error {
			if e.Index != uint64(n) {
				t.Fatalf("entry %d read as index %d", n, e.Index)
			}
			n++
			return nil
		})
		if err != nil && !errors.Is(err, ErrInvalidLog) {
			t.Fatalf("error outside the hierarchy: %v", err)
		}
		if n > strings.Count(string(data), "\n") {
			t.Fatalf("%d entries from %d lines", n, strings.Count(string(data), "\n"))
		}
	})
}

func FuzzVerifyLog(f *testing.F) {
	addLogSeeds(f)
	v := testVerifier(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := v.Log(context.Background(), bytes.NewReader(data))
		if err != nil {
			var le *LogError
			if !errors.As(err, &le) || !errors.Is(err, ErrInvalidLog) {
				t.Fatalf("error not a *LogError in the hierarchy: %v", err)
			}
			if le.Offset < 0 || le.Offset > int64(len(data)) {
				t.Fatalf("offset %d out of range", le.Offset)
			}
		} else if rep.Entries > uint64(strings.Count(string(data), "\n")) {
			t.Fatalf("more entries than lines")
		}
	})
}

func TestLogSinceDetectsTruncation(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.log")
	l := openTest(t, path, WithoutSyncUnsafe())
	for i := range 10 {
		if _, err := l.Append(t.Context(), testEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	trusted, err := l.Checkpoint(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for i := 10; i < 15; i++ {
		if _, err := l.Append(t.Context(), testEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	ls := lines(b)
	v := testVerifier(t)
	// Cut whole lines: the header and the first 6 entries remain.
	cut := join(ls[:7])
	// Without an anchor the cut is not detected as truncation, but the
	// entries left are no longer covered by a signature.
	if _, err := v.Log(t.Context(), bytes.NewReader(cut)); !errors.Is(err, ErrUnanchored) {
		t.Fatalf("cut log without its checkpoints: got %v, want ErrUnanchored", err)
	}
	other := testEvent(3)
	other.Outcome = OutcomeDeny
	j, _ := Encode(other)
	rewritten := bytes.Clone(b)
	rewritten = bytes.Replace(rewritten, ls[4], appendEntryLine(nil, 3, j), 1)
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"intact", b, nil},
		{"cut below trusted size", cut, ErrTruncated},
		{"rewritten before trusted size", rewritten, ErrRootMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rep, err := v.LogSince(t.Context(), bytes.NewReader(tt.data), trusted)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v (%+v), want %v", err, rep, tt.want)
			}
			var le *LogError
			if tt.want != nil && !errors.As(err, &le) {
				t.Errorf("no position in %v", err)
			}
		})
	}
	forged := trusted
	forged.Signed = bytes.Replace(forged.Signed, []byte("\n10\n"), []byte("\n11\n"), 1)
	if _, err := v.LogSince(t.Context(), bytes.NewReader(b), forged); !errors.Is(err, ErrCheckpointSignature) {
		t.Errorf("forged anchor: %v", err)
	}
}

func TestCheckpointInterval(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		l, err := Open(t.Context(), filepath.Join(dir, "audit.log"), testOrigin, testKey(1), WithCheckpointInterval(time.Minute), WithoutSyncUnsafe())
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		if _, err := l.Append(t.Context(), testEvent(0)); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got := l.Latest().Size; got != 0 {
			t.Fatalf("checkpoint before the interval: size %d", got)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if got := l.Latest().Size; got != 1 {
			t.Fatalf("no checkpoint after the interval: size %d", got)
		}
		// A quiet interval signs nothing new.
		before := l.Latest()
		time.Sleep(time.Minute)
		synctest.Wait()
		if !bytes.Equal(l.Latest().Signed, before.Signed) {
			t.Error("re-signed without new entries")
		}
	})
}

// TestLogFailsClosedAfterWriteError provokes a real write failure (the file
// descriptor is closed behind the log's back) and checks that the failed
// append reports it and every later append is refused.
func TestLogFailsClosedAfterWriteError(t *testing.T) {
	t.Parallel()
	l := openTest(t, filepath.Join(t.TempDir(), "audit.log"))
	if _, err := l.Append(t.Context(), testEvent(0)); err != nil {
		t.Fatal(err)
	}
	l.f.Close()
	if _, err := l.Append(t.Context(), testEvent(1)); !errors.Is(err, ErrSink) {
		t.Fatalf("append on a broken file: %v", err)
	}
	if _, err := l.Append(t.Context(), testEvent(2)); !errors.Is(err, ErrSink) {
		t.Fatalf("append after a failure: %v", err)
	}
	if _, err := l.Checkpoint(t.Context()); !errors.Is(err, ErrSink) {
		t.Fatalf("checkpoint after a failure: %v", err)
	}
	if l.Size() != 1 {
		t.Errorf("size %d, want 1", l.Size())
	}
	if err := l.Close(); !errors.Is(err, ErrSink) {
		t.Errorf("close after a failure: %v", err)
	}
}

// An empty log commits to the empty tree: a checkpoint asked for (or signed
// on Close) before the first entry is the RFC 6962 empty root at size 0,
// which the log's own Verifier accepts, so an opened-and-closed fresh log
// reopens and a later checkpoint is provably consistent with it.
func TestEmptyLogCheckpointReopens(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.log")
	l := openTest(t, path, WithoutSyncUnsafe())
	empty, err := l.Checkpoint(t.Context())
	if err != nil {
		t.Fatalf("Checkpoint of an empty log: %v", err)
	}
	if empty.Size != 0 || !bytes.Equal(empty.Root, rfc6962.DefaultHasher.EmptyRoot()) {
		t.Fatalf("empty checkpoint = size %d root %x, want size 0 and the empty root", empty.Size, empty.Root)
	}
	v := testVerifier(t)
	if _, err := v.Checkpoint(empty.Signed); err != nil {
		t.Fatalf("own verifier rejects the empty checkpoint: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	l = openTest(t, path, WithoutSyncUnsafe())
	if _, err := l.Append(t.Context(), testEvent(0)); err != nil {
		t.Fatal(err)
	}
	later, err := l.Checkpoint(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	p, err := l.ConsistencyProof(0, later.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Consistency(empty, later, p); err != nil {
		t.Errorf("empty -> 1 not consistent: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := v.Log(t.Context(), bytes.NewReader(b))
	if err != nil || rep.Entries != 1 || rep.Latest.Size != 1 {
		t.Errorf("Verifier.Log = %+v, %v", rep, err)
	}
}
