package boltinventory_test

import (
	"encoding/binary"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/boltinventory"
	"github.com/ztci/ztci/attest/inventory/inventorytest"
)

// format1 is an admission as a format 1 file holds it: its record, its
// package list and its index keys, written as that format wrote them.
type format1 struct {
	id, artifact string
	entries      [][3]string // key, type, version
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// writeFormat1 writes a file of format 1 (no format version, pypi names
// keyed lower case with '_' as '-' only) holding adms, without this
// package's code.
func writeFormat1(t *testing.T, path string, adms ...format1) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range []string{"admission", "packages", "by-package", "by-digest", "by-builder", "by-signer", "by-key", "by-policy", "policy-input"} {
			if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return err
			}
		}
		for _, a := range adms {
			meta := binary.AppendVarint(nil, inventorytest.T0.UnixMicro())
			for _, s := range []string{inventorytest.Digest(a.artifact), "", "", "", ""} {
				meta = appendString(meta, s)
			}
			meta = binary.AppendUvarint(meta, 0) // no signers
			pkgs := binary.AppendUvarint(nil, uint64(len(a.entries)))
			for _, e := range a.entries {
				pkgs = appendString(appendString(appendString(pkgs, e[0]), e[1]), e[2])
			}
			puts := []struct{ bucket, k, v string }{{"admission", a.id, string(meta)}, {"packages", a.id, string(pkgs)},
				{"by-digest", inventorytest.Digest(a.artifact) + "\x00" + a.id, ""}}
			for _, e := range a.entries {
				puts = append(puts, struct{ bucket, k, v string }{"by-package", e[0] + "\x00" + a.id + "\x00" + e[2], ""})
			}
			for _, p := range puts {
				if err := tx.Bucket([]byte(p.bucket)).Put([]byte(p.k), []byte(p.v)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// dump returns the by-package keys and the format version of the file at
// path, read without this package's code.
func dump(t *testing.T, path string) (keys []string, version string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket([]byte("format")); b != nil {
			version = string(b.Get([]byte("version")))
		}
		return tx.Bucket([]byte("by-package")).ForEach(func(k, _ []byte) error {
			keys = append(keys, string(k))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys, version
}

func setVersion(t *testing.T, path, v string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("format"))
		if err != nil {
			return err
		}
		return b.Put([]byte("version"), []byte(v))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A format 1 file is migrated on Open: its pypi keys become PEP 503 names
// in the index and in the admissions' package lists, spellings an
// admission listed twice are merged, other keys are untouched, and the
// file records the current format. A second Open changes nothing.
func TestMigratesFormat1PyPIKeys(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "inv.db")
	writeFormat1(t, path,
		format1{"d-old", "old", [][3]string{{"pypi/zope.interface", "pypi", "5.5"}, {"npm/left-pad", "npm", "1.3.0"},
			{"pypi/zope-interface", "pypi", "5.5"}, {"pypi/ruamel.yaml.clib", "pypi", "0.2.7"}}},
		format1{"d-other", "other", [][3]string{{"pypi/zope-interface", "pypi", "6.0"}, {"pypi/zope--interface", "pypi", "4.0"}}})
	s := open(t, path)
	check := func() {
		t.Helper()
		res, err := s.Query(t.Context(), inventory.Query{Package: "pkg:pypi/zope.interface", Ranges: []inventory.Range{{Fixed: "5.6"}}})
		if err != nil || len(res.Admissions) != 2 {
			t.Fatalf("zope.interface < 5.6: %+v, %v; want d-old and d-other", res, err)
		}
		for _, a := range res.Admissions {
			want := map[string][]string{"d-old": {"pkg:pypi/zope-interface@5.5"}, "d-other": {"pkg:pypi/zope-interface@4.0"}}[a.DecisionID]
			if got := inventorytest.PURLs(a); !slices.Equal(got, want) {
				t.Fatalf("%s: packages %v, want %v", a.DecisionID, got, want)
			}
		}
		res, err = s.Query(t.Context(), inventory.Query{Digest: inventorytest.Digest("old")})
		want := []string{"pkg:pypi/zope-interface@5.5", "pkg:npm/left-pad@1.3.0", "pkg:pypi/ruamel-yaml-clib@0.2.7"}
		if err != nil || len(res.Admissions) != 1 || !slices.Equal(inventorytest.PURLs(res.Admissions[0]), want) {
			t.Fatalf("d-old by digest: %+v, %v; want packages %v", res, err, want)
		}
	}
	check()
	s.Close()
	keys, version := dump(t, path)
	wantKeys := []string{"npm/left-pad\x00d-old\x001.3.0", "pypi/ruamel-yaml-clib\x00d-old\x000.2.7", "pypi/zope-interface\x00d-old\x005.5",
		"pypi/zope-interface\x00d-other\x004.0", "pypi/zope-interface\x00d-other\x006.0"}
	if version != "3" || !slices.Equal(keys, wantKeys) {
		t.Fatalf("after Open: version %q, keys %q; want 3, %q", version, keys, wantKeys)
	}
	s = open(t, path)
	check()
	s.Close()
	if again, _ := dump(t, path); !slices.Equal(again, keys) {
		t.Fatalf("a second Open changed the index: %q, was %q", again, keys)
	}
}

// A format 2 file is migrated on Open: its nuget keys (in the case the
// SBOM wrote) become lower case, spellings an admission listed twice are
// merged, and its pypi keys, already PEP 503 names, are untouched.
func TestMigratesFormat2NuGetKeys(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "inv.db")
	writeFormat1(t, path,
		format1{"d-old", "old", [][3]string{{"nuget/Newtonsoft.Json", "nuget", "12.0.1"}, {"pypi/zope-interface", "pypi", "5.5"},
			{"nuget/newtonsoft.json", "nuget", "12.0.1"}}},
		format1{"d-other", "other", [][3]string{{"nuget/NEWTONSOFT.JSON", "nuget", "13.0.1"}}})
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("format"))
		if err != nil {
			return err
		}
		return b.Put([]byte("version"), []byte("2"))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s := open(t, path)
	res, err := s.Query(t.Context(), inventory.Query{Package: "pkg:nuget/Newtonsoft.Json"})
	if err != nil || len(res.Admissions) != 2 {
		t.Fatalf("Newtonsoft.Json: %+v, %v; want d-old and d-other", res, err)
	}
	res, err = s.Query(t.Context(), inventory.Query{Digest: inventorytest.Digest("old")})
	want := []string{"pkg:nuget/newtonsoft.json@12.0.1", "pkg:pypi/zope-interface@5.5"}
	if err != nil || len(res.Admissions) != 1 || !slices.Equal(inventorytest.PURLs(res.Admissions[0]), want) {
		t.Fatalf("d-old by digest: %+v, %v; want packages %v", res, err, want)
	}
	s.Close()
	keys, version := dump(t, path)
	wantKeys := []string{"nuget/newtonsoft.json\x00d-old\x0012.0.1", "nuget/newtonsoft.json\x00d-other\x0013.0.1", "pypi/zope-interface\x00d-old\x005.5"}
	if version != "3" || !slices.Equal(keys, wantKeys) {
		t.Fatalf("after Open: version %q, keys %q; want 3, %q", version, keys, wantKeys)
	}
}

// A migration that fails part-way (an admission's package list is
// corrupt, found after index keys were moved) leaves the file as it was:
// the migration is one transaction.
func TestFailedMigrationLeavesFileUnchanged(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "inv.db")
	writeFormat1(t, path, format1{"d-old", "old", [][3]string{{"pypi/zope.interface", "pypi", "5.5"}}})
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("packages")).Put([]byte("d-old"), []byte{5}) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before, _ := dump(t, path)
	if _, err := boltinventory.Open(path); !errors.Is(err, inventory.ErrUnavailable) {
		t.Fatalf("Open of a corrupt format 1 file: err = %v, want ErrUnavailable", err)
	}
	after, version := dump(t, path)
	if version != "" || !slices.Equal(after, before) {
		t.Fatalf("after a failed migration: version %q, keys %q; want none, %q", version, after, before)
	}
}

