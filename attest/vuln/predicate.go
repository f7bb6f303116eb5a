package vuln

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/strictjson"
)

// PredicateType is the in-toto vulnerability predicate type this package
// writes and reads.
const PredicateType = "https://in-toto.io/attestation/vulns/v0.1"

// SeverityMethod is the severity method under which the normalised Severity
// is written. Other methods a third-party producer adds are ignored when
// reading.
const SeverityMethod = "ztci"

// Annotation keys of a result entry. The spec leaves annotations to the
// producer as a list of key/value pairs; each entry here is an object with
// one key and a string value, repeated for lists.
const (
	annAlias          = "alias"
	annPackageName    = "package.name"
	annPackageVersion = "package.version"
	annPackagePURL    = "package.purl"
	annFixedVersion   = "fixedVersion"
)

// The predicate's JSON. Field names are the spec's.
type predicateJSON struct {
	Scanner  predScanner  `json:"scanner"`
	Metadata predMetadata `json:"metadata"`
}

type predScanner struct {
	URI     string       `json:"uri"`
	Version string       `json:"version,omitempty"`
	Result  []predResult `json:"result"`
}

type predResult struct {
	ID          string              `json:"id"`
	Severity    []predSeverity      `json:"severity"`
	Annotations []map[string]string `json:"annotations,omitempty"`
}

type predSeverity struct {
	Method string `json:"method"`
	Score  string `json:"score"`
}

type predMetadata struct {
	ScanStartedOn  string `json:"scanStartedOn"`
	ScanFinishedOn string `json:"scanFinishedOn"`
}

// predSchema refuses the spec's member names in another case where the
// spec puts them: encoding/json would read "Result" as result, which no
// case-sensitive reader of the predicate does.
var predSchema = strictjson.SchemaOf(reflect.TypeFor[predicateJSON]())

// Predicate returns the in-toto vulnerability predicate (PredicateType) of
// scan, for attest.NewStatement with the scanned artifact's digest as
// subject. The scan is copied. PredicateJSON fails with ErrInvalidScan when
// the scanner URI or name is empty, the time is zero, a finding has no ID
// or a Severity other than the five constants, or the written predicate
// would not read back with ParseScan (it is run on it: more than
// MaxReportSize bytes, for one).
//
// Scanners record one time per report, so scanStartedOn and scanFinishedOn
// both carry Scan.Time rather than inventing a start.
func Predicate(scan Scan) attest.Predicate {
	c := scan
	c.Findings = make([]Finding, len(scan.Findings))
	for i, f := range scan.Findings {
		f.Aliases = append([]string(nil), f.Aliases...)
		f.FixedVersions = append([]string(nil), f.FixedVersions...)
		c.Findings[i] = f
	}
	return &predicate{scan: c}
}

type predicate struct{ scan Scan }

func (p *predicate) PredicateType() string { return PredicateType }

func (p *predicate) PredicateJSON() (json.RawMessage, error) {
	s := p.scan
	if s.Scanner.URI == "" || s.Scanner.Name == "" {
		return nil, fmt.Errorf("%w: scanner name and uri are required", ErrInvalidScan)
	}
	// The spec has no scanner name field; the name travels as the last
	// segment of scanner.uri, so a URI naming another scanner is refused
	// rather than read back as that scanner.
	if got := scannerName(s.Scanner.URI); got != s.Scanner.Name {
		return nil, fmt.Errorf("%w: scanner uri %q names %q, not %q", ErrInvalidScan, clip.String(s.Scanner.URI, 64), clip.String(got, 64), clip.String(s.Scanner.Name, 64))
	}
	if s.Time.IsZero() {
		return nil, fmt.Errorf("%w: scan time is required", ErrInvalidScan)
	}
	if !writable(s.Time) {
		return nil, fmt.Errorf("%w: scan time %v is outside years 0000-9999 (UTC)", ErrInvalidScan, s.Time.UTC())
	}
	ts := s.Time.UTC().Format(time.RFC3339Nano)
	out := predicateJSON{
		Scanner:  predScanner{URI: s.Scanner.URI, Version: s.Scanner.Version, Result: []predResult{}},
		Metadata: predMetadata{ScanStartedOn: ts, ScanFinishedOn: ts},
	}
	for i, f := range s.Findings {
		if strings.TrimSpace(f.ID) == "" {
			return nil, fmt.Errorf("%w: finding %d: id is required", ErrInvalidScan, i)
		}
		if !f.Severity.valid() {
			return nil, fmt.Errorf("%w: finding %s: severity %q is not one of critical, high, medium, low, unknown", ErrInvalidScan, clip.String(f.ID, 64), clip.String(string(f.Severity), 64))
		}
		r := predResult{ID: f.ID, Severity: []predSeverity{{Method: SeverityMethod, Score: string(f.Severity)}}}
		add := func(k, v string) {
			if v != "" {
				r.Annotations = append(r.Annotations, map[string]string{k: v})
			}
		}
		for _, a := range f.Aliases {
			add(annAlias, a)
		}
		add(annPackageName, f.Package.Name)
		add(annPackageVersion, f.Package.Version)
		add(annPackagePURL, f.Package.PURL)
		for _, v := range f.FixedVersions {
			add(annFixedVersion, v)
		}
		out.Scanner.Result = append(out.Scanner.Result, r)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidScan, err)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	// What is signed must read back: the checks above give the model's
	// errors, ParseScan's own rules (size, strict JSON, the spec's shape)
	// are run, not repeated.
	if _, err := ParseScan(b); err != nil {
		return nil, err
	}
	return b, nil
}

