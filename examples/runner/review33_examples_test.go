package main

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// review33Sources are the files vendors copy: every program under examples/
// and every Example function's file in the module.
func review33Sources(t *testing.T) []string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root: %v", err)
	}
	var files []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); p != root && (n == "testdata" || n == "vendor" || strings.HasPrefix(n, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		base := d.Name()
		switch {
		case !strings.HasSuffix(base, ".go"):
		case base == "example_test.go" || strings.HasPrefix(base, "example_") && strings.HasSuffix(base, "_test.go"):
			files = append(files, p)
		case strings.HasPrefix(filepath.ToSlash(rel), "examples/") && !strings.HasSuffix(base, "_test.go"):
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no example sources found")
	}
	return files
}

// wildcardListen is a listen address on every interface: ":8080",
// "0.0.0.0:8080", "[::]:8080".
var wildcardListen = regexp.MustCompile(`^(0\.0\.0\.0|\[::\])?:[0-9]+$`)

// Example programs and Example functions are copied verbatim onto fleets:
// an http.Server without a header or read timeout there is one a client
// holds open forever by sending its headers a byte at a time (Slowloris),
// a TLS config that skips verification trusts any peer, and a listen
// address on every interface exposes what should stay on loopback.
func TestReview33ExamplesServeSafely(t *testing.T) {
	t.Parallel()
	for _, path := range review33Sources(t) {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				sel, ok := n.Type.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				pkg, ok := sel.X.(*ast.Ident)
				if !ok {
					return true
				}
				keys := map[string]ast.Expr{}
				for _, el := range n.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok {
						if k, ok := kv.Key.(*ast.Ident); ok {
							keys[k.Name] = kv.Value
						}
					}
				}
				switch {
				case pkg.Name == "http" && sel.Sel.Name == "Server":
					if keys["ReadHeaderTimeout"] == nil && keys["ReadTimeout"] == nil {
						t.Errorf("%s: http.Server without ReadHeaderTimeout (a client holds the connection open forever)", fset.Position(n.Pos()))
					}
				case pkg.Name == "tls" && sel.Sel.Name == "Config":
					if v, ok := keys["InsecureSkipVerify"].(*ast.Ident); keys["InsecureSkipVerify"] != nil && (!ok || v.Name != "false") {
						t.Errorf("%s: tls.Config with InsecureSkipVerify", fset.Position(n.Pos()))
					}
				}
			case *ast.BasicLit:
				if n.Kind != token.STRING {
					return true
				}
				if s, err := strconv.Unquote(n.Value); err == nil && wildcardListen.MatchString(s) {
					t.Errorf("%s: listen address %q on every interface (use a loopback IP address)", fset.Position(n.Pos()), s)
				}
			}
			return true
		})
	}
}

// The runner keeps its audit log, lease journal and compliance reports in
// --dir: a directory others may write (an existing /tmp/ztci, 1777 or
// 0777) lets them replace the audit log or plant a symbolic link where a
// report is written, so it is refused before anything is written there.
func TestReview33RunnerDirWritableByOthersRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("permission bits are not checked on Windows")
	}
	t.Parallel()
	for _, tc := range []struct {
		name string
		mode os.FileMode
	}{
		{name: "world writable", mode: 0o777},
		{name: "sticky world writable", mode: 0o777 | os.ModeSticky},
		{name: "group writable", mode: 0o770},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "state")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, tc.mode); err != nil {
				t.Fatal(err)
			}
			err := run(t.Context(), []string{"--json", "--dir", dir, "--issuer-addr", "127.0.0.1:0"}, io.Discard, io.Discard)
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("run --dir (%v) = %v, want ErrConfig", tc.mode, err)
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 0 {
				t.Errorf("wrote %d entries into the refused directory", len(entries))
			}
		})
	}
}