// A file of a newer format is refused, typed, and left as it is.
func TestRefusesNewerFormat(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "inv.db")
	open(t, path).Close()
	setVersion(t, path, "4")
	_, err := boltinventory.Open(path)
	var fe *inventory.FormatError
	if !errors.As(err, &fe) || fe.Found != 4 || fe.Supported != 3 || fe.Store != path ||
		!errors.Is(err, inventory.ErrFormat) || !errors.Is(err, inventory.ErrUnavailable) {
		t.Fatalf("Open of a format 4 file: err = %v, want a *FormatError (4, 3) matching ErrFormat and ErrUnavailable", err)
	}
	if _, version := dump(t, path); version != "4" {
		t.Fatalf("version = %q after the refusal, want 4", version)
	}
	setVersion(t, path, "two")
	if _, err := boltinventory.Open(path); !errors.Is(err, inventory.ErrUnavailable) || errors.Is(err, inventory.ErrFormat) {
		t.Fatalf("Open with a malformed version: err = %v, want ErrUnavailable only", err)
	}
}

// A new file is written in the current format, and records keep PEP 503
// keys across a reopen.
func TestNewFileRoundTrip(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "inv.db")
	s := open(t, path)
	if err := s.Record(t.Context(), inventorytest.Admission("d-1", "a", "pkg:pypi/Zope.Interface@5.5")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if keys, version := dump(t, path); version != "3" || !slices.Equal(keys, []string{"pypi/zope-interface\x00d-1\x005.5"}) {
		t.Fatalf("version %q, keys %q", version, keys)
	}
	s = open(t, path)
	res, err := s.Query(t.Context(), inventory.Query{Package: "pkg:pypi/zope_interface"})
	if err != nil || len(res.Admissions) != 1 || !slices.Equal(inventorytest.PURLs(res.Admissions[0]), []string{"pkg:pypi/zope-interface@5.5"}) {
		t.Fatalf("after reopen: %+v, %v", res, err)
	}
}

