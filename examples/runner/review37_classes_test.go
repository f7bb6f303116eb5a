package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"
)

// review37ModeArg is the index of the file-mode argument of the os
// functions that create files or directories.
var review37ModeArg = map[string]int{"WriteFile": 2, "OpenFile": 2, "Mkdir": 1, "MkdirAll": 1, "Chmod": 1}

// Example programs and Example functions are copied verbatim onto fleets,
// so whole classes of unsafe patterns are refused in them (besides those
// TestReview33ExamplesServeSafely refuses):
//
//   - a file or directory created (or chmod'ed) that group or others may
//     write, or with os.Create (0666 before the umask): whoever shares the
//     host rewrites the audit log, a key or a report, or plants a link;
//   - a secret's Reveal() handed straight to fmt.Print*, to os.Stdout or
//     os.Stderr, or to a log call: the value lands in the terminal and in
//     the CI log that collects it (a job's output goes through the
//     redactor's writer instead);
//   - a tls.Config without MinVersion: what it accepts is then whatever
//     the Go release defaults to, not what the example states.
func TestReview37ExamplesUnsafeClasses(t *testing.T) {
	t.Parallel()
	for _, path := range review33Sources(t) {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				pkg, fn := review37Callee(n)
				switch {
				case pkg == "os" && fn == "Create":
					t.Errorf("%s: os.Create makes a file others may write (0666 before the umask): use os.OpenFile with 0o600", fset.Position(n.Pos()))
				case pkg == "os" && review37ModeArg[fn] > 0:
					i := review37ModeArg[fn]
					if i >= len(n.Args) {
						return true
					}
					lit, ok := n.Args[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.INT {
						return true
					}
					mode, err := strconv.ParseUint(lit.Value, 0, 32)
					if err == nil && mode&0o022 != 0 {
						t.Errorf("%s: os.%s with mode %s: group or others may write it", fset.Position(n.Pos()), fn, lit.Value)
					}
				case review37Prints(pkg, fn, n):
					for _, a := range n.Args {
						if review37Reveals(a) {
							t.Errorf("%s: %s.%s prints a secret's Reveal(): write it through a redactor", fset.Position(n.Pos()), pkg, fn)
						}
					}
				}
			case *ast.CompositeLit:
				sel, ok := n.Type.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "tls" || sel.Sel.Name != "Config" {
					return true
				}
				for _, el := range n.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok {
						if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "MinVersion" {
							return true
						}
					}
				}
				t.Errorf("%s: tls.Config without MinVersion", fset.Position(n.Pos()))
			}
			return true
		})
	}
}

// review37Callee is pkg and name of a call pkg.Name(...), or of a method
// call x.Name(...) with pkg the receiver's identifier.
func review37Callee(c *ast.CallExpr) (pkg, fn string) {
	sel, ok := c.Fun.(*ast.SelectorExpr)
	if !ok {
		return "", ""
	}
	if id, ok := sel.X.(*ast.Ident); ok {
		return id.Name, sel.Sel.Name
	}
	return "", sel.Sel.Name
}

// review37Prints reports whether the call writes its arguments to the
// terminal or a log: fmt.Print*, fmt.Fprint* to os.Stdout or os.Stderr,
// and the log and slog packages' functions.
func review37Prints(pkg, fn string, c *ast.CallExpr) bool {
	switch pkg {
	case "fmt":
		switch fn {
		case "Print", "Printf", "Println":
			return true
		case "Fprint", "Fprintf", "Fprintln":
			if len(c.Args) == 0 {
				return false
			}
			sel, ok := c.Args[0].(*ast.SelectorExpr)
			if !ok {
				return false
			}
			id, ok := sel.X.(*ast.Ident)
			return ok && id.Name == "os" && (sel.Sel.Name == "Stdout" || sel.Sel.Name == "Stderr")
		}
	case "log", "slog":
		return true
	}
	return false
}

// review37Reveals reports whether e is a secret's value: a call of a
// function or method whose name has "Reveal" in it (v.Reveal(),
// mustReveal(l)), alone or in a string concatenation. A call of something
// else on it (len(v.Reveal())) is not the value.
func review37Reveals(e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		c, ok := n.(*ast.CallExpr)
		if !ok {
			return !found
		}
		var name string
		switch f := c.Fun.(type) {
		case *ast.SelectorExpr:
			name = f.Sel.Name
		case *ast.Ident:
			name = f.Name
		}
		if strings.Contains(name, "Reveal") {
			found = true
		}
		return false
	})
	return found
}
