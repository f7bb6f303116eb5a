//go:build !windows

package boltinventory_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ztci/ztci/attest/inventory/boltinventory"
)

// TestReview37WritableByOthersRefused: Open created a new file 0600 but
// took an existing one whatever its mode, so an index file group or
// others may write (created by hand, restored from a backup, or with a
// loose umask by an older tool) let any local user of that group hide an
// admission from incident response or invent one. Open now refuses it
// with ErrConfig; a file only its owner may write opens.
func TestReview37WritableByOthersRefused(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		mode os.FileMode
		ok   bool
	}{
		{"owner only", 0o600, true},
		{"group reads", 0o640, true},
		{"group writes", 0o660, false},
		{"others write", 0o602, false},
		{"everyone writes", 0o666, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "inv.db")
			s, err := boltinventory.Open(path) // a valid index file
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, c.mode); err != nil {
				t.Fatal(err)
			}
			s, err = boltinventory.Open(path)
			if err == nil {
				defer s.Close()
			}
			switch {
			case c.ok && err != nil:
				t.Fatalf("Open of a %v file: %v", c.mode, err)
			case !c.ok && !errors.Is(err, boltinventory.ErrConfig):
				t.Fatalf("Open of a %v file: %v, want ErrConfig", c.mode, err)
			}
		})
	}
}
