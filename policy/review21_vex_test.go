package policy_test

import (
	"testing"
	"time"

	"github.com/ztci/ztci/policy"
)

// TestReview21VEXContraryMayName: a later "affected" (or
// under_investigation) statement about the finding's package, spelled
// otherwise than the scanner spelled it — a version without Go's "v", a
// leading zero, an epoch, a qualifier the finding lacks, a name in another
// case — was read as being about another package, and an earlier
// not_affected kept lifting the finding. A contrary statement now cancels
// the lift unless it is certainly about another package; lifting itself
// stays exact.
func TestReview21VEXContraryMayName(t *testing.T) {
	t.Parallel()
	const scan = 1
	cfg := acmeConfig()
	cfg.Deploy.DenySeverity = "high"
	cfg.Deploy.VEXSigners = []policy.AllowedSigner{{SAN: psirtWF, Issuer: ghIssuer}}
	e := newConfigured(t, cfg)
	older := time.Now().Add(-2 * time.Hour).UTC().Format(time.RFC3339)
	newer := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	lift := policy.VEXStatement{Vulnerability: "CVE-2025-0001", Status: "not_affected",
		Justification: "vulnerable_code_not_in_execute_path", Timestamp: older}
	contrary := func(status string, subs ...string) policy.VEXStatement {
		return policy.VEXStatement{Vulnerability: "CVE-2025-0001", Status: status, Timestamp: newer, Subcomponents: subs}
	}
	with := func(pkg string, ss ...policy.VEXStatement) policy.Input {
		in := deployInput()
		art := &in.Artifacts[0]
		if pkg != "" {
			art.Attestations[scan].Scan.Findings[0].Package = pkg
		}
		art.Attestations = append(art.Attestations, vexAttestation(ss...))
		return in
	}
	// deployInput's finding: CVE-2025-0001 in pkg:golang/golang.org/x/net@v0.1.0.
	for _, tc := range []struct{ name, pkg, sub, status string }{
		{"version without v", "", "pkg:golang/golang.org/x/net@0.1.0", "affected"},
		{"version with trailing zero and upper-case V", "", "pkg:golang/golang.org/x/net@V0.1.0.0", "under_investigation"},
		{"leading zero", "pkg:gem/rails@7.0.1", "pkg:gem/rails@7.0.01", "affected"},
		{"epoch and separators", "pkg:deb/debian/glibc@2.36-9?arch=amd64", "pkg:deb/debian/glibc@1:2.36.9", "affected"},
		{"qualifier the finding lacks", "", "pkg:golang/golang.org/x/net@v0.1.0?goos=linux", "affected"},
		{"qualifiers in another order", "pkg:deb/debian/glibc@2.36-9?arch=amd64&distro=debian-12", "pkg:deb/debian/glibc@2.36-9?distro=debian-12&arch=amd64", "affected"},
		{"qualifier of another value", "pkg:deb/debian/glibc@2.36-9?arch=amd64", "pkg:deb/debian/glibc@2.36-9?arch=arm64", "affected"},
		{"name in another case", "", "pkg:golang/golang.org/X/Net@v0.1.0", "affected"},
		{"finding without version", "pkg:golang/golang.org/x/net", "pkg:golang/golang.org/x/net@v0.1.0", "affected"},
		{"pypi separators", "pkg:pypi/zope.interface@5.4", "pkg:pypi/Zope_Interface@5.4.0", "affected"},
	} {
		wantDeny(t, e, tc.name, with(tc.pkg, lift, contrary(tc.status, tc.sub)), "deploy.vulnerability")
	}
	// Certainly another package, or another version, or older: the lift
	// holds.
	for _, tc := range []struct{ name, sub string }{
		{"another version", "pkg:golang/golang.org/x/net@v0.2.0"},
		{"another pre-release", "pkg:golang/golang.org/x/net@v0.1.0-rc.1"},
		{"another name", "pkg:golang/golang.org/x/text@v0.1.0"},
		{"another type", "pkg:npm/net@0.1.0"},
	} {
		wantAllow(t, e, tc.name, with("", lift, contrary("affected", tc.sub)))
	}
	earlier := contrary("affected", "pkg:golang/golang.org/x/net@0.1.0")
	earlier.Timestamp = time.Now().Add(-3 * time.Hour).UTC().Format(time.RFC3339)
	wantAllow(t, e, "earlier affected, version without v", with("", earlier, lift))
	// A lifting statement still names the finding's package exactly.
	loose := lift
	loose.Subcomponents = []string{"pkg:golang/golang.org/x/net@0.1.0"}
	wantDeny(t, e, "lifting statement with another version spelling", with("", loose), "deploy.vulnerability")
}
