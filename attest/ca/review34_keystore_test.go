package ca_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ztci/ztci/attest/ca"
)

// TestReview34KeyStoreMissingKey: a deleted or hidden ca.key does not make
// New create a new CA over the old root and retired roots.
func TestReview34KeyStoreMissingKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		spoil func(t *testing.T, key string)
		want  error
	}{
		{"key deleted", func(t *testing.T, key string) {
			if err := os.Remove(key); err != nil {
				t.Fatal(err)
			}
		}, ca.ErrKeyMissing},
		{"key is a symlink", func(t *testing.T, key string) {
			if err := os.Rename(key, key+".real"); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(key+".real", key); err != nil {
				t.Fatal(err)
			}
		}, ca.ErrUnsafeKeyFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "ca")
			c, err := ca.New(ca.WithDir(dir))
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Rotate(); err != nil {
				t.Fatal(err)
			}
			before := readAll34(t, dir)
			tt.spoil(t, filepath.Join(dir, "ca.key"))
			if _, err := ca.New(ca.WithDir(dir)); !errors.Is(err, tt.want) {
				t.Fatalf("New = %v, want %v", err, tt.want)
			}
			after := readAll34(t, dir)
			for _, name := range []string{"ca.pem", "ca-retired.json"} {
				if !bytes.Equal(before[name], after[name]) {
					t.Errorf("%s was rewritten", name)
				}
			}
		})
	}
}

func readAll34(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, name := range []string{"ca.pem", "ca-retired.json"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		out[name] = b
	}
	return out
}
