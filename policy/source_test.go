package policy_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ztci/ztci/policy"
)

const gate = `package gate
decision := {"allow": input.job.repository in data.gate.repos, "violations": [v | not input.job.repository in data.gate.repos; v := {"rule": "gate.repo", "message": "repository not allowed", "value": input.job.repository}]}`

// tarball builds a .tar.gz of files, as `opa build` would.
func tarball(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
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

func TestSources(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"gate/gate.rego":      gate,
		"gate/gate_test.rego": "package gate_test\ntest_x if true",
		"gate/data.json":      `{"repos": ["acme/app"]}`,
		".manifest":           `{"revision": "2026-11-22.1", "roots": ["gate", "gate_test"]}`,
	}
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
	tgz := filepath.Join(t.TempDir(), "bundle.tar.gz")
	if err := os.WriteFile(tgz, tarball(t, files), 0o644); err != nil {
		t.Fatal(err)
	}
	mapfs := fstest.MapFS{}
	for name, body := range files {
		mapfs[name] = &fstest.MapFile{Data: []byte(body)}
	}
	for _, tc := range []struct {
		name string
		src  policy.Source
	}{
		{name: "fs", src: policy.FS(mapfs)},
		{name: "dir", src: policy.Dir(dir)},
		{name: "bundle", src: policy.BundleFile(tgz)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, err := policy.New(t.Context(), tc.src, policy.WithQuery("data.gate.decision"))
			if err != nil {
				t.Fatal(err)
			}
			if e.Revision() != "2026-11-22.1" {
				t.Fatalf("revision %q", e.Revision())
			}
			ok, err := e.Evaluate(t.Context(), policy.Input{Job: policy.Job{Repository: "acme/app"}})
			if err != nil || !ok.Allowed {
				t.Fatalf("allowed repo: %v %v", ok, err)
			}
			no, err := e.Evaluate(t.Context(), policy.Input{Job: policy.Job{Repository: "evil/app"}})
			if err != nil || no.Allowed || len(no.Violations) != 1 || no.Violations[0].Value != "evil/app" {
				t.Fatalf("denied repo: %v %v", no, err)
			}
		})
	}
}

func TestBundleLimits(t *testing.T) {
	t.Parallel()
	bomb := tarball(t, map[string]string{"p.rego": "package p\n# " + strings.Repeat("a", policy.MaxBundleBytes)})
	for _, tc := range []struct {
		name string
		raw  []byte
	}{
		{name: "not gzip", raw: []byte("package p")},
		{name: "inflates too far", raw: bomb},
		{name: "truncated", raw: tarball(t, map[string]string{"p.rego": gate})[:40]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := policy.ReadBundle(bytes.NewReader(tc.raw)); !errors.Is(err, policy.ErrLoad) {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	mod := func(path, src string) policy.Source {
		return policy.SourceFunc(func(context.Context) (*policy.Bundle, error) {
			return &policy.Bundle{Modules: map[string]string{path: src}, Revision: "r-" + path}, nil
		})
	}
	for _, tc := range []struct {
		name string
		src  policy.Source
		ok   bool
		rev  string
	}{
		{name: "disjoint", src: policy.Merge(mod("a.rego", "package a"), mod("b.rego", "package b")), ok: true, rev: "r-a.rego+r-b.rego"},
		{name: "data deep merge", src: policy.Merge(policy.Data(map[string]any{"x": map[string]any{"a": 1}}), policy.Data(map[string]any{"x": map[string]any{"b": 2}})), ok: true},
		{name: "same module twice", src: policy.Merge(mod("a.rego", "package a"), mod("a.rego", "package b"))},
		{name: "same data leaf twice", src: policy.Merge(policy.Data(map[string]any{"x": map[string]any{"a": 1}}), policy.Data(map[string]any{"x": map[string]any{"a": 2}}))},
		{name: "data not JSON", src: policy.Data(map[string]any{"f": func() {}})},
		{name: "failing source", src: policy.Merge(policy.Dir("/nonexistent"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := tc.src.Load(t.Context())
			if tc.ok != (err == nil) || (err != nil && !errors.Is(err, policy.ErrLoad)) {
				t.Fatalf("got %v", err)
			}
			if tc.ok && b.Revision != tc.rev {
				t.Fatalf("revision %q", b.Revision)
			}
		})
	}
}

func FuzzLoad(f *testing.F) {
	f.Add(gate, `{"repos": ["acme/app"]}`)
	f.Add("package gate\ndecision := {", `{}`)
	f.Add("package gate\nimport rego.v1\ndecision := http.send({})", `[]`)
	f.Add("package gate\ndecision := {\"allow\": true, \"violations\": set()}", `{"a":`)
	f.Fuzz(func(t *testing.T, module, data string) {
		src := policy.FS(fstest.MapFS{
			"gate/p.rego":    {Data: []byte(module)},
			"gate/data.json": {Data: []byte(data)},
		})
		e, err := policy.New(context.Background(), src, policy.WithQuery("data.gate.decision"))
		if err != nil {
			if !errors.Is(err, policy.ErrLoad) {
				t.Fatalf("load error does not wrap ErrLoad: %v", err)
			}
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100_000_000) // 100ms
		defer cancel()
		d, err := e.Evaluate(ctx, policy.Input{Job: policy.Job{Repository: "acme/app"}})
		if err != nil && (!errors.Is(err, policy.ErrNoDecision) || d.Allowed) {
			t.Fatalf("evaluation error must fail closed: %v %v", d, err)
		}
	})
}

// TestBundleDuplicateModule: a tarball that holds one module path twice
// (as two entries, or as "p.rego" and "./p.rego") is refused; the loader
// kept whichever came last, which other tools may not read as the bundle's
// policy.
func TestBundleDuplicateModule(t *testing.T) {
	t.Parallel()
	deny := "package test\ndecision := {\"allow\": false, \"violations\": []}"
	allow := "package test\ndecision := {\"allow\": true, \"violations\": []}"
	for name, paths := range map[string][2]string{
		"same name":    {"p.rego", "p.rego"},
		"leading ./":   {"/p.rego", "./p.rego"},
		"in directory": {"x/p.rego", "x/./p.rego"},
	} {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		tw := tar.NewWriter(zw)
		for i, body := range []string{deny, allow} {
			if err := tw.WriteHeader(&tar.Header{Name: paths[i], Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
				t.Fatal(err)
			}
			if _, err := tw.Write([]byte(body)); err != nil {
				t.Fatal(err)
			}
		}
		if err := tw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		if b, err := policy.ReadBundle(bytes.NewReader(buf.Bytes())); !errors.Is(err, policy.ErrLoad) {
			t.Errorf("%s: got %v, %v; want ErrLoad", name, b, err)
		}
	}
}
