package policy_test

import (
	"errors"
	"io/fs"
	"strings"
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

// The library is recognised by its modules' content, not their paths: a
// bundle built with `opa build lib/ acme/` holds it under lib/, and a
// module beside it in a library package was loaded, making every unknown
// action known (an allow).
func TestLibraryPackagesAtAnotherPath(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{"acme/extra.rego": {Data: []byte("package ztci.main\n\nknown_action if true\n")}}
	err := fs.WalkDir(policy.Library(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") {
			return err
		}
		src, err := fs.ReadFile(policy.Library(), p)
		fsys["lib/"+p] = &fstest.MapFile{Data: src}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	e, err := policy.New(t.Context(), policy.Merge(policy.FS(fsys), policy.Data(libraryConfig())))
	if err == nil {
		d, derr := e.Evaluate(t.Context(), policy.Input{Action: "unknown"})
		e.Close()
		t.Fatalf("loaded; an unknown action: %v %v", d, derr)
	}
	if !errors.Is(err, policy.ErrLibraryPackage) {
		t.Fatalf("error %v, want ErrLibraryPackage", err)
	}
	// Without the extra module, the relocated library loads.
	delete(fsys, "acme/extra.rego")
	e, err = policy.New(t.Context(), policy.Merge(policy.FS(fsys), policy.Data(libraryConfig())))
	if err != nil {
		t.Fatal(err)
	}
	e.Close()
}

// A bundle holding the library without ztci/config_schema.rego was loaded
// with its configuration unchecked: max_critical "0", a string, is above
// every count in Rego, so no number of critical findings denied a deploy.
func TestLibraryWithoutConfigCheck(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{}
	err := fs.WalkDir(policy.Library(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") || strings.HasSuffix(p, "config_schema.rego") {
			return err
		}
		src, err := fs.ReadFile(policy.Library(), p)
		fsys[p] = &fstest.MapFile{Data: src}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := libraryConfig()
	cfg["ztci"].(map[string]any)["config"].(map[string]any)["deploy"].(map[string]any)["max_critical"] = "0"
	e, err := policy.New(t.Context(), policy.Merge(policy.FS(fsys), policy.Data(cfg)))
	if err == nil {
		e.Close()
		t.Fatal("the library was loaded without its configuration check")
	}
	if !errors.Is(err, policy.ErrInvalidConfig) {
		t.Fatalf("error %v, want ErrInvalidConfig", err)
	}
}
