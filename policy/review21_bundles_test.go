package policy_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/ztci/ztci/policy"
)

// review21Dir writes files into a new directory and returns it.
func review21Dir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func review21MapFS(files map[string]string) fstest.MapFS {
	m := fstest.MapFS{}
	for name, body := range files {
		m[name] = &fstest.MapFile{Data: []byte(body)}
	}
	return m
}

// TestReview21FSChecks: FS and Dir handed the directory to OPA's loader
// without any of the checks a tarball gets, so a policy directory's
// data.json whose first "repos" a reviewer read loaded its second,
// ".gate/data.json" loaded as data.gate, and a .manifest's "Revision"
// named the revision every decision carries.
func TestReview21FSChecks(t *testing.T) {
	t.Parallel()
	for name, extra := range map[string]map[string]string{
		"repeated member":    {"gate/data.json": `{"repos": ["acme/app"], "repos": ["evil/app"]}`},
		"hidden data dir":    {".gate/data.json": `{"repos": ["evil/app"]}`},
		"manifest case":      {".manifest": `{"revision": "reviewed", "Revision": "other"}`},
		"manifest repeated":  {".manifest": `{"revision": "reviewed", "revision": "other"}`},
		"data.json not UTF8": {"gate/data.json": "{\"repos\": [\"acme/app\"], \"x\xff\": 1, \"x\xfe\": 2}"},
	} {
		files := map[string]string{"gate/gate.rego": gate}
		for k, v := range extra {
			files[k] = v
		}
		if b, err := policy.FS(review21MapFS(files)).Load(t.Context()); !errors.Is(err, policy.ErrLoad) {
			t.Errorf("FS, %s: got %+v, %v; want ErrLoad", name, b, err)
		}
		if b, err := policy.Dir(review21Dir(t, files)).Load(t.Context()); !errors.Is(err, policy.ErrLoad) {
			t.Errorf("Dir, %s: got %+v, %v; want ErrLoad", name, b, err)
		}
	}
}

// TestReview21DirLinks: OPA's loader skips a symbolic link in a directory,
// which git, a reviewer and `opa eval -d` follow: a deny rule linked into
// the policy directory was shown and never loaded. A link is refused,
// whether it points inside the directory or out of it.
func TestReview21DirLinks(t *testing.T) {
	t.Parallel()
	outside := filepath.Join(t.TempDir(), "deny.rego")
	if err := os.WriteFile(outside, []byte("package gate\nextra := 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"inside": "gate.rego", "outside": outside} {
		dir := review21Dir(t, map[string]string{"gate/gate.rego": gate})
		if err := os.Symlink(target, filepath.Join(dir, "gate", "deny.rego")); err != nil {
			t.Fatal(err)
		}
		if b, err := policy.Dir(dir).Load(t.Context()); !errors.Is(err, policy.ErrLoad) {
			t.Errorf("%s: got %+v, %v; want ErrLoad", name, b, err)
		}
	}
	// A directory of regular files still loads.
	dir := review21Dir(t, map[string]string{"gate/gate.rego": gate, "gate/data.json": `{"repos": ["acme/app"]}`})
	if b, err := policy.Dir(dir).Load(t.Context()); err != nil || len(b.Modules) != 1 {
		t.Fatalf("got %+v, %v", b, err)
	}
}

// TestReview21FSLimits: a tarball's files are bounded together, an FS's
// were not (only each file was): nine files of 8 MiB, or a million empty
// ones, were all held at once.
func TestReview21FSLimits(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte{' '}, policy.MaxPolicyFileBytes)
	files := fstest.MapFS{"gate/gate.rego": {Data: []byte(gate)}}
	for i := range 9 {
		files[fmt.Sprintf("pad/%d.txt", i)] = &fstest.MapFile{Data: big}
	}
	if _, err := policy.FS(files).Load(t.Context()); !errors.Is(err, policy.ErrLoad) {
		t.Errorf("72 MiB of files: %v, want ErrLoad", err)
	}
	many := fstest.MapFS{"gate/gate.rego": {Data: []byte(gate)}}
	for i := range policy.MaxBundleBytes / 512 {
		many[fmt.Sprintf("pad/%d", i)] = &fstest.MapFile{}
	}
	if _, err := policy.FS(many).Load(t.Context()); !errors.Is(err, policy.ErrLoad) {
		t.Errorf("%d empty files: %v, want ErrLoad", len(many), err)
	}
}

