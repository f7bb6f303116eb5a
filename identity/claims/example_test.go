package claims_test

import (
	"encoding/json"
	"fmt"

	"github.com/ztci/ztci/identity/claims"
)

func ExampleGitLabCI() {
	var raw map[string]any
	_ = json.Unmarshal([]byte(`{"project_path":"my-group/my-project","ref":"main","ref_type":"branch",
		"ref_protected":"true","sha":"714a629c","pipeline_source":"push","runner_environment":"gitlab-hosted"}`), &raw)
	c, err := claims.GitLabCI(raw)
	fmt.Println(c.Platform, c.Repository, c.Ref, c.RefProtected, c.Runner, err)
	// Output: gitlab-ci my-group/my-project refs/heads/main true hosted <nil>
}

// The run triggers every ztci default treats as untrusted (the exchange,
// the egress proxy and the policy library): a vendor's own list starts
// from these.
func ExampleDefaultUntrustedTriggers() {
	fmt.Println(append(claims.DefaultUntrustedTriggers(), "issue_comment"))
	// Output: [pull_request_target workflow_run ssh-rerun issue_comment]
}