// ParseScan reads a vulnerability predicate back into a Scan. b is either a
// whole in-toto Statement (recognised by its "_type" key, parsed with
// attest.ParseStatement, predicateType must be PredicateType) or the bare
// predicate object.
//
// It rejects input larger than MaxReportSize, anything but one JSON object
// without duplicate keys (keys equal under case folding included), a
// predicate member the spec names spelt in another case ("Result"), wrong
// JSON types, a missing scanner.uri,
// scanner.result or metadata.scanFinishedOn, a result without id, a
// result id or alias that is not printable ASCII without spaces, an
// annotation that is not a one-key object with a string value, a
// SeverityMethod score that is not exactly one of the five Severity
// constants ("CRITICAL", " high", "moderate" and "" included: the writer
// never writes them), a method equal to SeverityMethod only under case
// folding or with space ("ZTCI"), and a repeated SeverityMethod severity
// or package annotation, and an annotation key the predicate spells
// otherwise ("Alias", "package.PURL", " alias"); errors wrap
// ErrInvalidScan (or attest's Statement errors). Unknown fields, such as
// the spec example's "invocation", are ignored. A result without a
// severity of method SeverityMethod reads as SeverityUnknown; the scanner
// name is the last path segment of scanner.uri.
//
// ParseScan does not verify anything: a Scan is evidence about an artifact
// only when the Statement was signed by an allowed identity and verified,
// and its subject digest is the artifact's.
func ParseScan(b []byte) (*Scan, error) {
	if err := checkStrict(b, nil); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidScan, err)
	}
	// The map below is only to find "_type": decoding a flood of
	// distinct members into it costs some ten times their size.
	if strictjson.TooManyMembers(b) {
		return nil, fmt.Errorf("%w: more members than its size allows: %w", ErrInvalidScan, attest.ErrTooLarge)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidScan, err)
	}
	pred := b
	if _, ok := top["_type"]; ok {
		st, err := attest.ParseStatement(b)
		if err != nil {
			return nil, err
		}
		if st.PredicateType != PredicateType {
			return nil, fmt.Errorf("%w: %q, want %q", ErrPredicateType, clip.String(st.PredicateType, 64), PredicateType)
		}
		pred = st.Predicate
	}
	return parsePredicate(pred)
}

