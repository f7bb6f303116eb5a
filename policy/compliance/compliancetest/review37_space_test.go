package compliancetest_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/policy/compliance/compliancetest"
)

// The schema's string pattern ^\S(.*\S)?$ is ECMAScript, whose \s holds
// the no-break and other Unicode spaces and U+FEFF; RE2's \s is ASCII
// only, so the validator accepted a string with a leading or trailing
// no-break space that NIST's schema, as any ECMAScript validator applies
// it, refuses: a vendor's test passed a document its assessor's tooling
// rejects. \s and \S now mean ECMAScript's.
func TestReview37SchemaUnicodeSpace(t *testing.T) {
	t.Parallel()
	valid := `{"assessment-results":{"uuid":"8a2c7d0e-1b6f-4c3a-9e2d-5f4b3a2c1d0e","metadata":{"title":"t","last-modified":"2026-03-01T12:00:00Z","version":"1","oscal-version":"1.1.3"},"import-ap":{"href":"#ap"},"results":[{"uuid":"9a2c7d0e-1b6f-4c3a-9e2d-5f4b3a2c1d0e","title":"r","description":"d","start":"2026-03-01T12:00:00Z","reviewed-controls":{"control-selections":[{"include-all":{}}]}}]}}`
	tests := []struct {
		name, version string
		ok            bool
	}{
		{"plain", "1", true},
		{"inner no-break space", "1\u00a02", true},
		{"leading no-break space", "\u00a01", false},
		{"trailing no-break space", "1\u00a0", false},
		{"trailing ideographic space", "1\u3000", false},
		{"leading byte order mark", "\ufeff1", false},
		{"trailing vertical tab", "1\\u000b", false},
		{"trailing line separator", "1\u2028", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := strings.Replace(valid, `"version":"1"`, `"version":"`+tc.version+`"`, 1)
			err := compliancetest.ValidateOSCAL([]byte(doc))
			if err != nil && !errors.Is(err, compliancetest.ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			if (err == nil) != tc.ok {
				t.Fatalf("validate = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
