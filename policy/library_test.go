package policy_test

import (
	"bytes"
	"io/fs"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/format"

	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/policytest"
)

// TestLibrary runs the built-in library's own Rego tests (*_test.rego).
func TestLibrary(t *testing.T) {
	t.Parallel()
	policytest.Run(t, policy.Library())
}

// TestLibraryFormatted: every module of the library, tests included, is
// as `opa fmt` writes it.
func TestLibraryFormatted(t *testing.T) {
	t.Parallel()
	lib := policy.Library()
	err := fs.WalkDir(lib, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".rego") {
			return err
		}
		src, err := fs.ReadFile(lib, path)
		if err != nil {
			return err
		}
		got, err := format.Source(path, src)
		if err != nil {
			t.Errorf("%s: %v", path, err)
		} else if !bytes.Equal(got, src) {
			t.Errorf("%s is not formatted as opa fmt writes it", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
