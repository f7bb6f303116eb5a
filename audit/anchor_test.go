package audit

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestVerifyRequiresAnchor: a log is verified only when a checkpoint signed
// by the verifier's key (or a trusted checkpoint) covers every entry. A log
// rewritten by someone without the key, with its checkpoint lines removed
// and every checksum fixed, must not verify with a nil error.
func TestVerifyRequiresAnchor(t *testing.T) {
	t.Parallel()
	_, b := writeLog(t, 10, 4)
	ls := lines(b)
	var entries, noCheckpoints [][]byte
	for _, l := range ls {
		if l[0] != 'c' {
			noCheckpoints = append(noCheckpoints, l)
			if l[0] == 'e' {
				entries = append(entries, l)
			}
		}
	}
	// The attacker's log: every event rewritten, checksums fixed, no
	// checkpoint (they cannot sign one).
	rewritten := [][]byte{ls[0]}
	for i := range entries {
		e := testEvent(i)
		e.Outcome = OutcomeDeny
		j, _ := Encode(e)
		rewritten = append(rewritten, appendEntryLine(nil, uint64(i), j))
	}
	// A signed prefix followed by forged entries.
	lastCP := 0
	for i, l := range ls[:len(ls)-1] {
		if l[0] == 'c' {
			lastCP = i
		}
	}
	tail := append([][]byte(nil), ls[:lastCP+1]...)
	tail = append(tail, appendEntryLine(nil, 8, []byte(`{"id":"forged"}`)))
	header := ls[:1]

	tests := []struct {
		name          string
		data          []byte
		wantEntries   uint64
		wantCovered   uint64
		wantErrorLine int
	}{
		{"rewritten without checkpoints", join(rewritten), 10, 0, 2},
		{"checkpoints removed", join(noCheckpoints), 10, 0, 2},
		{"forged entry after the last checkpoint", join(tail), 9, 8, len(tail)},
		{"header only", join(header), 0, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rep, err := testVerifier(t).Log(t.Context(), bytes.NewReader(tt.data))
			if !errors.Is(err, ErrUnanchored) || !errors.Is(err, ErrInvalidLog) {
				t.Fatalf("got %v, want ErrUnanchored", err)
			}
			var le *LogError
			if !errors.As(err, &le) || le.Line != tt.wantErrorLine || le.Index != tt.wantCovered {
				t.Errorf("error position %+v, want line %d entry %d", le, tt.wantErrorLine, tt.wantCovered)
			}
			if rep.Entries != tt.wantEntries || rep.Latest.Size != tt.wantCovered {
				t.Errorf("report %+v: want %d entries, %d covered", rep, tt.wantEntries, tt.wantCovered)
			}
			// Internal consistency alone still passes: that is why it is
			// named Unsafe.
			if _, err := VerifyIntegrityOnlyUnsafe(t.Context(), bytes.NewReader(tt.data)); err != nil {
				t.Errorf("VerifyIntegrityOnlyUnsafe: %v", err)
			}
		})
	}
	if _, err := testVerifier(t).Log(t.Context(), bytes.NewReader(b)); err != nil {
		t.Errorf("intact, closed log: %v", err)
	}
}

// TestLogSinceAnchorCoversEntries: a trusted checkpoint anchors the entries
// it covers even when the file holds no checkpoint line, but not entries
// after it.
func TestLogSinceAnchorCoversEntries(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.log")
	l := openTest(t, path, WithoutSyncUnsafe())
	for i := range 5 {
		if _, err := l.Append(t.Context(), testEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	trusted, err := l.Checkpoint(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(t.Context(), testEvent(5)); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var stripped [][]byte
	for _, ln := range lines(b) {
		if ln[0] != 'c' {
			stripped = append(stripped, ln)
		}
	}
	v := testVerifier(t)
	if _, err := v.LogSince(t.Context(), bytes.NewReader(join(stripped[:6])), trusted); err != nil {
		t.Errorf("entries covered by the trusted checkpoint: %v", err)
	}
	if _, err := v.LogSince(t.Context(), bytes.NewReader(join(stripped)), trusted); !errors.Is(err, ErrUnanchored) {
		t.Errorf("entry beyond the trusted checkpoint, no later checkpoint: got %v, want ErrUnanchored", err)
	}
	if _, err := v.LogSince(t.Context(), bytes.NewReader(b), trusted); err != nil {
		t.Errorf("intact log: %v", err)
	}
}
