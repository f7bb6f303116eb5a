package secrets_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"

	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/seal"
)

// A broker with WithJournalEncrypter writes records that hold nothing
// readable, and recovers from them only with the key.
func TestCrashAndRecoverSealed(t *testing.T) {
	t.Parallel()
	const value = "value-CANARY-of-the-secret"
	be := newMem(value)
	dir := t.TempDir()
	k1, err := seal.GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	env, _ := seal.NewLocal(k1)
	crashed := newBroker(t, be, secrets.WithJournal(dir), secrets.WithJournalEncrypter(env))
	j, err := crashed.Begin(context.Background(), spec("j-CANARY-crash"))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := j.Lease(t.Context(), "db"); err != nil {
			t.Fatal(err)
		}
	}
	raw, _ := os.ReadFile(journalFiles(t, dir)[0])
	for _, c := range []string{value, "j-CANARY-crash", job.ID()} {
		if bytes.Contains(raw, []byte(c)) {
			t.Fatalf("sealed lease record contains %q", c)
		}
	}

	plain := newBroker(t, be, secrets.WithJournal(dir))
	if _, err := plain.Recover(t.Context()); !errors.Is(err, secrets.ErrJournal) || be.liveCount() != 2 {
		t.Fatalf("Recover without the encrypter: %v, %d live; want ErrJournal and nothing revoked", err, be.liveCount())
	}
	k2, _ := seal.GenerateKey("k2")
	other, _ := seal.NewLocal(k2)
	if _, err := newBroker(t, be, secrets.WithJournal(dir), secrets.WithJournalEncrypter(other)).Recover(t.Context()); !errors.Is(err, seal.ErrUnknownKey) {
		t.Fatalf("Recover with another key: %v, want ErrUnknownKey", err)
	}
	rotated, _ := seal.NewLocal(k2, k1)
	n, err := newBroker(t, be, secrets.WithJournal(dir), secrets.WithJournalEncrypter(rotated)).Recover(t.Context())
	if err != nil || n != 2 || be.liveCount() != 0 || len(journalFiles(t, dir)) != 0 {
		t.Fatalf("Recover after rotation = %d, %v; %d live", n, err, be.liveCount())
	}
}

func TestJournalEncrypterConfig(t *testing.T) {
	t.Parallel()
	k, _ := seal.GenerateKey("k")
	env, _ := seal.NewLocal(k)
	for name, opts := range map[string][]secrets.Option{
		"encrypter without journal": {secrets.WithJournalEncrypter(env)},
		"nil encrypter":             {secrets.WithJournal(t.TempDir()), secrets.WithJournalEncrypter(nil)},
		"unsafe without encrypter":  {secrets.WithJournal(t.TempDir()), secrets.WithJournalReadPlainUnsafe()},
	} {
		if _, err := secrets.New(secrets.AllowNames("db"), newMem("v"), opts...); !errors.Is(err, secrets.ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
}