// A format 3 file of a build that kept no spellings opens without a
// migration: its packages read and match as before, with spelling
// unknown, beside records that keep theirs, and no key changes.
func TestFormat3WithoutSpellings(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "inv.db")
	writeFormat1(t, path, format1{"d-old", "old", [][3]string{{"golang/github.com/foo/bar", "golang", "v1.0.0"}, {"npm/left-pad", "npm", "1.3.0"}}})
	setVersion(t, path, "3")
	s := open(t, path)
	if err := s.Record(t.Context(), inventorytest.Admission("d-new", "new", "pkg:golang/github.com/Foo/bar@v1.0.0")); err != nil {
		t.Fatal(err)
	}
	res, err := s.Query(t.Context(), inventory.Query{Package: "pkg:golang/github.com/foo/bar"})
	if err != nil || len(res.Admissions) != 2 {
		t.Fatalf("github.com/foo/bar: %+v, %v; want d-new and d-old", res, err)
	}
	for _, a := range res.Admissions {
		want := map[string]string{"d-new": "pkg:golang/github.com/Foo/bar@v1.0.0", "d-old": ""}[a.DecisionID]
		if p := a.Packages; len(p) != 1 || p[0].PURL != "pkg:golang/github.com/foo/bar@v1.0.0" || p[0].Spelled != want {
			t.Fatalf("%s: packages %+v, want pkg:golang/github.com/foo/bar@v1.0.0 spelled %q", a.DecisionID, p, want)
		}
	}
	res, err = s.Query(t.Context(), inventory.Query{Digest: inventorytest.Digest("old")})
	want := []inventory.Package{{PURL: "pkg:golang/github.com/foo/bar@v1.0.0", Version: "v1.0.0"}, {PURL: "pkg:npm/left-pad@1.3.0", Version: "1.3.0"}}
	if err != nil || len(res.Admissions) != 1 || !slices.Equal(res.Admissions[0].Packages, want) {
		t.Fatalf("d-old by digest: %+v, %v; want packages %+v", res, err, want)
	}
	s.Close()
	keys, version := dump(t, path)
	wantKeys := []string{"golang/github.com/foo/bar\x00d-new\x00v1.0.0", "golang/github.com/foo/bar\x00d-old\x00v1.0.0", "npm/left-pad\x00d-old\x001.3.0"}
	if version != "3" || !slices.Equal(keys, wantKeys) {
		t.Fatalf("version %q, keys %q; want 3, %q", version, keys, wantKeys)
	}
}
