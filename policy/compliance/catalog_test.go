package compliance_test

import (
	"errors"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/compliance"
)

// libraryRules parses the built-in library's modules (tests excluded) and
// returns every rule id a violation object names ({"rule": "<id>", ...}),
// with the Rego package that emits it, and the library's main.rego action
// table (input.action -> package).
func libraryRules(t *testing.T) (rules map[string]string, actions map[string]string, modules map[string][]*ast.Module) {
	t.Helper()
	rules, actions, modules = map[string]string{}, map[string]string{}, map[string][]*ast.Module{}
	lib := policy.Library()
	err := fs.WalkDir(lib, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".rego") || strings.HasSuffix(path, "_test.rego") {
			return err
		}
		src, err := fs.ReadFile(lib, path)
		if err != nil {
			return err
		}
		m, err := ast.ParseModuleWithOpts(path, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			return err
		}
		pkg := strings.TrimPrefix(m.Package.Path.String(), "data.")
		modules[pkg] = append(modules[pkg], m)
		ast.WalkTerms(m, func(term *ast.Term) bool {
			obj, ok := term.Value.(ast.Object)
			if !ok {
				return false
			}
			if r := obj.Get(ast.InternedTerm("rule")); r != nil {
				s, ok := r.Value.(ast.String)
				if !ok {
					t.Errorf("%s: a violation's rule is not a string literal (%v): the catalog cannot be checked against it", path, r)
					return false
				}
				if prev, ok := rules[string(s)]; ok && prev != pkg {
					t.Errorf("rule %s emitted by %s and %s", s, prev, pkg)
				}
				rules[string(s)] = pkg
			}
			return false
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(modules["ztci.main"]) != 1 {
		t.Fatal("not one ztci.main module")
	}
	for _, r := range modules["ztci.main"][0].Rules {
		if r.Head.Name.String() != "actions" {
			continue
		}
		obj := r.Head.Value.Value.(ast.Object)
		obj.Foreach(func(k, v *ast.Term) { actions[string(k.Value.(ast.String))] = string(v.Value.(ast.String)) })
	}
	if len(actions) == 0 {
		t.Fatal("no action table in ztci.main")
	}
	return rules, actions, modules
}

// The catalog and the library cannot drift: every rule id the library
// emits has an entry, every entry is emitted, and each entry's action is
// the one whose package emits the rule.
func TestBuiltinCatalogCoversLibrary(t *testing.T) {
	t.Parallel()
	cat, err := compliance.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	emitted, actions, _ := libraryRules(t)
	if len(emitted) < 40 {
		t.Fatalf("found only %d rule ids in the library; the walk is broken", len(emitted))
	}
	pkgAction := map[string]string{"ztci.main": ""}
	for action, pkg := range actions {
		pkgAction[pkg] = action
	}
	for _, id := range slices.Sorted(maps.Keys(emitted)) {
		r, ok := cat.Rule(id)
		if !ok {
			t.Errorf("rule %s (package %s) has no entry in %s", id, emitted[id], compliance.BuiltinPath)
			continue
		}
		want, ok := pkgAction[emitted[id]]
		if !ok {
			t.Errorf("rule %s: package %s is no action's", id, emitted[id])
		}
		if r.Action != want {
			t.Errorf("rule %s: catalog action %q, but package %s decides action %q", id, r.Action, emitted[id], want)
		}
	}
	for _, id := range cat.Rules() {
		if _, ok := emitted[id]; !ok {
			t.Errorf("catalog rule %s is emitted by no module of the library", id)
		}
	}
}

// Every control is enforced by some rule (no control the report could
// only ever show as not assessed), and every framework has controls.
func TestBuiltinCatalogHasNoOrphans(t *testing.T) {
	t.Parallel()
	cat, err := compliance.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, id := range cat.Rules() {
		r, _ := cat.Rule(id)
		for _, c := range r.Controls {
			used[c] = true
		}
	}
	per := map[string]int{}
	for _, c := range cat.Controls() {
		if !used[c.ID] {
			t.Errorf("control %s is enforced by no rule", c.ID)
		}
		per[c.Framework]++
	}
	for _, f := range cat.Frameworks() {
		if per[f.ID] == 0 {
			t.Errorf("framework %s has no control", f.ID)
		}
	}
}

// The catalog's evidence kinds are the predicate types the library's rules
// look for, read from the Rego sets themselves.
func TestBuiltinEvidenceMatchesLibrary(t *testing.T) {
	t.Parallel()
	cat, err := compliance.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	_, _, modules := libraryRules(t)
	strs := func(pkg, name string) []string {
		var rules []*ast.Rule
		for _, m := range modules[pkg] {
			rules = append(rules, m.Rules...)
		}
		for _, r := range rules {
			if r.Head.Name.String() != name || r.Head.Value == nil {
				continue
			}
			var out []string
			switch v := r.Head.Value.Value.(type) {
			case ast.Set:
				v.Foreach(func(x *ast.Term) { out = append(out, string(x.Value.(ast.String))) })
			case ast.String:
				out = append(out, string(v))
			}
			slices.Sort(out)
			return out
		}
		t.Fatalf("no rule %s in %s", name, pkg)
		return nil
	}
	for kind, want := range map[string][]string{
		"provenance":         strs("ztci.deploy", "provenance_types"),
		"vulnerability-scan": strs("ztci.deploy", "scan_types"),
		"secrets-provenance": strs("ztci.deploy", "secrets_provenance_type"),
	} {
		got := cat.EvidenceTypes(kind)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("evidence %s: catalog %v, library %v", kind, got, want)
		}
	}
}

func TestParseCatalogRefuses(t *testing.T) {
	t.Parallel()
	const base = `{"version":1,"frameworks":[{"id":"f","title":"F","href":"https://f.example"}],"evidence":{"scan":["https://s.example/v1"]},"controls":[{"id":"F-1","framework":"f","label":"1","title":"One"}],"rules":{"a.b":{"action":"deploy","controls":["F-1"],"needs":"scan","why":"w"}}}`
	if _, err := compliance.ParseCatalog([]byte(base)); err != nil {
		t.Fatalf("base catalog refused: %v", err)
	}
	tests := []struct{ name, old, new string }{
		{"version 2", `"version":1`, `"version":2`},
		{"unknown member", `"version":1`, `"version":1,"extra":true`},
		{"case variant", `"version":1`, `"Version":1`},
		{"repeated member", `"version":1`, `"version":1,"version":1`},
		{"null", `"needs":"scan"`, `"needs":null`},
		{"unknown control", `"controls":["F-1"]`, `"controls":["F-2"]`},
		{"control twice in a rule", `"controls":["F-1"]`, `"controls":["F-1","F-1"]`},
		{"control id not a token", `"id":"F-1"`, `"id":"1-F"`},
		{"duplicate control", `"title":"One"}]`, `"title":"One"},{"id":"F-1","framework":"f","label":"1","title":"One"}]`},
		{"unknown framework", `"framework":"f"`, `"framework":"g"`},
		{"unknown evidence", `"needs":"scan"`, `"needs":"sbom"`},
		{"no why", `"why":"w"`, `"why":""`},
		{"controls absent", `"controls":["F-1"],`, ``},
		{"controls without action", `"action":"deploy"`, `"action":""`},
		{"bad rule id", `"a.b"`, `"A b"`},
		{"evidence not a URI", `"https://s.example/v1"`, `"scan v1"`},
		{"trailing data", `"why":"w"}}}`, `"why":"w"}}}{}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := strings.Replace(base, tc.old, tc.new, 1)
			if doc == base {
				t.Fatal("replacement did not apply")
			}
			_, err := compliance.ParseCatalog([]byte(doc))
			if !errors.Is(err, compliance.ErrCatalog) {
				t.Fatalf("err = %v, want ErrCatalog", err)
			}
		})
	}
	big := make([]byte, compliance.MaxSize+1)
	if _, err := compliance.ParseCatalog(big); !errors.Is(err, compliance.ErrTooLarge) {
		t.Fatalf("oversized: %v", err)
	}
}
