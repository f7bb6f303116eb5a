package vuln

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ztci/ztci/internal/clip"
)

// grypeReport is the part of `grype -o json` this package reads. Field names
// are Grype's (grype/presenter/models/document.go, match.go).
type grypeReport struct {
	// A pointer, so that a JSON object without "matches" (not a Grype
	// report) is told apart from a report with no findings.
	Matches *[]grypeMatch `json:"matches"`
	// IgnoredMatches are matches an ignore rule moved out of "matches"
	// (.grype.yaml in the scanned directory, --only-fixed, --vex, Grype's
	// own defaults); an ignored match keeps the shape of a match.
	IgnoredMatches []grypeMatch `json:"ignoredMatches"`
	Descriptor     struct {
		Name      string  `json:"name"`
		Version   string  `json:"version"`
		Timestamp rfc3339 `json:"timestamp"`
	} `json:"descriptor"`
}

type grypeMatch struct {
	Vulnerability struct {
		ID       string `json:"id"`
		Severity string `json:"severity"`
		Fix      struct {
			Versions []string `json:"versions"`
		} `json:"fix"`
	} `json:"vulnerability"`
	RelatedVulnerabilities []struct {
		ID string `json:"id"`
	} `json:"relatedVulnerabilities"`
	Artifact struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		PURL    string `json:"purl"`
	} `json:"artifact"`
}

// ParseGrype reads the JSON report of `grype -o json`.
//
// It rejects input larger than MaxReportSize, anything but one JSON object
// without duplicate keys, a report without "matches" or whose
// descriptor.name is not "grype", values of the wrong JSON type, and a match
// without vulnerability.id; errors wrap ErrInvalidReport. Unknown fields are
// ignored, as Grype adds fields between releases. An empty
// descriptor.timestamp (Grype's own test snapshots redact it) gives a zero
// Scan.Time. Severity is normalised with ParseSeverity.
//
// The matches in "ignoredMatches" are findings too, after those of
// "matches": Grype moves a match there under an ignore rule, and the
// rules come from the scanning job's configuration (a .grype.yaml in the
// directory Grype runs in, --only-fixed, --vex), which nobody signs for.
// A finding is lifted by a VEX statement from a signer the gate trusts,
// not by the scanner's configuration.
func ParseGrype(b []byte) (*Scan, error) {
	if err := checkStrict(b, grypeSchema); err != nil {
		return nil, fmt.Errorf("%w: grype: %w", ErrInvalidReport, err)
	}
	var r grypeReport
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%w: grype: %w", ErrInvalidReport, err)
	}
	if r.Matches == nil {
		return nil, fmt.Errorf("%w: grype: no \"matches\" array", ErrInvalidReport)
	}
	if r.Descriptor.Name != "grype" {
		return nil, fmt.Errorf("%w: grype: descriptor.name %q, want \"grype\"", ErrInvalidReport, clip.String(r.Descriptor.Name, 64))
	}
	s := &Scan{
		Scanner: Scanner{Name: "grype", Version: r.Descriptor.Version, URI: grypeURI},
		Time:    utc(r.Descriptor.Timestamp.t),
	}
	// An ignored match is a finding: an ignore rule is configuration of
	// the scanning job (a .grype.yaml the scanned repository carries),
	// which nobody signs for. What lifts a finding is a VEX statement
	// from a signer the gate trusts.
	for _, l := range []struct {
		name string
		ms   []grypeMatch
	}{{"matches", *r.Matches}, {"ignoredMatches", r.IgnoredMatches}} {
		for i, m := range l.ms {
			if strings.TrimSpace(m.Vulnerability.ID) == "" {
				return nil, fmt.Errorf("%w: grype: %s[%d]: vulnerability.id is empty", ErrInvalidReport, l.name, i)
			}
			var aliases []string
			for _, rv := range m.RelatedVulnerabilities {
				aliases = append(aliases, rv.ID)
			}
			s.Findings = append(s.Findings, Finding{
				ID:            strings.TrimSpace(m.Vulnerability.ID),
				Aliases:       nonEmpty(aliases),
				Severity:      ParseSeverity(m.Vulnerability.Severity),
				Package:       Package{Name: m.Artifact.Name, Version: m.Artifact.Version, PURL: m.Artifact.PURL},
				FixedVersions: nonEmpty(m.Vulnerability.Fix.Versions),
			})
		}
	}
	return s, nil
}

const grypeURI = "pkg:github/anchore/grype"

// rfc3339 decodes a JSON string holding an RFC 3339 time; "" and an absent
// field give the zero time, any other JSON type is an error.
type rfc3339 struct{ t time.Time }

func (r *rfc3339) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("time: %w", err)
	}
	if s == "" {
		r.t = time.Time{}
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("time %q: not RFC 3339", clip.String(s, 64))
	}
	r.t = t
	return nil
}
