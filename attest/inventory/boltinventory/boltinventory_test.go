package boltinventory_test

import (
	"encoding/binary"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

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

// A source package the index derived ([inventory.Package.Source]) is kept
// in the file as any package is, with the package it was derived from:
// after a reopen an advisory's source package and range still find the
// image, and the result still tells it from a package the SBOM listed.
func TestSourcePackagesPersistAcrossReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "inv.db")
	s := open(t, path)
	a := inventorytest.Admission("d-1", "a", "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl&distro=debian-12",
		"pkg:apk/alpine/libcrypto3@3.1.4-r5?upstream=openssl", "pkg:apk/alpine/libssl3@3.1.4-r5?upstream=openssl")
	if err := s.Record(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path)
	res, err := s.Query(t.Context(), inventory.Query{Package: "pkg:deb/debian/openssl", Ranges: []inventory.Range{{Fixed: "3.0.13-1~deb12u1"}}})
	want := inventory.Package{PURL: "pkg:deb/debian/openssl@3.0.11-1~deb12u2", Version: "3.0.11-1~deb12u2", Source: true,
		From: "pkg:deb/debian/libssl3@3.0.11-1~deb12u2"}
	if err != nil || len(res.Admissions) != 1 || len(res.Admissions[0].Packages) != 1 || res.Admissions[0].Packages[0] != want {
		t.Fatalf("after reopen: %+v, %v; want d-1 with %+v", res, err, want)
	}
	res, err = s.Query(t.Context(), inventory.Query{Digest: inventorytest.Digest("a")})
	if err != nil || len(res.Admissions) != 1 {
		t.Fatalf("by digest: %+v, %v", res, err)
	}
	var sources []string
	for _, p := range res.Admissions[0].Packages {
		if p.Source {
			sources = append(sources, p.PURL+" from "+p.From)
		}
	}
	if got := strings.Join(sources, ", "); got != "pkg:deb/debian/openssl@3.0.11-1~deb12u2 from pkg:deb/debian/libssl3@3.0.11-1~deb12u2, pkg:apk/alpine/openssl@3.1.4-r5 from " {
		t.Fatalf("source packages by digest: %s", got)
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

// A file written before signers, policy inputs and the revision index
// existed (its admission records end after the policy revision, and it has
// no by-policy bucket) opens: the admission reads without signers and the
// revision index is built from it.
func TestOpensFirstFormat(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "inv.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	digest := inventorytest.Digest("old")
	meta := binary.AppendVarint(nil, inventorytest.T0.UnixMicro())
	for _, s := range []string{digest, "app:v1", "b", "j", "rev-1"} {
		meta = binary.AppendUvarint(meta, uint64(len(s)))
		meta = append(meta, s...)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		put := func(bucket, k, v string) error {
			b, err := tx.CreateBucketIfNotExists([]byte(bucket))
			if err != nil {
				return err
			}
			return b.Put([]byte(k), []byte(v))
		}
		for _, kv := range [][3]string{{"admission", "d-old", string(meta)}, {"packages", "d-old", "\x00"},
			{"by-digest", digest + "\x00d-old", ""}, {"by-builder", "b\x00d-old", ""}} {
			if err := put(kv[0], kv[1], kv[2]); err != nil {
				return err
			}
		}
		_, err := tx.CreateBucketIfNotExists([]byte("by-package"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	s := open(t, path)
	res, err := s.Query(t.Context(), inventory.Query{PolicyRevision: "rev-1", WithPolicyInput: true})
	if err != nil || len(res.Admissions) != 1 {
		t.Fatalf("old admission by revision: %+v, %v", res, err)
	}
	if a := res.Admissions[0]; a.DecisionID != "d-old" || a.Digest != digest || a.Signers != nil || a.PolicyInput != nil {
		t.Fatalf("old admission = %+v", a)
	}
}
