package policy_test

import (
	"testing"
	"time"

	"github.com/ztci/ztci/policy"
)

// TestReview37FoldVEXRegistryNameASCII: a not_affected statement lifts a
// finding in a PyPI or NuGet package whose name it spells in another ASCII
// case only. Rego's lower() maps the Kelvin sign to "k" and "İ" to "i",
// so a statement about pkg:pypi/\u212aeras, a name PyPI refuses, lifted
// the finding in keras (attest/vex.MatchPURL is the same rule).
func TestReview37FoldVEXRegistryNameASCII(t *testing.T) {
	t.Parallel()
	const scan = 1
	cfg := acmeConfig()
	cfg.Deploy.DenySeverity = "high"
	cfg.Deploy.VEXSigners = []policy.AllowedSigner{{SAN: psirtWF, Issuer: ghIssuer}}
	e := newConfigured(t, cfg)
	older := time.Now().Add(-2 * time.Hour).UTC().Format(time.RFC3339)
	with := func(pkg, sub string) policy.Input {
		in := deployInput()
		art := &in.Artifacts[0]
		art.Attestations[scan].Scan.Findings[0].Package = pkg
		art.Attestations = append(art.Attestations, vexAttestation(policy.VEXStatement{
			Vulnerability: "CVE-2025-0001", Status: "not_affected",
			Justification: "vulnerable_code_not_in_execute_path", Timestamp: older,
			Subcomponents: []string{sub},
		}))
		return in
	}
	wantAllow(t, e, "pypi name in another ASCII case", with("pkg:pypi/keras@3.0.0", "pkg:pypi/Keras@3.0.0"))
	wantAllow(t, e, "nuget name in another ASCII case", with("pkg:nuget/kestrel@2.0.0", "pkg:nuget/KESTREL@2.0.0"))
	for _, tc := range []struct{ name, pkg, sub string }{
		{"pypi kelvin sign", "pkg:pypi/keras@3.0.0", "pkg:pypi/\u212aeras@3.0.0"},
		{"pypi dotted capital I", "pkg:pypi/pillow@3.0.0", "pkg:pypi/p\u0130llow@3.0.0"},
		{"nuget kelvin sign", "pkg:nuget/kestrel@2.0.0", "pkg:nuget/\u212aestrel@2.0.0"},
	} {
		wantDeny(t, e, tc.name, with(tc.pkg, tc.sub), "deploy.vulnerability")
	}
}
