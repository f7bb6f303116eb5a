package policy_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/ztci/ztci/policy"
)

// TestReview19MalformedEvidenceDenied: parts of the evidence the deploy
// rules read for a deny, of another JSON type than they read, read as
// saying nothing, and so as nothing to deny. The Go types cannot carry
// them; `opa eval`, a vendor's own OPA or converter, can. A scan whose
// findings were an object, or whose critical finding was a string,
// passed max_critical 0 as clean; a finding's or a VEX statement's
// aliases that were not a list hid a later "affected" statement naming
// the vulnerability by that alias from a lift; certificate claims that
// were not an object hid the untrusted trigger they named, and a
// provenance's external_parameters that were not an object hid its
// trigger. Each is now denied with a reason.
func TestReview19MalformedEvidenceDenied(t *testing.T) {
	t.Parallel()
	cfg := acmeConfig()
	cfg.Deploy.VEXSigners = []policy.AllowedSigner{{SAN: psirtWF, Issuer: ghIssuer}}
	doc, err := cfg.Data()
	if err != nil {
		t.Fatal(err)
	}
	eval := libraryEval(t, doc["ztci"].(map[string]any)["config"].(map[string]any))
	older := time.Now().Add(-2 * time.Hour).UTC().Format(time.RFC3339)
	newer := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)

	// raw is deployInput as JSON, with edit applied to its artifact;
	// attestations[0] is the provenance, [1] the scan.
	raw := func(edit func(a map[string]any)) any {
		b, err := json.Marshal(deployInput())
		if err != nil {
			t.Fatal(err)
		}
		var in map[string]any
		if err := json.Unmarshal(b, &in); err != nil {
			t.Fatal(err)
		}
		edit(in["artifacts"].([]any)[0].(map[string]any))
		return in
	}
	att := func(a map[string]any, i int) map[string]any { return a["attestations"].([]any)[i].(map[string]any) }
	scan := func(a map[string]any) map[string]any { return att(a, 1)["scan"].(map[string]any) }
	critical := map[string]any{"id": "CVE-2025-0002", "severity": "critical", "package": "pkg:npm/left-pad@1.0.0"}
	vex := func(statements ...map[string]any) map[string]any {
		ss := make([]any, len(statements))
		for i, s := range statements {
			ss[i] = s
		}
		return map[string]any{
			"predicate_type": "https://openvex.dev/ns/v0.2.0",
			"signer":         map[string]any{"san": psirtWF, "issuer": ghIssuer, "claims": map[string]any{}},
			"vex":            map[string]any{"statements": ss},
		}
	}
	statement := func(vuln, status, when string, aliases any) map[string]any {
		s := map[string]any{"vulnerability": vuln, "status": status, "timestamp": when}
		if status == "not_affected" {
			s["justification"] = "vulnerable_code_not_present"
		}
		if aliases != nil {
			s["aliases"] = aliases
		}
		return s
	}
	// liftedThenAffected: a critical finding, lifted by an older
	// statement about findingID and named by a newer "affected" one
	// about CVE-2025-0002 through the aliases given.
	liftedThenAffected := func(findingID string, findingAliases any, affected map[string]any) any {
		return raw(func(a map[string]any) {
			f := map[string]any{"id": findingID, "severity": "critical", "package": "pkg:npm/left-pad@1.0.0"}
			if findingAliases != nil {
				f["aliases"] = findingAliases
			}
			s := scan(a)
			s["critical"], s["high"], s["findings"] = 1, 0, []any{f}
			a["attestations"] = append(a["attestations"].([]any), vex(statement(findingID, "not_affected", older, nil), affected))
		})
	}

	for _, c := range []struct {
		name string
		in   any
		rule string
	}{
		{"findings an object holding a critical", raw(func(a map[string]any) {
			scan(a)["findings"] = map[string]any{"0": critical}
		}), "deploy.scan_unreadable"},
		{"a critical finding that is a string", raw(func(a map[string]any) {
			scan(a)["findings"] = []any{"CVE-2025-0002 critical left-pad"}
		}), "deploy.scan_unreadable"},
		{"findings null", raw(func(a map[string]any) { scan(a)["findings"] = nil }), "deploy.scan_unreadable"},
		{"a finding's aliases a string", liftedThenAffected("GHSA-aaaa-bbbb-cccc", "CVE-2025-0002",
			statement("CVE-2025-0002", "affected", newer, nil)), "deploy.scan_unreadable"},
		{"a VEX statement's aliases a string", liftedThenAffected("CVE-2025-0002", nil,
			statement("GHSA-aaaa-bbbb-cccc", "affected", newer, "CVE-2025-0002")), "deploy.critical_findings"},
		{"the signature's claims a list naming an untrusted trigger", raw(func(a map[string]any) {
			a["signer"].(map[string]any)["claims"] = []any{map[string]any{"event": "pull_request_target"}}
		}), "deploy.malformed"},
		{"a provenance's signer claims a string", raw(func(a map[string]any) {
			att(a, 0)["signer"].(map[string]any)["claims"] = "event=pull_request_target"
		}), "deploy.malformed"},
		{"a provenance's signer claims null", raw(func(a map[string]any) {
			att(a, 0)["signer"].(map[string]any)["claims"] = nil
		}), "deploy.malformed"},
		{"a provenance's external_parameters a list naming an untrusted trigger", raw(func(a map[string]any) {
			att(a, 0)["provenance"].(map[string]any)["external_parameters"] = []any{map[string]any{"trigger": "pull_request_target"}}
		}), "deploy.malformed"},
	} {
		allow, vs, err := eval(c.in)
		if err != nil || allow || !slices.Contains(violationRules(vs), c.rule) {
			t.Errorf("%s: allowed %v, violations %v, error %v; want a deny with %s", c.name, allow, violationRules(vs), err, c.rule)
		}
	}

	// Well-formed evidence reads as before: no findings, no claims and no
	// external_parameters say nothing, and list-valued aliases still let
	// the later "affected" statement count against the lift.
	for _, c := range []struct {
		name string
		in   any
	}{
		{"as built", raw(func(map[string]any) {})},
		{"no findings member", raw(func(a map[string]any) { delete(scan(a), "findings") })},
		{"no claims members", raw(func(a map[string]any) {
			delete(a["signer"].(map[string]any), "claims")
			delete(att(a, 0)["signer"].(map[string]any), "claims")
			delete(att(a, 0)["provenance"].(map[string]any), "external_parameters")
		})},
		{"lifted, with aliases", liftedThenAffected("GHSA-aaaa-bbbb-cccc", []any{"CVE-2025-0002"},
			statement("CVE-2025-9999", "affected", newer, []any{"GHSA-zzzz-zzzz-zzzz"}))},
	} {
		if allow, vs, err := eval(c.in); err != nil || !allow {
			t.Errorf("%s: denied (%v, %v); want allowed", c.name, violationRules(vs), err)
		}
	}
	for name, in := range map[string]any{
		"a finding's aliases a list": liftedThenAffected("GHSA-aaaa-bbbb-cccc", []any{"CVE-2025-0002"},
			statement("CVE-2025-0002", "affected", newer, nil)),
		"a VEX statement's aliases a list": liftedThenAffected("CVE-2025-0002", nil,
			statement("GHSA-aaaa-bbbb-cccc", "affected", newer, []any{"CVE-2025-0002"})),
	} {
		if allow, vs, err := eval(in); err != nil || allow {
			t.Errorf("%s: allowed %v (%v, %v); want the later affected statement to hold", name, allow, violationRules(vs), err)
		}
	}
}

// violationRules are the rule names of violations as the library's raw
// decision holds them.
func violationRules(vs []any) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		if m, ok := v.(map[string]any); ok {
			if r, ok := m["rule"].(string); ok {
				out = append(out, r)
			}
		}
	}
	return out
}
