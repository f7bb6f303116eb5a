package oidc_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
)

// TestReview15WorkflowSubjectSpoof: WorkflowSubject names the workflow in
// the signing certificate's SAN, so that one SAN stands for the release
// workflow on every branch. Whoever can push a branch chose the SAN of the
// release workflow from another workflow file:
//
//   - a job whose workflow_ref names a reusable workflow of another
//     repository fell back to Claims.Workflow, in GitHub's claims the
//     workflow's name, which its author writes ("name: .ztci/release.yml");
//   - a workflow file ".ztci/release.yml@x.yml" (git allows '@' in a file
//     name) had its workflow_ref cut at the first '@', naming
//     ".ztci/release.yml".
func TestReview15WorkflowSubjectSpoof(t *testing.T) {
	t.Parallel()
	const forge, release = "https://git.example", "https://git.example/acme/app/.ztci/release.yml"
	for name, c := range map[string]identity.Claims{
		"reusable workflow elsewhere, name spoofed": {Repository: "acme/app", Workflow: ".ztci/release.yml",
			WorkflowRef: "acme/shared/.ztci/build.yml@refs/heads/main"},
		"'@' in the workflow file name": {Repository: "acme/app", Workflow: "evil",
			WorkflowRef: "acme/app/.ztci/release.yml@x.yml@refs/heads/feature"},
		"'@refs/' in the workflow file name": {Repository: "acme/app",
			WorkflowRef: "acme/app/.ztci/release.yml@refs/x.yml@refs/heads/feature"},
		"workflow_ref without ref, name spoofed": {Repository: "acme/app", Workflow: ".ztci/release.yml",
			WorkflowRef: "acme/app/.ztci/evil.yml"},
		"repository-name prefix": {Repository: "acme/app", Workflow: ".ztci/release.yml",
			WorkflowRef: "acme/app-fork/.ztci/release.yml@refs/heads/main"},
	} {
		sub, err := oidc.WorkflowSubject(forge, c)
		if !errors.Is(err, oidc.ErrConfig) {
			t.Errorf("%s: WorkflowSubject = %q, %v; want ErrConfig", name, sub, err)
		}
		if sub == release {
			t.Errorf("%s: certified as the release workflow", name)
		}
	}
	// The release workflow itself, on any branch, and a Workflow path
	// without WorkflowRef, still name it.
	for _, c := range []identity.Claims{
		{Repository: "acme/app", Workflow: "Release", WorkflowRef: "acme/app/.ztci/release.yml@refs/heads/main"},
		{Repository: "acme/app", WorkflowRef: "acme/app/.ztci/release.yml@refs/heads/feature/x"},
		{Repository: "acme/app", Workflow: ".ztci/release.yml"},
	} {
		if sub, err := oidc.WorkflowSubject(forge, c); err != nil || sub != release {
			t.Errorf("%+v: WorkflowSubject = %q, %v; want %q", c, sub, err, release)
		}
	}
}
