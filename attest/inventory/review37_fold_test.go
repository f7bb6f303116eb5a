package inventory_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/attest/inventory"
)

// TestReview37FoldComposerASCIIOnly: a Composer version is ASCII, as
// composer/semver's patterns (PCRE without the u flag) read it. Go's (?i)
// folds Unicode, so "1.0.0-\u017ftable" (long s) and "1.0.0-patch" spelt
// with the Kelvin sign passed for versions upstream refuses, and were
// ordered against advisory ranges.
func TestReview37FoldComposerASCIIOnly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, v string
		ok      bool
	}{
		{name: "stable", v: "1.0.0-stable", ok: true},
		{name: "upper RC", v: "1.0.0-RC1", ok: true},
		{name: "long s stable", v: "1.0.0-\u017ftable"},
		{name: "kelvin sign in beta-like modifier", v: "1.0.0-\u212a"},
		{name: "long s in date version", v: "20240101-\u017ftable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := inventory.CompareVersions("composer", tc.v, "1.0")
			if tc.ok {
				if err != nil {
					t.Fatalf("%q: %v", tc.v, err)
				}
				return
			}
			if !errors.Is(err, inventory.ErrInvalidVersion) {
				t.Fatalf("%q: got %v, want ErrInvalidVersion", tc.v, err)
			}
		})
	}
}
