package oidc_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
)

// One signing identity for every run of the release workflow, whatever the
// branch; the branch stays a claim the policy checks.
func ExampleWorkflowSubject() {
	for _, ref := range []string{"refs/heads/main", "refs/heads/feature/x"} {
		sub, _ := oidc.WorkflowSubject("https://git.example", identity.Claims{
			Repository: "acme/app", Ref: ref, WorkflowRef: "acme/app/.ztci/release.yml@" + ref,
		})
		fmt.Println(sub)
	}
	// Output:
	// https://git.example/acme/app/.ztci/release.yml
	// https://git.example/acme/app/.ztci/release.yml
}

func TestWorkflowSubjectRefuses(t *testing.T) {
	t.Parallel()
	ok := identity.Claims{Repository: "acme/app", Workflow: ".ztci/release.yml"}
	tests := []struct {
		name  string
		forge string
		c     identity.Claims
	}{
		{"http forge", "http://git.example", ok},
		{"forge with query", "https://git.example?x=1", ok},
		{"no repository", "https://git.example", identity.Claims{Workflow: "w.yml"}},
		{"no workflow", "https://git.example", identity.Claims{Repository: "acme/app"}},
		{"dot-dot", "https://git.example", identity.Claims{Repository: "acme/app", Workflow: "../other/w.yml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := oidc.WorkflowSubject(tt.forge, tt.c); !errors.Is(err, oidc.ErrConfig) {
				t.Fatalf("err = %v, want ErrConfig", err)
			}
		})
	}
	if got, err := oidc.WorkflowSubject("https://git.example/", ok); err != nil || got != "https://git.example/acme/app/.ztci/release.yml" {
		t.Fatalf("WorkflowSubject = %q, %v", got, err)
	}
}
