package policy_test

import (
	"fmt"
	"testing"

	"github.com/ztci/ztci/policy"
)

// vexInput is deployInput with a signed scan of n findings (a critical one
// per package) and, when lift, a VEX attestation from psirt holding one
// not_affected statement per finding, each about the finding's package.
func vexInput(n int, lift bool) policy.Input {
	in := deployInput()
	art := &in.Artifacts[0]
	scan := &policy.Scan{Scanner: "osv-scanner", ScannedAt: "2026-12-05T09:00:00Z", Critical: n}
	vex := &policy.VEX{Statements: []policy.VEXStatement{}}
	for i := range n {
		id := fmt.Sprintf("CVE-2026-%05d", i)
		pkg := fmt.Sprintf("pkg:golang/example.com/mod%d", i)
		scan.Findings = append(scan.Findings, policy.Finding{ID: id, Aliases: []string{fmt.Sprintf("GHSA-%05d", i)}, Severity: "critical", Package: pkg + "@v1.0.0"})
		vex.Statements = append(vex.Statements, policy.VEXStatement{Vulnerability: id, Status: "not_affected",
			Justification: "vulnerable_code_not_in_execute_path", Timestamp: "2026-12-05T08:00:00Z", Subcomponents: []string{pkg}})
	}
	art.Attestations[1] = policy.Attestation{PredicateType: "https://in-toto.io/attestation/vulns/v0.1", Signer: art.Attestations[1].Signer, Scan: scan}
	if lift {
		art.Attestations = append(art.Attestations, policy.Attestation{PredicateType: "https://openvex.dev/ns/v0.2.0",
			Signer: policy.Signer{SAN: psirtWF, Issuer: ghIssuer}, VEX: vex})
	}
	return in
}

const psirtWF = "https://github.com/acme/psirt/.github/workflows/vex.yml@refs/heads/main"

// BenchmarkDeployVEX measures, in one run, the built-in deploy decision
// on a scan of n critical findings: denied by the count rule alone
// (max_critical, the peer: what a scan costs without VEX), denied per
// finding by deny_severity with no VEX, and allowed because one VEX
// statement per finding lifts it (every finding looked up against every
// statement).
func BenchmarkDeployVEX(b *testing.B) {
	for _, n := range []int{10, 100, 500} {
		cfg := acmeConfig()
		cfg.Deploy.VEXSigners = []policy.AllowedSigner{{SAN: psirtWF, Issuer: ghIssuer}}
		withSeverity := cfg
		withSeverity.Deploy.DenySeverity = "high"
		for _, tc := range []struct {
			name    string
			cfg     policy.LibraryConfig
			lift    bool
			allowed bool
		}{
			{"count_rule_only", cfg, false, false},
			{"deny_severity_no_vex", withSeverity, false, false},
			{"deny_severity_all_lifted", withSeverity, true, true},
		} {
			b.Run(fmt.Sprintf("findings=%d/%s", n, tc.name), func(b *testing.B) {
				e := newConfigured(b, tc.cfg)
				in := vexInput(n, tc.lift)
				b.ReportAllocs()
				for b.Loop() {
					d, err := e.Evaluate(b.Context(), in)
					if err != nil || d.Allowed != tc.allowed {
						b.Fatal(d.Allowed, err)
					}
				}
			})
		}
	}
}
