package policy_test

import (
	"testing"
	"time"

	"github.com/ztci/ztci/policy"
)

// TestReview16UnreadableVEX: a VEX attestation of a counted signer that
// the rules could not read (the gate leaves vex out of an OpenVEX
// document it cannot parse; a statement naming no vulnerability; an
// OpenVEX predicate type of another version) was passed over, and an
// older "not_affected" statement of the same signer lifted the finding:
// the document not read may be the later "affected" about it. OpenVEX
// makes the latest statement about a vulnerability and product the one
// that holds; one the rules cannot read may be it. Such an artifact's
// findings are lifted by nothing.
func TestReview16UnreadableVEX(t *testing.T) {
	t.Parallel()
	const scan = 1
	cfg := acmeConfig()
	cfg.Deploy.DenySeverity = "high"
	cfg.Deploy.VEXSigners = []policy.AllowedSigner{{SAN: psirtWF, Issuer: ghIssuer}}
	e := newConfigured(t, cfg)
	older := time.Now().Add(-2 * time.Hour).UTC().Format(time.RFC3339)
	newer := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	// deployInput's finding: CVE-2025-0001, high.
	lift := policy.VEXStatement{Vulnerability: "CVE-2025-0001", Status: "not_affected",
		Justification: "vulnerable_code_not_in_execute_path", Timestamp: older}
	with := func(second policy.Attestation) policy.Input {
		in := deployInput()
		in.Artifacts[0].Attestations = append(in.Artifacts[0].Attestations, vexAttestation(lift), second)
		return in
	}
	unread := vexAttestation()
	unread.VEX = nil
	nameless := vexAttestation(policy.VEXStatement{Status: "affected", Timestamp: newer})
	otherVersion := vexAttestation(policy.VEXStatement{Vulnerability: "CVE-2025-0001", Status: "affected", Timestamp: newer})
	otherVersion.PredicateType = "https://openvex.dev/ns/v0.2.1"
	for name, att := range map[string]policy.Attestation{
		"VEX document the gate could not read": unread,
		"statement naming no vulnerability":    nameless,
		"OpenVEX of another version":           otherVersion,
	} {
		wantDeny(t, e, name, with(att), "deploy.vulnerability")
	}

	// A critical finding is not discounted from max_critical either.
	crit := with(unread)
	crit.Artifacts[0].Attestations[scan].Scan.Findings[0].Severity = "critical"
	crit.Artifacts[0].Attestations[scan].Scan.Critical, crit.Artifacts[0].Attestations[scan].Scan.High = 1, 0
	cfgCrit := acmeConfig()
	cfgCrit.Deploy.VEXSigners = cfg.Deploy.VEXSigners
	wantDeny(t, newConfigured(t, cfgCrit), "critical finding beside an unread VEX document", crit, "deploy.critical_findings")

	// Readable documents lift as before; an unreadable one of a signer
	// that is not counted changes nothing.
	other := unread
	other.Signer = policy.Signer{SAN: releaseWF, Issuer: ghIssuer}
	wantAllow(t, e, "lifted, beside an unread document of an uncounted signer", with(other))
	wantAllow(t, e, "lifted, beside a document about other vulnerabilities", with(vexAttestation(policy.VEXStatement{Vulnerability: "CVE-2025-9999", Status: "affected", Timestamp: newer})))
	wantAllow(t, e, "lifted, beside a document naming nothing about the artifact", with(vexAttestation()))
}
