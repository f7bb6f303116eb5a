package gate_test

import (
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/verify"
)

// A signing certificate's Fulcio claims reach policy as the CI claims of a
// job token, the repository's immutable ids included, so that a rule bound
// to them holds for signers as for callers.
func TestClaimsFromCertificate(t *testing.T) {
	t.Parallel()
	got := gate.Claims(verify.Claims{
		SourceRepositoryURI: "https://github.com/acme/app", SourceRepositoryIdentifier: "123456",
		SourceRepositoryOwnerIdentifier: "7890", SourceRepositoryRef: "refs/heads/main", SourceRepositoryDigest: "abc",
		BuildSignerURI: "https://github.com/acme/app/.github/workflows/r.yml@refs/heads/main", BuildTrigger: "push",
		RunnerEnvironment: "github-hosted",
	})
	want := identity.Claims{Repository: "https://github.com/acme/app", RepositoryID: "123456", RepositoryOwnerID: "7890",
		Ref: "refs/heads/main", Commit: "abc", WorkflowRef: "https://github.com/acme/app/.github/workflows/r.yml@refs/heads/main",
		Event: "push", Runner: "hosted"}
	if got != want {
		t.Fatalf("Claims = %+v, want %+v", got, want)
	}
}
