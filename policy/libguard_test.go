package policy_test

import (
	"errors"
	"testing"
	"testing/fstest"

	"github.com/ztci/ztci/policy"
)

// A module of another source in one of the built-in library's packages, or
// in a package above one, is refused: Rego joins every definition of a
// rule, so it could weaken the library. Each of these makes an unknown
// action known (or the decision an allow) when admitted.
func TestLibraryPackagesRefused(t *testing.T) {
	t.Parallel()
	for name, src := range map[string]string{
		"same package":             "package ztci.main\n\nknown_action if true\n",
		"ref head from a parent":   "package ztci\n\nmain.known_action if true\n",
		"inside a library package": "package ztci.deploy.extra\n\nx := 1\n",
		"lib helpers":              "package ztci.lib\n\nprotected_job(_) if true\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			extra := policy.FS(fstest.MapFS{"vendor/extra.rego": {Data: []byte(src)}})
			e, err := policy.New(t.Context(), policy.Merge(policy.Builtin(), policy.Data(libraryConfig()), extra))
			if err == nil {
				e.Close()
				t.Fatal("a module in a library package was loaded beside the library")
			}
			if !errors.Is(err, policy.ErrLibraryPackage) || !errors.Is(err, policy.ErrLoad) {
				t.Fatalf("error %v, want ErrLibraryPackage", err)
			}
		})
	}
}

// Modules in packages of their own, test modules in the library's test
// packages, and a bundle without the library load as before.
func TestLibraryPackagesOwnPackagesLoad(t *testing.T) {
	t.Parallel()
	for name, fs := range map[string]fstest.MapFS{
		"own package":      {"vendor/extra.rego": {Data: []byte("package acme.extra\n\nx := 1\n")}},
		"sibling prefix":   {"vendor/extra.rego": {Data: []byte("package ztci.mainly\n\nx := 1\n")}},
		"library test pkg": {"vendor/extra_test.rego": {Data: []byte("package ztci.main\n\ntest_x if true\n")}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e, err := policy.New(t.Context(), policy.Merge(policy.Builtin(), policy.Data(libraryConfig()), policy.FS(fs)))
			if err != nil {
				t.Fatal(err)
			}
			e.Close()
		})
	}
}
