package audit

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestReview32CheckpointLineCanonical: Go's base64 decoder skips '\r'
// and '\n' even in strict mode, so a checkpoint line with carriage
// returns inserted decoded to the same note: anyone who can write the
// file could change its bytes and every reader here still verified it,
// while a reader that decodes strictly refused it. One log has one
// spelling: such a line is ErrCorruptEntry for Verifier.Log, ReadEntries
// and Open, which leaves the file as it is.
func TestReview32CheckpointLineCanonical(t *testing.T) {
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
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.LastIndex(b, []byte("\nc ")) + 3
	if at < 3 {
		t.Fatal("no checkpoint line")
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"CR inside", append(append(bytes.Clone(b[:at+8]), '\r'), b[at+8:]...)},
		{"CR at the end", append(bytes.Clone(b[:len(b)-1]), '\r', '\n')},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := testVerifier(t).Log(t.Context(), bytes.NewReader(tc.data)); !errors.Is(err, ErrCorruptEntry) {
				t.Errorf("Verifier.Log: %v, want ErrCorruptEntry", err)
			}
			if err := ReadEntries(t.Context(), bytes.NewReader(tc.data), func(Entry) error { return nil }); !errors.Is(err, ErrCorruptEntry) {
				t.Errorf("ReadEntries: %v, want ErrCorruptEntry", err)
			}
			p := filepath.Join(t.TempDir(), "audit.log")
			if err := os.WriteFile(p, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			l, err := Open(t.Context(), p, testOrigin, testKey(1), WithoutSyncUnsafe())
			if err == nil {
				l.Close()
			}
			if !errors.Is(err, ErrCorruptEntry) {
				t.Errorf("Open: %v, want ErrCorruptEntry", err)
			}
			if got, _ := os.ReadFile(p); !bytes.Equal(got, tc.data) {
				t.Error("Open changed the file it refused")
			}
		})
	}
}
