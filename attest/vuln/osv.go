package vuln

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ztci/ztci/internal/clip"
)

// osvReport is the part of `osv-scanner --format json` this package reads.
// Field names are osv-scanner's (pkg/models/results.go) and the OSV
// schema's (ossf/osv-schema) for the vulnerability records.
type osvReport struct {
	// A pointer, so that a JSON object without "results" (not an
	// osv-scanner report) is told apart from a report with no findings.
	Results *[]struct {
		Packages []struct {
			Package struct {
				Name      string `json:"name"`
				Version   string `json:"version"`
				Ecosystem string `json:"ecosystem"`
				Commit    string `json:"commit"`
			} `json:"package"`
			Vulnerabilities []osvRecord `json:"vulnerabilities"`
			Groups          []struct {
				IDs         []string `json:"ids"`
				Aliases     []string `json:"aliases"`
				MaxSeverity string   `json:"max_severity"`
			} `json:"groups"`
		} `json:"packages"`
	} `json:"results"`
}

// osvRecord is the part of an OSV vulnerability record this package reads.
type osvRecord struct {
	ID       string   `json:"id"`
	Aliases  []string `json:"aliases"`
	Affected []struct {
		Package struct {
			Ecosystem string `json:"ecosystem"`
			Name      string `json:"name"`
			PURL      string `json:"purl"`
		} `json:"package"`
		Ranges []struct {
			Events []struct {
				Fixed string `json:"fixed"`
			} `json:"events"`
		} `json:"ranges"`
	} `json:"affected"`
	DatabaseSpecific struct {
		// GitHub advisories write CRITICAL, HIGH, MODERATE, LOW here;
		// other databases write other things or nothing. Any JSON type
		// is accepted so that a database's own shape is not a parse
		// error; only a string is read.
		Severity any `json:"severity"`
	} `json:"database_specific"`
}

// ParseOSVScanner reads the JSON report of `osv-scanner --format json`
// (osv-scanner v2; v1 writes the same results).
//
// Each group of a package (osv-scanner groups the OSV records that are
// aliases of one another) becomes one Finding: ID is the group's first id
// (osv-scanner sorts them), Aliases are the group's other ids, its aliases
// and the records' aliases. Severity is, in this order:
//
//  1. the group's max_severity — the highest CVSS base score osv-scanner
//     computed from the records' severity vectors (CVSS v2, v3.x, v4) — rated
//     as osv-scanner rates it (CVSS v3.0 qualitative ratings): 9.0–10.0
//     critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low, and 0.0 or an
//     unreadable score (anything but a plain decimal: "NaN", "Inf", a
//     hexadecimal float) unknown;
//  2. when osv-scanner computed none (max_severity ""), the highest
//     database_specific.severity label among the group's records, read with
//     ParseSeverity (GitHub advisories write CRITICAL, HIGH, MODERATE, LOW);
//  3. otherwise unknown.
//
// The report has no package URL; Package.PURL is the purl the OSV record
// gives for the affected package (same name and ecosystem), which names the
// package without a version, or "" when the record gives none. FixedVersions
// are the "fixed" events of those affected entries. The report records
// neither the scanner's version nor the time of the scan: Scan.Time is zero
// and Scanner.Version is "", and the caller sets Scan.Time to when it ran
// the scanner before writing the predicate (Predicate refuses a zero time).
//
// It rejects input larger than MaxReportSize, anything but one JSON object
// without duplicate keys, a report without "results", values of the wrong
// JSON type, a record without id, a package listing one record id twice,
// and a group naming an id the package does not list, or one another
// group names too (osv-scanner's groups partition a package's records; a
// record named again would be read again for every mention, without
// bound); errors wrap ErrInvalidReport. Unknown fields are ignored, as
// osv-scanner adds fields between releases. A record in no group is a
// finding of its own, so nothing the scanner reported is dropped.
func ParseOSVScanner(b []byte) (*Scan, error) {
	if err := checkStrict(b, osvSchema); err != nil {
		return nil, fmt.Errorf("%w: osv-scanner: %w", ErrInvalidReport, err)
	}
	var r osvReport
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%w: osv-scanner: %w", ErrInvalidReport, err)
	}
	if r.Results == nil {
		return nil, fmt.Errorf("%w: osv-scanner: no \"results\" array", ErrInvalidReport)
	}
	s := &Scan{Scanner: Scanner{Name: "osv-scanner", URI: osvScannerURI}}
	for i, res := range *r.Results {
		for j, p := range res.Packages {
			where := fmt.Sprintf("results[%d].packages[%d]", i, j)
			byID := make(map[string]*osvRecord, len(p.Vulnerabilities))
			for k := range p.Vulnerabilities {
				v := &p.Vulnerabilities[k]
				if strings.TrimSpace(v.ID) == "" {
					return nil, fmt.Errorf("%w: osv-scanner: %s.vulnerabilities[%d]: id is empty", ErrInvalidReport, where, k)
				}
				// A second record of one id would replace the first's
				// severity and fixed versions unseen.
				if byID[v.ID] != nil {
					return nil, fmt.Errorf("%w: osv-scanner: %s.vulnerabilities[%d]: id %q listed twice", ErrInvalidReport, where, k, clip.String(v.ID, 64))
				}
				byID[v.ID] = v
			}
			pkg := Package{Name: p.Package.Name, Version: p.Package.Version}
			if pkg.Version == "" {
				pkg.Version = p.Package.Commit // packages found by commit
			}
			grouped := map[string]bool{}
			type group struct {
				ids     []string // the records; ids[0] is the primary id
				aliases []string
				score   string // max_severity
			}
			var groups []group
			for k, g := range p.Groups {
				ids := nonEmpty(g.IDs)
				if len(ids) == 0 {
					return nil, fmt.Errorf("%w: osv-scanner: %s.groups[%d]: no ids", ErrInvalidReport, where, k)
				}
				for _, id := range ids {
					if byID[id] == nil {
						return nil, fmt.Errorf("%w: osv-scanner: %s.groups[%d]: id %q is not among the package's vulnerabilities", ErrInvalidReport, where, k, clip.String(id, 64))
					}
					// osv-scanner's groups partition the package's
					// records. A record named again would be read again
					// for every mention: a report of under a megabyte
					// naming one large record in 20,000 groups took 40
					// seconds, one of MaxReportSize days.
					if grouped[id] {
						return nil, fmt.Errorf("%w: osv-scanner: %s.groups[%d]: id %q is in another group or named twice", ErrInvalidReport, where, k, clip.String(id, 64))
					}
					grouped[id] = true
				}
				groups = append(groups, group{ids: ids, aliases: nonEmpty(g.Aliases), score: g.MaxSeverity})
			}
			for _, v := range p.Vulnerabilities {
				if !grouped[v.ID] {
					grouped[v.ID] = true
					groups = append(groups, group{ids: []string{v.ID}})
				}
			}
			for _, g := range groups {
				s.Findings = append(s.Findings, osvFinding(g.ids, g.aliases, g.score, byID, p.Package.Name, p.Package.Ecosystem, pkg))
			}
		}
	}
	return s, nil
}

