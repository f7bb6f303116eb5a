package policy_test

import (
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestReview18UnlistedCriticalNotLifted: the critical count was the
// larger of the scan's critical count and the findings it listed as
// critical or of an unrecognised severity, and a VEX lift of any of the
// listed ones was taken off it. A scan counting one critical that it does
// not list, and listing one "unknown" finding, had a count of 1; a VEX
// statement lifting the "unknown" finding took it to 0, and the
// unlisted critical, which nothing can lift, passed max_critical 0. Now
// the criticals a scan counts but does not list as critical are counted
// beside the listed findings.
func TestReview18UnlistedCriticalNotLifted(t *testing.T) {
	t.Parallel()
	const vexSAN = "https://github.com/acme/security/.github/workflows/vex.yml@refs/heads/main"
	cfg := acmeConfig()
	cfg.Deploy.VEXSigners = []policy.AllowedSigner{{SAN: vexSAN, Issuer: ghIssuer}}
	e := newConfigured(t, cfg)
	in := func(critical int, findings ...policy.Finding) policy.Input {
		in := deployInput()
		a := &in.Artifacts[0]
		a.Attestations[1].Scan = &policy.Scan{Scanner: "trivy", Critical: critical, Findings: findings}
		a.Attestations = append(a.Attestations, policy.Attestation{
			PredicateType: "https://openvex.dev/ns/v0.2.0",
			Signer:        policy.Signer{SAN: vexSAN, Issuer: ghIssuer},
			VEX: &policy.VEX{Statements: []policy.VEXStatement{{
				Vulnerability: "CVE-2025-0001", Status: "not_affected",
				Justification: "vulnerable_code_not_present", Timestamp: "2025-01-01T00:00:00Z",
			}}},
		})
		return in
	}
	lifted := func(sev string) policy.Finding {
		return policy.Finding{ID: "CVE-2025-0001", Severity: sev, Package: "pkg:npm/left-pad@1.0.0"}
	}
	for _, sev := range []string{"unknown", "", "9.8", "Critical-ish"} {
		wantDeny(t, e, "one unlisted critical beside a lifted "+quote(sev), in(1, lifted(sev)), "deploy.critical_findings")
	}
	wantDeny(t, e, "two counted, one listed and lifted", in(2, lifted("critical")), "deploy.critical_findings")

	// What the scan lists and a statement lifts is lifted.
	wantAllow(t, e, "the counted critical listed and lifted", in(1, lifted("critical")))
	wantAllow(t, e, "an unknown finding lifted", in(0, lifted("unknown")))
	wantAllow(t, e, "a critical spelled otherwise, counted, listed and lifted", in(1, lifted("Critical")))
}
