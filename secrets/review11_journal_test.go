package secrets

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"

	"github.com/ztci/ztci/secrets/seal"
)

// TestReview11RecoverAfterCrashInBegin: Begin creates the job's record,
// then writes its sealed key and its job header, each fsync'd. A crash in
// between left a record that is empty or holds only its key; Recover
// refused it ("empty record") at every start, and Begin refused the job id
// for good ("run Broker.Recover before reusing the id"). It holds no
// lease: Recover removes it.
func TestReview11RecoverAfterCrashInBegin(t *testing.T) {
	t.Parallel()
	k, err := seal.GenerateKey("k")
	if err != nil {
		t.Fatal(err)
	}
	env, _ := seal.NewLocal(k)
	for name, cut := range map[string]func(raw []byte) []byte{
		"empty":          func([]byte) []byte { return nil },
		"key only":       func(raw []byte) []byte { return raw[:bytes.IndexByte(raw, '\n')+1] },
		"torn header":    func(raw []byte) []byte { return raw[:bytes.IndexByte(raw, '\n')+9] },
		"torn first key": func(raw []byte) []byte { return raw[:9] },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			b, err := New(AllowNames("db"), Static{"db": "a-value-long-enough"}, WithJournal(dir), WithJournalEncrypter(env))
			if err != nil {
				t.Fatal(err)
			}
			rec, err := createJournal(t.Context(), dir, b.jseal, "r11-begin", "iss#sub")
			if err != nil {
				t.Fatal(err)
			}
			_ = rec.f.Close()
			raw, err := os.ReadFile(rec.path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(rec.path, cut(raw), 0o600); err != nil {
				t.Fatal(err)
			}
			if n, err := b.Recover(t.Context()); err != nil || n != 0 {
				t.Fatalf("Recover = %d, %v; want nothing to revoke and no error", n, err)
			}
			if _, err := os.Stat(rec.path); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("record left behind: %v", err)
			}
			if _, err := createJournal(context.Background(), dir, b.jseal, "r11-begin", "iss#sub"); err != nil {
				t.Fatalf("the job id is still refused: %v", err)
			}
		})
	}
}