// osvFinding is the finding of one group: ids are its records (ids[0] is
// the primary id), aliases the group's aliases, which are only names: a
// record is read for the one group that lists it in its ids, so that each
// is read once.
func osvFinding(ids, aliases []string, score string, byID map[string]*osvRecord, name, ecosystem string, pkg Package) Finding {
	f := Finding{ID: ids[0], Package: pkg}
	seen := map[string]bool{f.ID: true}
	addAlias := func(a string) {
		if a = strings.TrimSpace(a); a != "" && !seen[a] {
			seen[a] = true
			f.Aliases = append(f.Aliases, a)
		}
	}
	fixed := map[string]bool{}
	label := SeverityUnknown
	for _, id := range ids {
		addAlias(id)
		rec := byID[id]
		for _, a := range rec.Aliases {
			addAlias(a)
		}
		if s, ok := rec.DatabaseSpecific.Severity.(string); ok {
			label = maxSeverity(label, ParseSeverity(s))
		}
		for _, a := range rec.Affected {
			if a.Package.Name != name || a.Package.Ecosystem != ecosystem {
				continue
			}
			if f.Package.PURL == "" {
				f.Package.PURL = a.Package.PURL
			}
			for _, r := range a.Ranges {
				for _, e := range r.Events {
					if v := strings.TrimSpace(e.Fixed); v != "" && !fixed[v] {
						fixed[v] = true
						f.FixedVersions = append(f.FixedVersions, v)
					}
				}
			}
		}
	}
	for _, a := range aliases {
		addAlias(a)
	}
	f.Severity = label
	if strings.TrimSpace(score) != "" {
		f.Severity = cvssRating(score)
	}
	return f
}

// cvssRating rates a CVSS base score as osv-scanner does
// (internal/utility/severity.CalculateRating, the CVSS v3.0 table): NONE
// (0.0) and an unreadable or out-of-range score are unknown. Only a plain
// decimal is a score, as osv-scanner writes one: strconv.ParseFloat also
// reads "NaN", which no comparison below holds for, and which would fall
// through to low, and "Inf" or hexadecimal floats no scanner writes.
func cvssRating(score string) Severity {
	score = strings.TrimSpace(score)
	if !cvssScore.MatchString(score) {
		return SeverityUnknown
	}
	v, err := strconv.ParseFloat(score, 64)
	switch {
	case err != nil || v <= 0 || v > 10:
		return SeverityUnknown
	case v >= 9:
		return SeverityCritical
	case v >= 7:
		return SeverityHigh
	case v >= 4:
		return SeverityMedium
	default:
		return SeverityLow
	}
}

// cvssScore is a CVSS base score as a plain decimal ("9.8", "7", "10.0").
var cvssScore = regexp.MustCompile(`^[0-9]{1,2}(\.[0-9]{1,3})?$`)

// severityRank orders the severities; unknown ranks below low here because
// maxSeverity picks the highest label a database actually gave.
var severityRank = []Severity{SeverityUnknown, SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}

func maxSeverity(a, b Severity) Severity {
	if slices.Index(severityRank, b) > slices.Index(severityRank, a) {
		return b
	}
	return a
}

const osvScannerURI = "pkg:github/google/osv-scanner"
