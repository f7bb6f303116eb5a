package gate_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/vuln"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/verify"
)

// A verified vulns v0.1 attestation reaches policy as a scan summary, and
// the built-in deploy rules act on it; a scan predicate that does not read
// reaches policy as an unreadable scan, never as a clean one.
func TestScanReachesPolicy(t *testing.T) {
	t.Parallel()
	digest := strings.Repeat("c", 64)
	subject := attest.ResourceDescriptor{Name: "registry.example/acme/app", Digest: attest.DigestSet{"sha256": digest}}
	scan := vuln.Scan{
		Scanner: vuln.Scanner{Name: "trivy", Version: "0.58.1", URI: "pkg:github/aquasecurity/trivy"},
		Time:    time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		Findings: []vuln.Finding{
			{ID: "CVE-2024-3094", Severity: vuln.SeverityCritical, Package: vuln.Package{Name: "xz-utils", Version: "5.6.0", PURL: "pkg:deb/debian/xz-utils@5.6.0"}},
			{ID: "CVE-2023-0001", Severity: vuln.SeverityLow, Package: vuln.Package{Name: "zlib", Version: "1.2.13"}},
		},
	}
	st, err := attest.NewStatement([]attest.ResourceDescriptor{subject}, vuln.Predicate(scan))
	if err != nil {
		t.Fatal(err)
	}
	signer := verify.SignerInfo{Kind: verify.SignerCertificate, SAN: "https://git.example/acme/app/.ztci/release.yml", Issuer: "https://ci.example"}
	att := gate.Attestation(&verify.Result{Statement: st, Signer: signer})
	if att.Scan == nil || att.Scan.Critical != 1 || att.Scan.Low != 1 || att.Scan.Scanner != "trivy 0.58.1" ||
		att.Scan.Findings[1].Package != "zlib@1.2.13" {
		t.Fatalf("scan for policy = %+v", att.Scan)
	}

	eng, err := policy.New(t.Context(), policy.BuiltinWith(policy.LibraryConfig{Deploy: policy.DeployConfig{
		Signers: []policy.AllowedSigner{{SAN: "https://git.example/acme/app/.ztci/release.yml", Issuer: "https://ci.example"}},
	}}))
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	rules := func(a policy.Attestation) []string {
		d, err := eng.Evaluate(t.Context(), policy.Input{Action: policy.ActionDeploy,
			Artifacts: []policy.Artifact{{Name: subject.Name, Digest: "sha256:" + digest, Verified: true, Attestations: []policy.Attestation{a}}}})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, v := range d.Violations {
			out = append(out, v.Rule)
		}
		return out
	}
	if r := rules(att); !slices.Contains(r, "deploy.critical_findings") {
		t.Fatalf("rules %v, want deploy.critical_findings for a signed scan with a critical finding", r)
	}
	unreadable := *st
	unreadable.Predicate = []byte(`{"scanner":{}}`)
	bad := gate.Attestation(&verify.Result{Statement: &unreadable, Signer: signer})
	if bad.Scan != nil {
		t.Fatalf("an unreadable scan became %+v", bad.Scan)
	}
	if r := rules(bad); !slices.Contains(r, "deploy.scan_unreadable") {
		t.Fatalf("rules %v, want deploy.scan_unreadable", r)
	}
}

// With MaxScanAge set, a signed scan older than it, or without a time, is
// denied (deploy.scan_too_old); a fresh one is not.
func TestScanAge(t *testing.T) {
	t.Parallel()
	signer := verify.SignerInfo{Kind: verify.SignerCertificate, SAN: "https://git.example/acme/app/.ztci/release.yml", Issuer: "https://ci.example"}
	eng, err := policy.New(t.Context(), policy.BuiltinWith(policy.LibraryConfig{Deploy: policy.DeployConfig{
		Signers:    []policy.AllowedSigner{{SAN: signer.SAN, Issuer: signer.Issuer}},
		MaxScanAge: 24 * time.Hour,
	}}))
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	digest := "sha256:" + strings.Repeat("d", 64)
	tooOld := func(scannedAt string) bool {
		att := policy.Attestation{PredicateType: vuln.PredicateType, Signer: gate.Signer(signer),
			Scan: &policy.Scan{Scanner: "trivy 0.58.1", ScannedAt: scannedAt}}
		d, err := eng.Evaluate(t.Context(), policy.Input{Action: policy.ActionDeploy,
			Artifacts: []policy.Artifact{{Name: "registry.example/acme/app", Digest: digest, Verified: true, Attestations: []policy.Attestation{att}}}})
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(d.Violations, func(v policy.Violation) bool { return v.Rule == "deploy.scan_too_old" })
	}
	now := time.Now().UTC()
	for _, tt := range []struct {
		name      string
		scannedAt string
		want      bool
	}{
		{"an hour ago", now.Add(-time.Hour).Format(time.RFC3339), false},
		{"two days ago", now.Add(-48 * time.Hour).Format(time.RFC3339), true},
		{"no time", "", true},
		{"not a time", "yesterday", true},
	} {
		if got := tooOld(tt.scannedAt); got != tt.want {
			t.Errorf("%s: scan_too_old = %v, want %v", tt.name, got, tt.want)
		}
	}
}
