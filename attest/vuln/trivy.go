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
	for i, res := range r.Results {
		for j, v := range res.Vulnerabilities {
			if strings.TrimSpace(v.VulnerabilityID) == "" {
				return nil, fmt.Errorf("%w: trivy: Results[%d].Vulnerabilities[%d]: VulnerabilityID is empty", ErrInvalidReport, i, j)
			}
			s.Findings = append(s.Findings, Finding{
				ID:            v.VulnerabilityID,
				Aliases:       nonEmpty(v.VendorIDs),
				Severity:      ParseSeverity(v.Severity),
				Package:       Package{Name: v.PkgName, Version: v.InstalledVersion, PURL: v.PkgIdentifier.PURL},
				FixedVersions: nonEmpty(strings.Split(v.FixedVersion, ",")),
			})
		}
	}
	return s, nil
}

const trivyURI = "pkg:github/aquasecurity/trivy"
