package vuln

import (
	"encoding/json"
	"fmt"
	"strings"
)

// trivyReport is the part of `trivy image --format json` (report
// SchemaVersion 2, Trivy ≥ 0.20) this package reads. Field names are
// Trivy's (pkg/types/report.go, pkg/types/vulnerability.go).
type trivyReport struct {
	SchemaVersion int `json:"SchemaVersion"`
	Trivy         struct {
		Version string `json:"Version"`
	} `json:"Trivy"`
	CreatedAt rfc3339 `json:"CreatedAt"`
	Results   []struct {
		Vulnerabilities []trivyVuln `json:"Vulnerabilities"`
		// ModifiedFindings are the findings Trivy suppressed
		// (.trivyignore, an ignore policy, --vex), listed with
		// --show-suppressed. Finding is a vulnerability for Type
		// "vulnerability", else another scanner's finding
		// (misconfiguration, secret, license). Typed, so that the
		// report's element budget covers it: the other finding types
		// share no member with a vulnerability.
		ModifiedFindings []struct {
			Type    string     `json:"Type"`
			Finding *trivyVuln `json:"Finding"`
		} `json:"ExperimentalModifiedFindings"`
	} `json:"Results"`
}

type trivyVuln struct {
	VulnerabilityID string   `json:"VulnerabilityID"`
	VendorIDs       []string `json:"VendorIDs"`
	PkgName         string   `json:"PkgName"`
	PkgIdentifier   struct {
		PURL string `json:"PURL"`
	} `json:"PkgIdentifier"`
	InstalledVersion string `json:"InstalledVersion"`
	FixedVersion     string `json:"FixedVersion"`
	Severity         string `json:"Severity"`
}

// ParseTrivy reads the JSON report of `trivy image --format json` (or any
// Trivy target with the same report format, SchemaVersion 2).
//
// It rejects input larger than MaxReportSize, anything but one JSON object
// without duplicate keys, another SchemaVersion, values of the wrong JSON
// type, and a vulnerability without VulnerabilityID; errors wrap
// ErrInvalidReport. Unknown fields are ignored: Trivy adds fields between
// releases and a parser that refused them would break on every upgrade.
// Severity is normalised with ParseSeverity; FixedVersion is split at commas.
//
// The vulnerabilities of a result's ExperimentalModifiedFindings (written
// with --show-suppressed) are findings too, after every result's
// Vulnerabilities: Trivy suppresses them under the scanning job's
// configuration (a .trivyignore in the directory Trivy runs in, an ignore
// policy, --vex), which nobody signs for. A finding is lifted by a VEX
// statement from a signer the gate trusts, not by the scanner's
// configuration. Trivy leaves what it suppressed out of the report
// without --show-suppressed, and what --severity, --ignore-unfixed and
// --ignore-status filter out in every case: run it with
// --show-suppressed and without those filters.
func ParseTrivy(b []byte) (*Scan, error) {
	if err := checkStrict(b, trivySchema); err != nil {
		return nil, fmt.Errorf("%w: trivy: %w", ErrInvalidReport, err)
	}
	var r trivyReport
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%w: trivy: %w", ErrInvalidReport, err)
	}
	if r.SchemaVersion != 2 {
		return nil, fmt.Errorf("%w: trivy: SchemaVersion %d, want 2 (Trivy ≥ 0.20 JSON report)", ErrInvalidReport, r.SchemaVersion)
	}
	s := &Scan{
		Scanner: Scanner{Name: "trivy", Version: r.Trivy.Version, URI: trivyURI},
		Time:    utc(r.CreatedAt.t),
	}
	// add appends v; false when it has no id.
	add := func(v trivyVuln) bool {
		if strings.TrimSpace(v.VulnerabilityID) == "" {
			return false
		}
		s.Findings = append(s.Findings, Finding{
			ID:            strings.TrimSpace(v.VulnerabilityID),
			Aliases:       nonEmpty(v.VendorIDs),
			Severity:      ParseSeverity(v.Severity),
			Package:       Package{Name: v.PkgName, Version: v.InstalledVersion, PURL: v.PkgIdentifier.PURL},
			FixedVersions: nonEmpty(strings.Split(v.FixedVersion, ",")),
		})
		return true
	}
	for i, res := range r.Results {
		for j, v := range res.Vulnerabilities {
			if !add(v) {
				return nil, fmt.Errorf("%w: trivy: Results[%d].Vulnerabilities[%d]: VulnerabilityID is empty", ErrInvalidReport, i, j)
			}
		}
	}
	// A suppressed vulnerability is a finding: what suppressed it is
	// configuration of the scanning job (a .trivyignore in the scanned
	// repository), which nobody signs for. Any modified finding that
	// carries a VulnerabilityID is one, whatever its Type says.
	for i, res := range r.Results {
		for j, m := range res.ModifiedFindings {
			vulnType := m.Type == "vulnerability"
			switch {
			case m.Finding == nil && !vulnType:
			case m.Finding == nil:
				return nil, fmt.Errorf("%w: trivy: Results[%d].ExperimentalModifiedFindings[%d]: Finding is missing", ErrInvalidReport, i, j)
			case !add(*m.Finding) && vulnType:
				return nil, fmt.Errorf("%w: trivy: Results[%d].ExperimentalModifiedFindings[%d].Finding: VulnerabilityID is empty", ErrInvalidReport, i, j)
			}
		}
	}
	return s, nil
}

const trivyURI = "pkg:github/aquasecurity/trivy"
