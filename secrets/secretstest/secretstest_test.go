package secretstest_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/secretstest"
)

func TestStatic(t *testing.T) {
	t.Parallel()
	secretstest.TestBackend(t, secrets.Static{"db": "value-of-the-secret"}, secrets.Request{Name: "db"})
}

func TestEnv(t *testing.T) {
	t.Setenv("ZTCI_SECRETSTEST_DB", "value-of-the-secret")
	secretstest.TestBackend(t, secrets.Env("ZTCI_SECRETSTEST_"), secrets.Request{Name: "db"})
}

func TestDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "db"), []byte("value-of-the-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	secretstest.TestBackend(t, secrets.Dir(dir), secrets.Request{Name: "db"})
}
