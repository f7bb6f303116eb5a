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
// repository and the workflow: its WorkflowRef "owner/repo/path@ref" when
// set, else Claims.Workflow as a path inside the repository.
//
// A WorkflowRef, when set, is the only source of the path: one that names
// a workflow of another repository (a reusable workflow the job calls) or
// holds more than one '@' is refused, never replaced by Claims.Workflow.
// Workflow is a workflow's name in GitHub's claims, which whoever writes
// the calling workflow chooses ("name: .ztci/release.yml"), and a path
// holding '@' (".ztci/release.yml@x.yml", a name git allows) cut at its
// first '@' would read as another workflow: either would certify the
// caller as the workflow it names.
//
// The subject is refused ([ErrURIPath], wrapped with [ErrConfig]) when
// [CheckURIPath] refuses it or it holds '?' or '#': a repository or
// workflow path holding "%2e%2e", "//", "%2f" or "%5c" names another
// workflow to a verifier that cleans the path.
func WorkflowSubject(forge string, c identity.Claims) (string, error) {
	u, err := url.Parse(forge)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%w: forge %q must be an https URL without query or fragment", ErrConfig, forge)
	}
	path := c.Workflow
	if c.WorkflowRef != "" {
		ref, _, _ := strings.Cut(c.WorkflowRef, "@")
		p, inRepo := strings.CutPrefix(ref, c.Repository+"/")
		if !inRepo || strings.Count(c.WorkflowRef, "@") != 1 {
			return "", fmt.Errorf("%w: WorkflowSubject: workflow_ref %q is not \"%s/<path>@<ref>\"", ErrConfig, c.WorkflowRef, c.Repository)
		}
		path = p
	}
	if c.Repository == "" || path == "" || strings.Contains(path, "@") || strings.Contains(path, "..") {
		return "", fmt.Errorf("%w: WorkflowSubject needs the repository and a workflow path", ErrConfig)
	}
	sub := strings.TrimSuffix(forge, "/") + "/" + c.Repository + "/" + strings.TrimPrefix(path, "/")
	// The subject is compared as a string by some and as a cleaned path
	// by others: a repository or path with an encoded dot segment, "//"
	// or an encoded separator names another workflow to the latter, and a
	// '?' or '#' ends the path early for them.
	if err := CheckURIPath(sub); err != nil {
		return "", fmt.Errorf("%w: WorkflowSubject: %w", ErrConfig, err)
	}
	if strings.ContainsAny(sub, "?#") {
		return "", fmt.Errorf("%w: WorkflowSubject: %w: '?' or '#' would end the path", ErrConfig, ErrURIPath)
	}
	return sub, nil
}
