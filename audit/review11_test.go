package audit

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// forgeRaw appends entry lines holding the given event JSON, with the
// right indices and valid checksums, to a closed log's file.
func forgeRaw(t *testing.T, path string, raws ...string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rep, _ := VerifyIntegrityOnlyUnsafe(t.Context(), bytes.NewReader(b))
	var buf []byte
	for i, r := range raws {
		buf = appendEntryLine(buf, rep.Entries+uint64(i), []byte(r))
	}
	if err := os.WriteFile(path, append(b, buf...), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestReview11OpenAdoptsOnlyStableEvents: Open signs whatever it adopts,
// so it adopts only entries that are events exactly as Append writes
// them. Before, a line that was no event ("not json") was signed, after
// which Verifier.Log passed and ReadEntries failed for every reader; and
// a second spelling of an existing id ("\u0065vt-…", outcome changed to
// deny) was signed beside the original, whom Lookup then returned as the
// only entry with that id. Now Open fails with ErrCorruptEntry at the
// forged line and leaves the file as it was.
func TestReview11OpenAdoptsOnlyStableEvents(t *testing.T) {
	t.Parallel()
	orig, err := Encode(testEvent(1))
	if err != nil {
		t.Fatal(err)
	}
	respelled := strings.Replace(string(orig), `"evt-`, `"\u0065vt-`, 1)
	respelled = strings.Replace(respelled, `"allow"`, `"deny"`, 1)
	if e, err := Decode([]byte(respelled)); err != nil || e.ID != testEvent(1).ID {
		t.Fatalf("setup: respelled event decodes to %q, %v", e.ID, err)
	}
	for name, forged := range map[string][]string{
		"not an event":       {"not json"},
		"id spelled again":   {respelled},
		"leading space":      {" " + string(orig)},
		"after a good entry": {mustEncode(t, testEvent(3)), "{}"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "audit.log")
			l := openTest(t, path, WithoutSyncUnsafe())
			for i := range 3 {
				if _, err := l.Append(t.Context(), testEvent(i)); err != nil {
					t.Fatal(err)
				}
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			forgeRaw(t, path, forged...)
			before := mustRead(t, path)
			l, err := Open(t.Context(), path, testOrigin, testKey(1), WithoutSyncUnsafe())
			if err == nil {
				l.Close()
				t.Fatal("Open adopted and signed a forged entry")
			}
			var le *LogError
			if !errors.Is(err, ErrCorruptEntry) || !errors.As(err, &le) || le.Index != 3+uint64(len(forged))-1 {
				t.Fatalf("Open: %v; want a *LogError wrapping ErrCorruptEntry at entry %d", err, 3+len(forged)-1)
			}
			if !bytes.Equal(mustRead(t, path), before) {
				t.Error("Open changed the file it refused")
			}
		})
	}
}

func mustEncode(t *testing.T, e Event) string {
	t.Helper()
	b, err := Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReview11RedirectLocationBounded: the endpoint chooses the Location
// of a redirect, and the error every writer of the batch gets (and may
// log) names it. Before, a 2 MiB Location made a 2 MiB error; now it is
// clipped, after user info and query are removed.
func TestReview11RedirectLocationBounded(t *testing.T) {
	t.Parallel()
	long := "https://" + strings.Repeat("a", 2<<20) + ".example/canary-path-secret?token=canary-query-secret"
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", long)
		w.WriteHeader(http.StatusFound)
	}))
	t.Cleanup(src.Close)
	w, err := NewWebhook(src.URL, WithBatch(1, 0), WithRetry(1, time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	err = w.Write(t.Context(), testEvent(1))
	var re *RedirectError
	if !errors.As(err, &re) {
		t.Fatalf("Write: %v, want a *RedirectError", err)
	}
	if len(re.Location) > maxLocation+len("…") || len(err.Error()) > 1024 {
		t.Errorf("Location of %d bytes, error of %d bytes: want both bounded", len(re.Location), len(err.Error()))
	}
	if !strings.HasPrefix(re.Location, "https://aaa") || strings.Contains(err.Error(), "canary-") {
		t.Errorf("Location %.80q: want the clipped target's host without its path or query", re.Location)
	}
}

// TestReview11RollbackCaughtOnlyByAKeptCheckpoint pins what the security
// contract tells a vendor to keep. The file is cut back to an earlier
// checkpoint line while the log is closed, and the log is reopened and
// appended to past its old size: the result verifies on its own
// (Verifier.Log: nil), and Open cannot tell. Only the latest checkpoint
// kept before, off the host, catches it: LogSince fails with
// ErrRootMismatch, and no consistency proof from it to the new
// checkpoint holds.
func TestReview11RollbackCaughtOnlyByAKeptCheckpoint(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.log")
	l := openTest(t, path, WithoutSyncUnsafe(), WithCheckpointEvery(4))
	for i := range 10 {
		if _, err := l.Append(t.Context(), testEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	kept, err := l.Checkpoint(t.Context()) // size 10: what the vendor kept
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	ls := lines(mustRead(t, path))
	cut := 0
	for i, ln := range ls {
		if ln[0] == 'c' {
			cut = i + 1 // after the first checkpoint, of size 4
			break
		}
	}
	if err := os.WriteFile(path, join(ls[:cut]), 0o600); err != nil {
		t.Fatal(err)
	}
	l = openTest(t, path, WithoutSyncUnsafe())
	for i := range 8 {
		if _, err := l.Append(t.Context(), forgedEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	latest, err := l.Checkpoint(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	p, err := l.ConsistencyProof(kept.Size, latest.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	v := testVerifier(t)
	b := mustRead(t, path)
	if _, err := v.Log(t.Context(), bytes.NewReader(b)); err != nil {
		t.Fatalf("Verifier.Log of the rolled-back log: %v; the contract says it verifies on its own", err)
	}
	if _, err := v.LogSince(t.Context(), bytes.NewReader(b), kept); !errors.Is(err, ErrRootMismatch) {
		t.Errorf("LogSince(kept checkpoint): %v, want ErrRootMismatch", err)
	}
	if err := v.Consistency(kept, latest, p); !errors.Is(err, ErrProof) {
		t.Errorf("Consistency(kept, latest): %v, want ErrProof", err)
	}
}

// FuzzReview11StableEntry feeds Open's check of an unsigned tail entry
// any event JSON. Properties: it never panics; an entry it accepts is one
// Lookup finds by the id it decodes to (the id token of the stored bytes
// is the encoding of that id), and whatever Encode returns it accepts.
func FuzzReview11StableEntry(f *testing.F) {
	good, err := Encode(testEvent(1))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(strings.Replace(string(good), `"evt-`, `"\u0065vt-`, 1)))
	f.Add([]byte(" " + string(good)))
	f.Add([]byte(`{"id":"a\"b","time":"2026-11-22T10:00:00Z","source":"s","action":"a","outcome":"allow","actor":{"id":"x"}}`))
	f.Add([]byte(`{"id":"a","time":"2026-11-22T11:00:00+01:00","source":"s","action":"a","outcome":"allow","actor":{"id":"x"}}`))
	f.Add([]byte("not json"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) > MaxEventSize || bytes.IndexByte(raw, '\n') >= 0 {
			return
		}
		if err := stableEntry(entryLine(raw)); err != nil {
			return
		}
		e, err := Decode(raw)
		if err != nil {
			t.Fatalf("accepted an entry that does not decode: %v", err)
		}
		if tok, ok := idToken(raw); !ok || !bytes.Equal(tok, appendJSONString(nil, e.ID)) {
			t.Fatalf("accepted entry's id token %q is not the encoding of its id %q", tok, e.ID)
		}
		if j, err := Encode(e); err != nil || stableEntry(entryLine(j)) != nil {
			t.Fatalf("the stable form of an accepted event is refused: %v", err)
		}
	})
}

// entryLine frames raw as an entry line, without its newline.
func entryLine(raw []byte) []byte {
	b := appendEntryLine(nil, 7, raw)
	return b[:len(b)-1]
}