// TestReview21TarLinks: OPA's tarball loader reads regular files only and
// skips every other entry, which tar extracts: a hard or symbolic link
// named gate/deny.rego showed a reviewer a rule the engine never loaded.
func TestReview21TarLinks(t *testing.T) {
	t.Parallel()
	deny := "package gate\nextra := 1\n"
	for _, h := range []tar.Header{
		{Name: "gate/deny.rego", Linkname: "deny.txt", Typeflag: tar.TypeLink},
		{Name: "gate/deny.rego", Linkname: "../deny.txt", Typeflag: tar.TypeSymlink},
		{Name: "gate/deny.rego", Typeflag: tar.TypeFifo},
		{Name: "gate/deny.rego", Typeflag: tar.TypeChar},
		{Name: "gate/deny.rego", Typeflag: tar.TypeCont, Size: int64(len(deny))},
	} {
		raw := review21Tar(t, []tar.Header{
			{Name: "gate/gate.rego", Typeflag: tar.TypeReg, Size: int64(len(gate))},
			{Name: "deny.txt", Typeflag: tar.TypeReg, Size: int64(len(deny))},
			h,
		}, []string{gate, deny, deny})
		if b, err := policy.ReadBundle(bytes.NewReader(raw)); !errors.Is(err, policy.ErrLoad) {
			t.Errorf("%c entry: got %+v, %v; want ErrLoad", h.Typeflag, b, err)
		}
	}
	// OPA's own signatures file: its loader has no key, so it refuses it
	// rather than ignore it (doc.go says so).
	sig := orderedTarball(t, [2]string{"gate/gate.rego", gate}, [2]string{".signatures.json", `{"signatures": ["x"]}`})
	if b, err := policy.ReadBundle(bytes.NewReader(sig)); !errors.Is(err, policy.ErrLoad) {
		t.Errorf(".signatures.json: got %+v, %v; want ErrLoad", b, err)
	}
	// Directories and a global header (git archive's commit id) are fine.
	raw := review21Tar(t, []tar.Header{
		{Typeflag: tar.TypeXGlobalHeader, PAXRecords: map[string]string{"comment": "4f5a0c1d"}},
		{Name: "gate/", Typeflag: tar.TypeDir},
		{Name: "gate/gate.rego", Typeflag: tar.TypeReg, Size: int64(len(gate))},
	}, []string{"", "", gate})
	if b, err := policy.ReadBundle(bytes.NewReader(raw)); err != nil || len(b.Modules) != 1 {
		t.Fatalf("got %+v, %v", b, err)
	}
}

func review21Tar(t testing.TB, hs []tar.Header, bodies []string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for i, h := range hs {
		if h.Typeflag != tar.TypeXGlobalHeader {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			if _, err := tw.Write([]byte(bodies[i])); err != nil {
				t.Fatal(err)
			}
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

// review21YAMLRefused are data.yaml files OPA's loader reads otherwise
// than their text says: it keeps the last of two keys naming one member
// (1 and "1" are one), and reads only the first document.
var review21YAMLRefused = map[string]string{
	"repeated key":     "repos: [acme/app]\nrepos: [evil/app]\n",
	"nested repeat":    "x:\n  a: 1\n  a: 2\n",
	"int and string":   "1: acme/app\n\"1\": evil/app\n",
	"bool and string":  "true: acme/app\n\"true\": evil/app\n",
	"float and string": "1.5: a\n\"1.5\": b\n",
	"JSON syntax":      `{"repos": ["acme/app"], "repos": ["evil/app"]}`,
	"BOM and JSON":     "\xef\xbb\xbf" + `{"repos": ["acme/app"], "repos": ["evil/app"]}`,
	"two documents":    "repos: [acme/app]\n---\nrepos: [evil/app]\n",
	"key not a scalar": "? [a, b]\n: 1\n",
	"null key":         "~: 1\nrepos: [acme/app]\n",
	"repeat in anchor": "base: &b {a: 1, a: 2}\nx: *b\n",
}

// TestReview21YAMLData: data.json repeating a member was refused; a
// data.yaml (or data.yml) doing the same, in YAML or in JSON, loaded the
// last, in a tarball and a directory alike.
func TestReview21YAMLData(t *testing.T) {
	t.Parallel()
	for name, y := range review21YAMLRefused {
		for _, file := range []string{"gate/data.yaml", "gate/data.yml"} {
			raw := orderedTarball(t, [2]string{"gate/gate.rego", gate}, [2]string{file, y})
			if b, err := policy.ReadBundle(bytes.NewReader(raw)); !errors.Is(err, policy.ErrLoad) {
				t.Errorf("tarball %s, %s: got %+v, %v; want ErrLoad", file, name, b, err)
			}
			fsys := review21MapFS(map[string]string{"gate/gate.rego": gate, file: y})
			if b, err := policy.FS(fsys).Load(t.Context()); !errors.Is(err, policy.ErrLoad) {
				t.Errorf("FS %s, %s: got %+v, %v; want ErrLoad", file, name, b, err)
			}
		}
	}
	// YAML as people write it still loads: anchors, a merge key its
	// mapping overrides, a date as a key, numbers as values.
	ok := "base: &b {registry: ghcr.io, max: 3}\nprod:\n  <<: *b\n  max: 0\n2026-01-01: release\nrepos: [acme/app]\n"
	b, err := policy.FS(review21MapFS(map[string]string{"gate/gate.rego": gate, "gate/data.yaml": ok})).Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	g, _ := b.Data["gate"].(map[string]any)
	prod, _ := g["prod"].(map[string]any)
	if g["2026-01-01"] != "release" || prod["registry"] != "ghcr.io" || fmt.Sprint(prod["max"]) != "0" {
		t.Fatalf("data %v", b.Data)
	}
}

// FuzzReview21YAMLData: whatever a data.yaml holds, FS returns a bundle or
// an error wrapping ErrLoad, and never panics.
func FuzzReview21YAMLData(f *testing.F) {
	for _, y := range review21YAMLRefused {
		f.Add(y)
	}
	f.Add("base: &b {a: 1}\nx:\n  <<: *b\n  a: 2\n")
	f.Add("a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n")
	f.Add("2026-01-01: x\n.inf: 1\n-.inf: 2\n.nan: 3\n0x10: 4\n")
	f.Fuzz(func(t *testing.T, y string) {
		fsys := review21MapFS(map[string]string{"gate/gate.rego": gate, "gate/data.yaml": y})
		if _, err := policy.FS(fsys).Load(t.Context()); err != nil && !errors.Is(err, policy.ErrLoad) {
			t.Fatalf("error does not wrap ErrLoad: %v", err)
		}
	})
}
