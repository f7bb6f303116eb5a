package policy_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"testing"

	"github.com/ztci/ztci/policy"
)

// orderedTarball builds a .tar.gz of files in the order given, so that a
// name may appear twice.
func orderedTarball(t testing.TB, files ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f[0], Mode: 0o644, Size: int64(len(f[1])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(f[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sparseTarball builds a .tar.gz of n PAX (GNU 1.0) sparse files of size
// bytes each, all hole: about 1 KiB of tar per file, whatever its size.
// archive/tar refuses to write sparse files, so the blocks are built here.
func sparseTarball(n int, size int64) []byte {
	var tb []byte
	for i := range n {
		name := fmt.Sprintf("f%d.json", i)
		recs := paxRecord("GNU.sparse.major", "1") + paxRecord("GNU.sparse.minor", "0") +
			paxRecord("GNU.sparse.name", name) + paxRecord("GNU.sparse.realsize", fmt.Sprint(size))
		tb = append(tb, ustarHeader("PaxHeaders/"+name, int64(len(recs)), tar.TypeXHeader)...)
		tb = append(tb, padBlock([]byte(recs))...)
		tb = append(tb, ustarHeader("GNUSparseFile.0/"+name, 512, tar.TypeReg)...)
		tb = append(tb, padBlock([]byte("0\n"))...) // a sparse map of no data
	}
	tb = append(tb, make([]byte, 1024)...)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(tb)
	_ = zw.Close()
	return buf.Bytes()
}

func ustarHeader(name string, size int64, flag byte) []byte {
	h := make([]byte, 512)
	copy(h, name)
	copy(h[100:], "0000644\x00")
	copy(h[108:], "0000000\x00")
	copy(h[116:], "0000000\x00")
	copy(h[124:], fmt.Sprintf("%011o\x00", size))
	copy(h[136:], "00000000000\x00")
	h[156] = flag
	copy(h[257:], "ustar\x0000")
	copy(h[148:], "        ")
	sum := 0
	for _, b := range h {
		sum += int(b)
	}
	copy(h[148:], fmt.Sprintf("%06o\x00 ", sum))
	return h
}

func paxRecord(k, v string) string {
	r := " " + k + "=" + v + "\n"
	for n := len(r); ; {
		s := fmt.Sprint(n) + r
		if len(s) == n {
			return s
		}
		n = len(s)
	}
}

func padBlock(b []byte) []byte { return append(b, make([]byte, (512-len(b)%512)%512)...) }

// TestBundleSparseFiles: sparse tar entries read as their full size of
// zeros. ReadBundle bounded the inflated tar (a few KiB here), and OPA's
// loader each file, but not the files together: a 1.3 KiB tarball made the
// loader hold 320 MiB, and each further 30 bytes or so 8 MiB more.
func TestBundleSparseFiles(t *testing.T) {
	t.Parallel()
	raw := sparseTarball(9, policy.MaxPolicyFileBytes) // 72 MiB of files
	if len(raw) > 4<<10 {
		t.Fatalf("the tarball is %d bytes; the test needs a small one", len(raw))
	}
	if b, err := policy.ReadBundle(bytes.NewReader(raw)); !errors.Is(err, policy.ErrLoad) {
		t.Fatalf("got %v, %v; want ErrLoad", b, err)
	}
	// Under the limit a sparse file is no error of itself.
	if _, err := policy.ReadBundle(bytes.NewReader(sparseTarball(7, policy.MaxPolicyFileBytes))); err != nil {
		t.Fatalf("56 MiB of sparse files: %v", err)
	}
}

// TestBundleAmbiguousPaths: a tarball whose file paths do not say what
// OPA's loader makes of them is refused. OPA merged two data.json files
// of one directory (tar keeps the last: a reviewer saw one of them), read
// ".ztci/config/data.json" as data.ztci.config, and "../x.rego" as a
// module of the bundle.
func TestBundleAmbiguousPaths(t *testing.T) {
	t.Parallel()
	mod := [2]string{"gate/gate.rego", gate}
	for name, files := range map[string][][2]string{
		"data.json twice":    {mod, {"gate/data.json", `{"repos": ["acme/app"]}`}, {"gate/data.json", `{"extra": true}`}},
		"data.json and ./":   {mod, {"/data.json", `{"a": 1}`}, {"./data.json", `{"b": 2}`}},
		"data.json and //":   {mod, {"gate/data.json", `{"a": 1}`}, {"gate//data.json", `{"b": 2}`}},
		"manifest twice":     {mod, {".manifest", `{"revision": "a"}`}, {".manifest", `{"revision": "b"}`}},
		"hidden data dir":    {mod, {".gate/data.json", `{"repos": ["evil/app"]}`}},
		"dotted data dir":    {mod, {"/./..gate/data.json", `{"repos": ["evil/app"]}`}},
		"parent module":      {mod, {"../evil.rego", "package evil\nx := 1"}},
		"parent in the path": {mod, {"gate/../../data.json", `{"gate": {"repos": ["evil/app"]}}`}},
	} {
		if b, err := policy.ReadBundle(bytes.NewReader(orderedTarball(t, files...))); !errors.Is(err, policy.ErrLoad) {
			t.Errorf("%s: got %+v, %v; want ErrLoad", name, b, err)
		}
	}
	// What `opa build` and tar -czf write still loads: "/" and "./" prefixes,
	// data at the root and in directories, a dot in a file's name.
	ok := orderedTarball(t, [2]string{"/.manifest", `{"revision": "r"}`}, [2]string{"./gate/gate.rego", gate},
		[2]string{"./gate/data.json", `{"repos": ["acme/app"]}`}, [2]string{"/data.json", `{"x": {"a.b": 1}}`},
		[2]string{"gate/.keep", ""})
	b, err := policy.ReadBundle(bytes.NewReader(ok))
	if err != nil || b.Revision != "r" || len(b.Modules) != 1 || b.Data["gate"] == nil || b.Data["x"] == nil {
		t.Fatalf("got %+v, %v", b, err)
	}
}

// TestBundleRepeatedMembers: encoding/json keeps the last of a repeated
// member, and makes one name of two that are not UTF-8, so a data.json
// whose first "repos" a reviewer read loaded its second.
func TestBundleRepeatedMembers(t *testing.T) {
	t.Parallel()
	mod := [2]string{"gate/gate.rego", gate}
	for name, file := range map[string][2]string{
		"top level":    {"gate/data.json", `{"repos": ["acme/app"], "repos": ["evil/app"]}`},
		"nested":       {"data.json", `{"gate": {"repos": ["acme/app"], "repos": ["evil/app"]}}`},
		"escaped":      {"gate/data.json", `{"repos": ["acme/app"], "r\u0065pos": ["evil/app"]}`},
		"not UTF-8":    {"gate/data.json", "{\"repos\": [\"acme/app\"], \"x\xff\": 1, \"x\xfe\": 2}"},
		"manifest rev": {".manifest", `{"revision": "reviewed", "revision": "other"}`},
	} {
		raw := orderedTarball(t, mod, file)
		if b, err := policy.ReadBundle(bytes.NewReader(raw)); !errors.Is(err, policy.ErrLoad) {
			t.Errorf("%s: got %+v, %v; want ErrLoad", name, b, err)
		}
	}
}

// FuzzReadBundle: whatever the tarball, ReadBundle returns a bundle or an
// error wrapping ErrLoad, within its limits, and never panics.
func FuzzReadBundle(f *testing.F) {
	f.Add(orderedTarball(f, [2]string{"gate/gate.rego", gate}, [2]string{"gate/data.json", `{"repos": []}`}))
	f.Add(orderedTarball(f, [2]string{"data.json", `{"a": 1}`}, [2]string{"./data.json", `{"b": 1}`}))
	f.Add(orderedTarball(f, [2]string{".x/data.json", `{}`}, [2]string{"../p.rego", "package p"}))
	f.Add(orderedTarball(f, [2]string{"data.json", `{"a": 1, "a": 2}`}, [2]string{".manifest", `{"revision": "r"}`}))
	f.Add(sparseTarball(2, 1<<20))
	f.Add([]byte("\x1f\x8b"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		b, err := policy.ReadBundle(bytes.NewReader(raw))
		if err != nil {
			if !errors.Is(err, policy.ErrLoad) {
				t.Fatalf("error does not wrap ErrLoad: %v", err)
			}
			return
		}
		n := 0
		for _, m := range b.Modules {
			n += len(m)
		}
		if n > policy.MaxBundleBytes || b.Data == nil {
			t.Fatalf("bundle of %d module bytes, data %v", n, b.Data)
		}
	})
}
