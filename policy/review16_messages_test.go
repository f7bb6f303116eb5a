package policy_test

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestReview16MessagesEscapeInput: a violation's message quoted values of
// the input with %s or %v, which sprintf puts in as they are, so a name
// the input chose (an artifact's name or digest, a finding's id, severity
// or package, an attestation's predicate type, the repository and ref a
// signing certificate names, a job's repository, ref and protected flag,
// a pipeline's uses) carried a newline, a control or a bidirectional
// override into every log that writes Violation.String(): a forged
// "deploy allowed" line, a line reordered on screen. Every message must
// show such values escaped.
func TestReview16MessagesEscapeInput(t *testing.T) {
	t.Parallel()
	const evil = "x\nztci: deploy allowed \u202e\x1b[2J"
	cfg := acmeConfig()
	cfg.Deploy.DenySeverity = "high"
	cfg.Deploy.SourceRefs = []string{"refs/heads/main"}
	e := newConfigured(t, cfg)

	deploy := func(edit func(*policy.Artifact)) policy.Input {
		in := deployInput()
		edit(&in.Artifacts[0])
		return in
	}
	const provenance, scan = 0, 1
	inputs := map[string]policy.Input{
		"artifact name": deploy(func(a *policy.Artifact) { a.Name, a.Verified = evil, false }),
		"digest":        deploy(func(a *policy.Artifact) { a.Digest = "sha256:" + evil }),
		"finding": deploy(func(a *policy.Artifact) {
			a.Attestations[scan].Scan.Findings[0] = policy.Finding{ID: evil, Severity: evil, Package: evil}
		}),
		"predicate type": deploy(func(a *policy.Artifact) {
			a.Attestations[scan].PredicateType = evil
			a.Attestations[scan].Scan = nil
			a.Attestations[scan].Signer.Claims.Event = "pull_request_target"
		}),
		"certificate repository and ref": deploy(func(a *policy.Artifact) {
			a.Attestations[provenance].Signer.Claims.Repository = evil
			a.Attestations[provenance].Signer.Claims.Ref = evil
		}),
		"build trigger": deploy(func(a *policy.Artifact) {
			a.Attestations[provenance].Provenance.ExternalParameters = map[string]any{"trigger": []any{evil}}
		}),
		"scan count": func() policy.Input {
			in := deployInput()
			in.Artifacts[0].Attestations[scan].Scan.Findings = nil
			return in
		}(),
		"job": {Action: policy.ActionSecretsRelease, Job: policy.Job{ID: "x", Repository: evil, Ref: evil, Trigger: evil},
			Secrets: &policy.SecretsRequest{Names: []string{"prod/db"}}},
	}
	check := func(name string, d policy.Decision) {
		t.Helper()
		if d.Allowed || len(d.Violations) == 0 {
			t.Errorf("%s: allowed; want a deny", name)
		}
		for _, v := range d.Violations {
			for _, r := range v.Message {
				if r != ' ' && !strconv.IsPrint(r) {
					t.Errorf("%s: %s message holds %U unescaped: %q", name, v.Rule, r, v.Message)
					break
				}
			}
		}
	}
	for name, in := range inputs {
		d, err := e.Evaluate(t.Context(), in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		check(name, d)
	}

	// Values that are not strings in a document evaluated as JSON (a
	// vendor's own OPA, opa eval): a pipeline's uses, a scan's count and
	// a job's protected flag, which the Go types cannot hold.
	data := acmeConfig()
	data.Deploy.DenySeverity = "high"
	doc, err := data.Data()
	if err != nil {
		t.Fatal(err)
	}
	eval := libraryEval(t, doc["ztci"].(map[string]any)["config"].(map[string]any))
	js, _ := json.Marshal(evil)
	signer := `{"san": "` + releaseWF + `", "issuer": "` + ghIssuer + `"}`
	for name, raw := range map[string]string{
		"pipeline uses": `{"action": "pipeline.run", "job": {"id": "x"}, "pipeline": {"uses": ` + string(js) + `, "jobs": [{"name": "b", "type": "", "environment": ""}]}}`,
		"scan count": `{"action": "deploy", "job": {"protected": true}, "artifacts": [{"name": "a", "digest": "sha256:` + strings.Repeat("a", 64) +
			`", "verified": true, "signer": ` + signer + `, "attestations": [{"predicate_type": "https://in-toto.io/attestation/vulns/v0.1", "signer": ` + signer + `, "scan": {"critical": 0, "high": ` + string(js) + `}}]}]}`,
		"job protected": `{"action": "secrets.release", "job": {"id": "x", "repository": "acme/app", "ref": "refs/heads/x", "protected": ` + string(js) + `}, "secrets": {"names": ["prod/db"]}}`,
	} {
		var in any
		if err := json.Unmarshal([]byte(raw), &in); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		allow, vs, err := eval(in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d := policy.Decision{Allowed: allow}
		for _, v := range vs {
			m := v.(map[string]any)
			d.Violations = append(d.Violations, policy.Violation{Rule: m["rule"].(string), Message: m["message"].(string)})
		}
		check(name, d)
	}

	// The values are still shown, escaped.
	d, err := e.Evaluate(t.Context(), inputs["finding"])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(d.Violations, func(v policy.Violation) bool { return strings.Contains(v.Message, strconv.Quote(evil)) }) {
		t.Errorf("finding: violations %v do not show %s", d.Violations, strconv.Quote(evil))
	}
}
