package compliancetest_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/policy/compliance/compliancetest"
)

// The validator itself must refuse what the schema refuses, or a passing
// schema test proves nothing.
func TestSchemaValidatorRefuses(t *testing.T) {
	t.Parallel()
	valid := `{"assessment-results":{"uuid":"8a2c7d0e-1b6f-4c3a-9e2d-5f4b3a2c1d0e","metadata":{"title":"t","last-modified":"2026-03-01T12:00:00Z","version":"1","oscal-version":"1.1.3"},"import-ap":{"href":"#ap"},"results":[{"uuid":"9a2c7d0e-1b6f-4c3a-9e2d-5f4b3a2c1d0e","title":"r","description":"d","start":"2026-03-01T12:00:00Z","reviewed-controls":{"control-selections":[{"include-all":{}}]}}]}}`
	tests := []struct {
		name, doc string
		ok        bool
	}{
		{"valid", valid, true},
		{"missing import-ap", strings.Replace(valid, `"import-ap":{"href":"#ap"},`, "", 1), false},
		{"unknown member", strings.Replace(valid, `"version":"1"`, `"version":"1","colour":"red"`, 1), false},
		{"bad uuid", strings.Replace(valid, "8a2c7d0e-1b6f-4c3a", "8a2c7d0e-1b6f-1c3a", 1), false},
		{"time without zone", strings.Replace(valid, `"start":"2026-03-01T12:00:00Z"`, `"start":"2026-03-01T12:00:00"`, 1), false},
		{"empty include-controls", strings.Replace(valid, `{"include-all":{}}`, `{"include-controls":[]}`, 1), false},
		{"version with a line break", strings.Replace(valid, `"version":"1"`, `"version":"1\n2"`, 1), false},
		{"no root model", `{"colour":"red"}`, false},
		{"not JSON", `{`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := compliancetest.ValidateOSCAL([]byte(tc.doc))
			if err != nil && !errors.Is(err, compliancetest.ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			if (err == nil) != tc.ok {
				t.Fatalf("validate = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
