package boltinventory_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/boltinventory"
	"github.com/ztci/ztci/attest/inventory/inventorytest"
)

func open(t *testing.T, path string) *boltinventory.Store {
	t.Helper()
	s, err := boltinventory.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestContract(t *testing.T) {
	t.Parallel()
	inventorytest.Run(t, func(t *testing.T) inventory.Store { return open(t, filepath.Join(t.TempDir(), "inv.db")) })
}

func TestPersistsAcrossReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "inv.db")
	s := open(t, path)
	a := inventory.Admission{DecisionID: "d-1", Digest: inventorytest.Digest("a"), Time: inventorytest.T0,
		Packages: []inventory.Package{{PURL: "pkg:npm/left-pad@1.3.0"}}}
	if err := s.Record(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path)
	res, err := s.Query(t.Context(), inventory.Query{Package: "pkg:npm/left-pad", Ranges: []inventory.Range{{Fixed: "2.0.0"}}})
	if err != nil || len(res.Admissions) != 1 || res.Admissions[0].DecisionID != "d-1" {
		t.Fatalf("after reopen: %+v, %v", res, err)
	}
}

func TestLockedFileAndClosedStoreFailClosed(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "inv.db")
	s := open(t, path)
	if _, err := boltinventory.Open(path, boltinventory.WithLockTimeout(50*time.Millisecond)); !errors.Is(err, inventory.ErrUnavailable) {
		t.Fatalf("second open: err = %v, want ErrUnavailable", err)
	}
	s.Close()
	err := s.Record(t.Context(), inventory.Admission{DecisionID: "d", Digest: inventorytest.Digest("x"), Time: inventorytest.T0})
	if !errors.Is(err, inventory.ErrUnavailable) {
		t.Fatalf("record on a closed store: err = %v, want ErrUnavailable", err)
	}
	if _, err := s.Query(t.Context(), inventory.Query{Digest: inventorytest.Digest("x")}); !errors.Is(err, inventory.ErrUnavailable) {
		t.Fatalf("query on a closed store: err = %v, want ErrUnavailable", err)
	}
}

func TestOptionsRejectMisuse(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "inv.db")
	for _, o := range []boltinventory.Option{nil, boltinventory.WithLockTimeout(0), boltinventory.WithLogger(nil)} {
		if _, err := boltinventory.Open(path, o); !errors.Is(err, boltinventory.ErrConfig) {
			t.Errorf("err = %v, want ErrConfig", err)
		}
	}
}