func parsePredicate(b []byte) (*Scan, error) {
	if err := predSchema.CheckBounded(b); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidScan, err)
	}
	var p struct {
		Scanner struct {
			URI     string        `json:"uri"`
			Version string        `json:"version"`
			Result  *[]predResult `json:"result"`
		} `json:"scanner"`
		Metadata struct {
			ScanFinishedOn string `json:"scanFinishedOn"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidScan, err)
	}
	name := scannerName(p.Scanner.URI)
	if name == "" {
		return nil, fmt.Errorf("%w: scanner.uri %q names no scanner", ErrInvalidScan, clip.String(p.Scanner.URI, 64))
	}
	// An absent result is not "no findings": the spec says an empty list
	// means none were found, so only an explicit list counts.
	if p.Scanner.Result == nil {
		return nil, fmt.Errorf("%w: scanner.result is required", ErrInvalidScan)
	}
	t, err := time.Parse(time.RFC3339Nano, p.Metadata.ScanFinishedOn)
	if err != nil || t.IsZero() || !writable(t) {
		return nil, fmt.Errorf("%w: metadata.scanFinishedOn %q is not an RFC 3339 time", ErrInvalidScan, clip.String(p.Metadata.ScanFinishedOn, 64))
	}
	s := &Scan{
		Scanner: Scanner{Name: name, Version: p.Scanner.Version, URI: p.Scanner.URI},
		Time:    utc(t),
	}
	for i, r := range *p.Scanner.Result {
		if strings.TrimSpace(r.ID) == "" {
			return nil, fmt.Errorf("%w: scanner.result[%d]: id is required", ErrInvalidScan, i)
		}
		// Ids are compared with a VEX statement's as strings: a finding
		// "CVE-2026-1 " with alias GHSA-x is lifted by a statement about
		// GHSA-x while a later "affected" about CVE-2026-1 goes unseen.
		if !plainID(r.ID) {
			return nil, fmt.Errorf("%w: scanner.result[%d]: id %q is not an identifier (printable ASCII without spaces)", ErrInvalidScan, i, clip.String(r.ID, 64))
		}
		f := Finding{ID: r.ID, Severity: SeverityUnknown}
		seen := false
		for _, sv := range r.Severity {
			if sv.Method != SeverityMethod {
				// "ZTCI" is ztci's method to a reader that folds case and
				// another method to this one: refused, not ignored.
				if strings.EqualFold(strings.TrimSpace(sv.Method), SeverityMethod) {
					return nil, fmt.Errorf("%w: scanner.result[%d]: severity method %q is not %q", ErrInvalidScan, i, clip.String(sv.Method, 64), SeverityMethod)
				}
				continue
			}
			// Two scores under one method would let consumers disagree
			// about whether the finding passes a gate.
			if seen {
				return nil, fmt.Errorf("%w: scanner.result[%d]: severity method %q repeated", ErrInvalidScan, i, SeverityMethod)
			}
			seen = true
			// The score is read exactly as the writer writes it, not with
			// ParseSeverity: a policy comparing the signed "CRITICAL " to
			// "critical" would miss a finding this reader counts.
			f.Severity = Severity(sv.Score)
			if !f.Severity.valid() {
				return nil, fmt.Errorf("%w: scanner.result[%d]: severity score %q of method %q is not one of critical, high, medium, low, unknown", ErrInvalidScan, i, clip.String(sv.Score, 64), SeverityMethod)
			}
		}
		for j, a := range r.Annotations {
			if len(a) != 1 {
				return nil, fmt.Errorf("%w: scanner.result[%d].annotations[%d]: want one key, got %d", ErrInvalidScan, i, j, len(a))
			}
			for k, v := range a {
				if v == "" { // the writer omits empty values; so does the reader
					continue
				}
				var one *string
				switch k {
				case annAlias:
					if !plainID(v) {
						return nil, fmt.Errorf("%w: scanner.result[%d].annotations[%d]: alias %q is not an identifier (printable ASCII without spaces)", ErrInvalidScan, i, j, clip.String(v, 64))
					}
					f.Aliases = append(f.Aliases, v)
				case annFixedVersion:
					f.FixedVersions = append(f.FixedVersions, v)
				case annPackageName:
					one = &f.Package.Name
				case annPackageVersion:
					one = &f.Package.Version
				case annPackagePURL:
					one = &f.Package.PURL
				default:
					// "Alias" is an alias to a reader that folds case and
					// nothing to this one: a dropped alias hides the later
					// "affected" statement that names the finding by it.
					if annotationKeyLike(k) {
						return nil, fmt.Errorf("%w: scanner.result[%d].annotations[%d]: key %q is not spelt as the predicate spells it", ErrInvalidScan, i, j, clip.String(k, 64))
					}
				}
				if one == nil {
					continue
				}
				// Two values for one package field would let consumers
				// disagree about which package is affected.
				if *one != "" {
					return nil, fmt.Errorf("%w: scanner.result[%d]: annotation %q repeated", ErrInvalidScan, i, k)
				}
				*one = v
			}
		}
		s.Findings = append(s.Findings, f)
	}
	return s, nil
}

// plainID reports whether id is a vulnerability identifier as CVE, GHSA,
// OSV and distribution advisories spell them: printable ASCII, without
// spaces, not empty (attest/vex holds VEX ids to the same rule).
func plainID(id string) bool {
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return false
		}
	}
	return id != ""
}

// annotationKeyLike reports whether k is one of the annotation keys this
// package reads only under case folding or with surrounding space.
func annotationKeyLike(k string) bool {
	k = strings.TrimSpace(k)
	for _, known := range []string{annAlias, annFixedVersion, annPackageName, annPackageVersion, annPackagePURL} {
		if strings.EqualFold(k, known) {
			return true
		}
	}
	return false
}

// scannerName is the last path segment of a scanner URI, without a
// version: pkg:github/aquasecurity/trivy@v0.50.0 → trivy.
func scannerName(uri string) string {
	u, _, _ := strings.Cut(uri, "@")
	u, _, _ = strings.Cut(u, "?")
	u = strings.TrimRight(u, "/")
	if i := strings.LastIndexAny(u, "/:"); i >= 0 {
		u = u[i+1:]
	}
	return u
}

// writable reports whether t in UTC is a time RFC 3339 can express; an
// offset can carry a parsed time just outside years 0000-9999.
func writable(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 0 && y <= 9999
}
