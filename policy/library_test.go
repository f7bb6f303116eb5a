package policy_test

import (
	"testing"

	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/policytest"
)

// TestLibrary runs the built-in library's own Rego tests (*_test.rego).
func TestLibrary(t *testing.T) {
	t.Parallel()
	policytest.Run(t, policy.Library())
}
