package audit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

func TestLogLookup(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.log")
	l := openTest(t, path, WithCheckpointEvery(7), WithoutSyncUnsafe())
	odd := testEvent(1000)
	odd.ID = "id with \"quotes\", \\, ünïcode and <html>\n"
	want := map[string]Receipt{}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for w := range 4 {
		wg.Go(func() {
			for i := range 25 {
				e := testEvent(w*100 + i)
				r, err := l.Append(t.Context(), e)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				want[e.ID] = r
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	r, err := l.Append(t.Context(), odd)
	if err != nil {
		t.Fatal(err)
	}
	want[odd.ID] = r
	// The same id twice: an append retried after it was in fact written.
	dup := testEvent(5000)
	for range 2 {
		if _, err := l.Append(t.Context(), dup); err != nil {
			t.Fatal(err)
		}
	}
	check := func(t *testing.T, l *Log) {
		t.Helper()
		for id, w := range want {
			got, err := l.Lookup(t.Context(), id)
			if err != nil || got.Index != w.Index || string(got.Entry) != string(w.Entry) {
				t.Fatalf("Lookup(%q) = %d, %v; want %d", id, got.Index, err, w.Index)
			}
		}
		if _, err := l.Lookup(t.Context(), "evt-missing"); !errors.Is(err, ErrEventNotFound) {
			t.Errorf("missing id: %v", err)
		}
		if _, err := l.Lookup(t.Context(), dup.ID); !errors.Is(err, ErrDuplicateEvent) {
			t.Errorf("duplicate id: %v", err)
		}
		v := l.Verifier()
		p, err := l.Prove(t.Context(), odd.ID)
		if err != nil {
			t.Fatal(err)
		}
		if e, err := v.VerifyEvent(p, odd.ID); err != nil || e.ID != odd.ID {
			t.Errorf("VerifyEvent: %v", err)
		}
		if _, err := v.VerifyEvent(p, "evt-00000001"); !errors.Is(err, ErrEventNotFound) {
			t.Errorf("proof presented for another id: %v", err)
		}
		p.Index++
		if _, err := v.VerifyEvent(p, odd.ID); !errors.Is(err, ErrProof) {
			t.Errorf("proof with a wrong index: %v", err)
		}
	}
	t.Run("while appending", func(t *testing.T) { check(t, l) })
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Lookup(t.Context(), odd.ID); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
	// Reopened: the index is rebuilt from the file.
	l2 := openTest(t, path, WithoutSyncUnsafe())
	defer l2.Close()
	t.Run("after reopen", func(t *testing.T) { check(t, l2) })
}

// TestLogProveSignsCheckpoint: an entry not yet covered by a checkpoint is
// proved against a new one.
func TestLogProveSignsCheckpoint(t *testing.T) {
	t.Parallel()
	l := openTest(t, filepath.Join(t.TempDir(), "audit.log"), WithoutSyncUnsafe())
	defer l.Close()
	for i := range 3 {
		if _, err := l.Append(t.Context(), testEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	if l.Latest().Signed != nil {
		t.Fatal("precondition: no checkpoint yet")
	}
	p, err := l.Prove(t.Context(), testEvent(2).ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Index != 2 || p.Checkpoint.Size != 3 {
		t.Errorf("proof of entry %d against size %d", p.Index, p.Checkpoint.Size)
	}
	if _, err := l.Verifier().VerifyEvent(p, testEvent(2).ID); err != nil {
		t.Error(err)
	}
}

// TestLogLookupDetectsFileChange: an entry rewritten in the file under an
// open log is not returned.
func TestLogLookupDetectsFileChange(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.log")
	l := openTest(t, path, WithoutSyncUnsafe())
	defer l.Close()
	r, err := l.Append(t.Context(), testEvent(1))
	if err != nil {
		t.Fatal(err)
	}
	e := testEvent(1)
	e.Outcome = OutcomeDeny
	forged, _ := Encode(e)
	b, _ := os.ReadFile(path)
	b = append(b[:len(headerPrefix+testOrigin+"\n")], appendEntryLine(nil, r.Index, forged)...)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Lookup(t.Context(), e.ID); !errors.Is(err, ErrInvalidLog) {
		t.Errorf("rewritten entry: got %v, want ErrInvalidLog", err)
	}
}

// TestIDIndexMemory measures the id index's memory per entry.
func TestIDIndexMemory(t *testing.T) {
	const n = 200_000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	x := newIDIndex()
	for i := range n {
		x.add([]byte(fmt.Sprintf(`{"id":"evt-%08d","time":"x"}`, i)), int64(i)*300)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := float64(after.HeapAlloc-before.HeapAlloc) / n
	t.Logf("id index: %.1f bytes per entry (%d entries)", per, n)
	if per > 64 {
		t.Errorf("id index uses %.1f bytes per entry, documented as at most about 40", per)
	}
	runtime.KeepAlive(x)
}
