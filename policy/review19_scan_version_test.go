package policy_test

import (
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestReview19ScanOfAnotherVersion: a signed scan of another version of a
// known scan predicate type ("https://in-toto.io/attestation/vulns/v0.3",
// "https://cosign.sigstore.dev/attestation/vuln/v2"), which the gate does
// not summarize, was passed over as not a scan: one listing a critical
// finding let the artifact deploy. It is judged as a scan now, and one
// without a summary the rules can read is denied
// (deploy.scan_unreadable), as a secrets provenance or OpenVEX document of
// another version is.
func TestReview19ScanOfAnotherVersion(t *testing.T) {
	t.Parallel()
	e := newBuiltin(t)
	const scan = 1
	for _, pt := range []string{
		"https://in-toto.io/attestation/vulns/v0.3",
		"https://in-toto.io/attestation/vulns/v1",
		"https://cosign.sigstore.dev/attestation/vuln/v2",
	} {
		in := deployInput()
		a := &in.Artifacts[0].Attestations[scan]
		a.PredicateType, a.Scan = pt, nil
		wantDeny(t, e, "unsummarized scan of type "+pt, in, "deploy.scan_unreadable")

		// Summarized, it is judged as any scan is.
		in = deployInput()
		a = &in.Artifacts[0].Attestations[scan]
		a.PredicateType = pt
		wantAllow(t, e, "clean scan of type "+pt, in)
		a.Scan.Critical, a.Scan.Findings = 1, []policy.Finding{{ID: "CVE-2025-0002", Severity: "critical", Package: "pkg:npm/left-pad@1.0.0"}}
		wantDeny(t, e, "critical in a scan of type "+pt, in, "deploy.critical_findings")
	}

	// Other types stay outside: an SBOM is not a scan.
	in := deployInput()
	a := &in.Artifacts[0].Attestations[scan]
	a.PredicateType, a.Scan = "https://cyclonedx.org/bom", nil
	wantAllow(t, e, "an SBOM", in)
}
