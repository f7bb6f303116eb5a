package compliancetest_test

import (
	"errors"
	"fmt"

	"github.com/ztci/ztci/policy/compliance/compliancetest"
)

// A document that lacks a member the schema requires is refused, naming it.
func ExampleValidateOSCAL() {
	err := compliancetest.ValidateOSCAL([]byte(`{"assessment-results":{"uuid":"8a2c7d0e-1b6f-4c3a-9e2d-5f4b3a2c1d0e","metadata":{"title":"t","last-modified":"2026-03-01T12:00:00Z","version":"1","oscal-version":"1.1.3"},"results":[]}}`))
	fmt.Println(errors.Is(err, compliancetest.ErrInvalid))
	// Output: true
}
