package oidc

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/ztci/ztci/identity"
)

// WorkflowSubject is the subject for a job token that should certify the
// workflow rather than the branch: "<forge>/<repository>/<workflow path>",
// e.g. "https://git.example/acme/app/.ztci/release.yml".
//
// Why it matters: a CA (attest/ca, Fulcio) writes the token's subject into
// the signing certificate's SAN. The default subject of [Job] is GitHub's
// "repo:<repository>:ref:<ref>", so every branch signs as a different
// identity and a signer policy must list branches. With WorkflowSubject the
// SAN names the workflow file, one identity for all its runs, and the ref is
// still checked — through the certificate's sourceRepositoryRef claim and
// the policy's allowed refs — where it belongs.
//
// forge is the https URL the repository lives under; c must name the
// repository and the workflow (a path inside the repository, as in
// Claims.Workflow, or its workflow_ref "owner/repo/path@ref").
func WorkflowSubject(forge string, c identity.Claims) (string, error) {
	u, err := url.Parse(forge)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%w: forge %q must be an https URL without query or fragment", ErrConfig, forge)
	}
	path := c.Workflow
	if ref, _, ok := strings.Cut(c.WorkflowRef, "@"); ok && strings.HasPrefix(ref, c.Repository+"/") {
		path = strings.TrimPrefix(ref, c.Repository+"/")
	}
	if c.Repository == "" || path == "" || strings.Contains(path, "@") || strings.Contains(path, "..") {
		return "", fmt.Errorf("%w: WorkflowSubject needs the repository and a workflow path", ErrConfig)
	}
	return strings.TrimSuffix(forge, "/") + "/" + c.Repository + "/" + strings.TrimPrefix(path, "/"), nil
}
