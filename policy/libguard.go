package policy

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
)

// ErrLibraryPackage: a bundle that holds the built-in library also holds a
// module of another source in one of the library's packages (or in a
// package above one, such as "ztci"). Such a module can weaken
// the library, not only add to it: Rego joins every definition of a rule
// in a package, so `known_action if true` in package ztci.main (or
// `main.known_action if true` in package ztci) makes every unknown action
// known, and a deploy policy's helper rules can be widened the same way.
// The library's own modules are recognised by content, wherever the
// bundle puts them (`opa build lib/ acme/` writes them under lib/); a
// vendor who ships a modified copy of the library owns it, and it is not
// protected. Rules of your own belong in a package of your own.
//
// The library's configuration, data.ztci.config, is protected the same
// way: a module declaring package ztci.config (or one inside it) could
// define a setting the configuration leaves unset ("untrusted_triggers
// := []" trusts every trigger), and, as a rule, one that holds only for
// some inputs, which the configuration check at load cannot see.
// Configure the library with data.
var ErrLibraryPackage = fmt.Errorf("%w: module in a package of the built-in library", ErrLoad)

// configRef is the library's configuration, data.ztci.config: data only.
var configRef = ast.MustParseRef("data.ztci.config")

// checkLibraryPackages refuses a bundle in which a module that is not the
// built-in library's declares a package that is, contains or lies inside
// a package of a library module the bundle holds unchanged, at any path.
// Test modules are not compiled into an evaluator and are not checked. It
// reports whether the bundle holds any module of the library.
func checkLibraryPackages(ctx context.Context, b *Bundle, compiler *ast.Compiler) (bool, error) {
	lib, err := Builtin().Load(ctx)
	if err != nil {
		return false, err
	}
	isLib := map[string]bool{}
	for p, src := range lib.Modules {
		if !isTest(p) {
			isLib[src] = true
		}
	}
	var protected []ast.Ref
	for _, p := range slices.Sorted(maps.Keys(b.Modules)) {
		if !isTest(p) && isLib[b.Modules[p]] {
			if m := compiler.Modules[p]; m != nil {
				protected = append(protected, m.Package.Path)
			}
		}
	}
	if len(protected) == 0 {
		return false, nil // no built-in library in this bundle
	}
	protected = append(protected, configRef)
	for _, p := range slices.Sorted(maps.Keys(b.Modules)) {
		if isTest(p) || isLib[b.Modules[p]] {
			continue
		}
		m := compiler.Modules[p]
		if m == nil {
			return true, fmt.Errorf("%w: module %q was not compiled", ErrLoad, p)
		}
		for _, lp := range protected {
			if !m.Package.Path.HasPrefix(lp) && !lp.HasPrefix(m.Package.Path) {
				continue
			}
			if lp.Equal(configRef) {
				return true, fmt.Errorf("%w: module %q declares package %v, which would define the library's configuration %v; configure it with data",
					ErrLibraryPackage, p, m.Package.Path, lp)
			}
			return true, fmt.Errorf("%w: module %q declares package %v, which would add to the library's %v; use a package of your own",
				ErrLibraryPackage, p, m.Package.Path, lp)
		}
	}
	return true, nil
}
