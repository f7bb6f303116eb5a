package policy_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestReview32ConfigControlPlaneNamespaces: a ControlPlaneNamespaces
// entry the API server would refuse as a namespace name (upper case, a
// glob, empty) denies nothing; Validate refuses it.
func TestReview32ConfigControlPlaneNamespaces(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		ns   string
		ok   bool
	}{
		{"plain", "gitops-system", true},
		{"digits", "argo2", true},
		{"empty", "", false},
		{"upper case", "GitOps", false},
		{"glob", "argo*", false},
		{"leading dash", "-argo", false},
		{"space", "argo cd", false},
		{"too long", "a123456789012345678901234567890123456789012345678901234567890123", false},
	} {
		cfg := review22ArgoConfig()
		cfg.Kubernetes.ControlPlaneNamespaces = []string{tc.ns}
		err := cfg.Validate()
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, policy.ErrInvalidConfig)) {
			t.Errorf("%s: Validate = %v; want ok %v", tc.name, err, tc.ok)
		}
	}
}
