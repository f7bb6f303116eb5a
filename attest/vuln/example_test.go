package vuln_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/vuln"
)

// Turn a Trivy report into an in-toto Statement about the scanned image and
// read it back. In production the Statement is signed (attest.Signer) before
// it leaves the job, and ParseScan is only trusted after verification.
func Example() {
	report, err := os.ReadFile("testdata/trivy-alpine-39-high-critical.json")
	if err != nil {
		panic(err)
	}
	scan, err := vuln.ParseTrivy(report)
	if err != nil {
		panic(err)
	}
	image := attest.ResourceDescriptor{
		Name:   "ghcr.io/aquasecurity/trivy-test-images:alpine-39",
		Digest: attest.DigestSet{"sha256": strings.Repeat("0", 64)},
	}
	st, err := attest.NewStatement([]attest.ResourceDescriptor{image}, vuln.Predicate(*scan))
	if err != nil {
		panic(err)
	}
	b, err := json.Marshal(st)
	if err != nil {
		panic(err)
	}

	back, err := vuln.ParseScan(b)
	if err != nil {
		panic(err)
	}
	fmt.Println(st.PredicateType)
	fmt.Println(back.Scanner.Name, back.Time.Format("2006-01-02"))
	for _, f := range back.Findings {
		fmt.Println(f.ID, f.Severity, f.Package.PURL, "fixed in", f.FixedVersions)
	}
	// Output:
	// https://in-toto.io/attestation/vulns/v0.1
	// trivy 2021-08-25
	// CVE-2019-14697 critical pkg:apk/alpine/musl@1.1.20-r4?arch=x86_64&distro=3.9.4 fixed in [1.1.20-r5]
	// CVE-2019-14697 critical pkg:apk/alpine/musl-utils@1.1.20-r4?arch=x86_64&distro=3.9.4 fixed in [1.1.20-r5]
}

// Grype and Trivy severities land on the same five values.
func ExampleParseSeverity() {
	for _, s := range []string{"CRITICAL", "High", "Negligible", "UNKNOWN", "None"} {
		fmt.Println(s, "→", vuln.ParseSeverity(s))
	}
	// Output:
	// CRITICAL → critical
	// High → high
	// Negligible → low
	// UNKNOWN → unknown
	// None → unknown
}

// osv-scanner's report has no time: set the time the scanner ran before
// writing the predicate.
func ExampleParseOSVScanner() {
	report, err := os.ReadFile("testdata/osv-scanner-filter-some.json")
	if err != nil {
		panic(err)
	}
	scan, err := vuln.ParseOSVScanner(report)
	if err != nil {
		panic(err)
	}
	scan.Time = time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC) // when the job ran osv-scanner
	if _, err := vuln.Predicate(*scan).PredicateJSON(); err != nil {
		panic(err)
	}
	for _, f := range scan.Findings[4:7] {
		fmt.Println(f.ID, f.Aliases, f.Severity, f.Package.PURL, f.Package.Version)
	}
	// Output:
	// GHSA-fxg5-wq6x-vr4w [CVE-2022-41721 GO-2023-1495] high pkg:golang/golang.org/x/net 0.1.0
	// GO-2022-1144 [CVE-2022-41717 GHSA-xrjj-mj9h-534m] unknown pkg:golang/golang.org/x/net 0.1.0
	// GHSA-vvpx-j8f3-3w6h [CVE-2022-41723 GO-2023-1571] high pkg:golang/golang.org/x/net 0.1.0
}
