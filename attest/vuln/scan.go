package vuln

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/internal/strictjson"
)

// MaxReportSize bounds the scanner report and predicate input the parsers
// read. It equals attest.MaxStatementSize, so a report that fits here also
// fits in a Statement.
const MaxReportSize = attest.MaxStatementSize

// ErrInvalidReport: scanner output is not valid JSON of the format it is
// parsed as (wrong types, duplicate keys, too large, a finding without id).
var ErrInvalidReport = errors.New("vuln: invalid scanner report")

// ErrInvalidScan: a Scan cannot be written as, or a predicate is not, a valid
// vulnerability predicate. It wraps attest.ErrInvalidPredicate so callers
// that handle predicates generically match it too.
var ErrInvalidScan = fmt.Errorf("%w: vulns", attest.ErrInvalidPredicate)

// ErrPredicateType: a Statement carries a predicate type other than
// PredicateType.
var ErrPredicateType = fmt.Errorf("%w: wrong predicate type", ErrInvalidScan)

// Severity is a finding's severity, normalised to one of the five constants.
// The zero value is not valid; parsers never produce it.
type Severity string

// The normalised severities. SeverityUnknown means the scanner gave none or
// one this package does not recognise; a gate must not read it as low.
const (
	SeverityCritical Severity = "critical"
	SeverityHigh     Severity = "high"
	SeverityMedium   Severity = "medium"
	SeverityLow      Severity = "low"
	SeverityUnknown  Severity = "unknown"
)

// ParseSeverity normalises a scanner's severity label, ignoring case and
// surrounding space:
//
//	critical                 → critical
//	high                     → high
//	medium, moderate         → medium
//	low, negligible          → low
//	anything else, or empty  → unknown
//
// Trivy writes CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN; Grype writes Critical,
// High, Medium, Low, Negligible, Unknown. Negligible becomes low, not
// unknown, so that a "deny at or above low" rule still sees it; GitHub's
// "moderate" is medium.
func ParseSeverity(s string) Severity {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "critical":
		return SeverityCritical
	case "high":
		return SeverityHigh
	case "medium", "moderate":
		return SeverityMedium
	case "low", "negligible":
		return SeverityLow
	default:
		return SeverityUnknown
	}
}

func (s Severity) valid() bool {
	switch s {
	case SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow, SeverityUnknown:
		return true
	}
	return false
}

// Scan is one scanner run, in the same shape whatever scanner produced it.
type Scan struct {
	Scanner Scanner
	// Time is when the scanner produced the report, in UTC. Trivy and
	// Grype record one time per report; the zero value means the report
	// had none (Predicate rejects it: a scan without a time cannot be
	// judged for age).
	Time     time.Time
	Findings []Finding
}

// Scanner names the tool that produced a Scan.
type Scanner struct {
	Name    string // "trivy", "grype"
	Version string // as the scanner reports it; may be "dev" in test builds
	// URI identifies the scanner's source, a package URL without version
	// (pkg:github/aquasecurity/trivy); the in-toto predicate requires it.
	URI string
}

// Finding is one vulnerability matched in one package.
type Finding struct {
	// ID is the scanner's primary identifier (CVE-…, GHSA-…).
	ID string
	// Aliases are other identifiers of the same vulnerability: Trivy's
	// VendorIDs, Grype's relatedVulnerabilities.
	Aliases  []string
	Severity Severity
	Package  Package
	// FixedVersions are the versions that fix it; empty when none is
	// known. Trivy's comma-separated FixedVersion is split.
	FixedVersions []string
}

// Package is the affected package as the scanner found it.
type Package struct {
	Name    string
	Version string
	// PURL is the package URL; empty when the scanner gave none (Grype
	// leaves it empty for some package types).
	PURL string
}

func checkSize(b []byte) error {
	if len(b) > MaxReportSize {
		return fmt.Errorf("%d bytes, limit %d: %w", len(b), MaxReportSize, attest.ErrTooLarge)
	}
	return nil
}

// checkStrict rejects anything but one JSON object without duplicate keys;
// attest's predicate check is the one strict reader in this module, so it is
// reused rather than copied. It then applies schema's element budget
// (strictjson.ErrTooManyElements): a report of `{},` elements at an array
// the parser decodes (Results, Vulnerabilities, matches, packages) cost
// encoding/json some 250 bytes per byte of input, gigabytes for a report
// of MaxReportSize. A nil schema skips it (ParseScan budgets the predicate
// it finds).
func checkStrict(b []byte, schema *strictjson.Schema) error {
	if err := checkSize(b); err != nil {
		return err
	}
	if _, err := attest.Custom("vuln", b).PredicateJSON(); err != nil || schema == nil {
		return err
	}
	return schema.CheckBounded(b)
}

// The schemas of the scanner reports, for their element budgets.
var (
	trivySchema = strictjson.SchemaOf(reflect.TypeFor[trivyReport]())
	grypeSchema = strictjson.SchemaOf(reflect.TypeFor[grypeReport]())
	osvSchema   = strictjson.SchemaOf(reflect.TypeFor[osvReport]())
)

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
