package drift

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/strictjson"
)

// Bounds of [ParseOSV].
const (
	// MaxRecordSize is the largest OSV record accepted, in bytes. osv.dev
	// records that enumerate every affected version of a large package
	// stay well below it.
	MaxRecordSize = 4 << 20
	// MaxIDLen bounds the id and each alias.
	MaxIDLen = 128
	// MaxAliases bounds aliases (and related ids are not read).
	MaxAliases = 256
	// MaxAffected bounds affected entries.
	MaxAffected = 4096
	// MaxRanges bounds ranges per affected entry.
	MaxRanges = 256
	// MaxEvents bounds events per range.
	MaxEvents = 1024
	// MaxVersions bounds the enumerated versions of one affected entry.
	MaxVersions = 65536
)

// RangeType is an OSV range type.
type RangeType string

// Range types of OSV schema 1.x.
const (
	RangeSemver    RangeType = "SEMVER"
	RangeEcosystem RangeType = "ECOSYSTEM"
	RangeGit       RangeType = "GIT"
)

// EventKind is the kind of an OSV range event.
type EventKind string

// Event kinds of OSV schema 1.x.
const (
	Introduced   EventKind = "introduced"
	Fixed        EventKind = "fixed"
	LastAffected EventKind = "last_affected"
	Limit        EventKind = "limit"
)

// Advisory is an OSV vulnerability record as [ParseOSV] read it.
type Advisory struct {
	// ID is the record's id ("GHSA-…", "GO-2024-3333", "CVE-…").
	ID string
	// SchemaVersion is the record's schema_version ("" when absent: the
	// field was added in 1.3, older records lack it).
	SchemaVersion string
	// Modified, Published and Withdrawn are the record's timestamps in UTC;
	// Published and Withdrawn are zero when absent. A record with
	// Withdrawn set produces no drift.
	Modified, Published, Withdrawn time.Time
	// Aliases are other ids of the same vulnerability.
	Aliases []string
	// Severity is the record's top-level severity list (CVSS vectors).
	Severity []Severity
	// DatabaseSeverity is database_specific.severity when it is a string
	// (the GitHub Advisory Database writes CRITICAL, HIGH, MODERATE, LOW
	// there); other databases' shapes are not read.
	DatabaseSeverity string
	// Affected are the affected packages.
	Affected []Affected
}

// Severity is one OSV severity entry.
type Severity struct {
	Type  string // CVSS_V2, CVSS_V3, CVSS_V4, Ubuntu, …
	Score string
}

// Affected is one affected package of an advisory.
type Affected struct {
	// Ecosystem and Name are the OSV package ("Go", "golang.org/x/net");
	// empty for an entry without package (GIT-only records).
	Ecosystem, Name string
	// PURL is the package URL without version the inventory is asked
	// about: the record's own purl (its version, if it has one, dropped),
	// else one derived from the ecosystem (see [ParseOSV]), else "".
	PURL string
	// Ranges are the affected ranges in record order.
	Ranges []Range
	// Versions are the enumerated affected versions.
	Versions []string
}

// Range is one OSV range.
type Range struct {
	Type   RangeType
	Repo   string // GIT ranges: the repository
	Events []Event
}

// Event is one OSV range event.
type Event struct {
	Kind    EventKind
	Version string
}

// wire types: the part of OSV schema 1.x read here. Pointers tell an absent
// (or null) member from an empty one where that matters.
type wireRecord struct {
	SchemaVersion    *string          `json:"schema_version"`
	ID               *string          `json:"id"`
	Modified         *string          `json:"modified"`
	Published        *string          `json:"published"`
	Withdrawn        *string          `json:"withdrawn"`
	Aliases          []string         `json:"aliases"`
	Severity         []wireSeverity   `json:"severity"`
	Affected         []wireAffected   `json:"affected"`
	DatabaseSpecific *json.RawMessage `json:"database_specific"`
}

type wireSeverity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

type wireAffected struct {
	Package *struct {
		Ecosystem string `json:"ecosystem"`
		Name      string `json:"name"`
		PURL      string `json:"purl"`
	} `json:"package"`
	Ranges   []wireRange `json:"ranges"`
	Versions []string    `json:"versions"`
}

type wireRange struct {
	Type   string              `json:"type"`
	Repo   string              `json:"repo"`
	Events []map[string]string `json:"events"`
}

var (
	wireSchema    = strictjson.SchemaOf(reflect.TypeFor[wireRecord]())
	idPattern     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]*$`)
	schemaPattern = regexp.MustCompile(`^1\.[0-9]+(\.[0-9]+)?$`)
)

// ParseOSV reads one OSV vulnerability record (OSV schema 1.x, as osv.dev,
// the GitHub Advisory Database and the Go vulnerability database publish
// it) strictly and within bounds.
//
// It refuses more than [MaxRecordSize] bytes; anything but one JSON object;
// a member repeated, or spelt in another case, in any object; a value of
// the wrong JSON type; a schema_version other than 1.x
// ([ErrUnsupportedSchema]); a missing id or modified; an id or alias that
// is not printable ASCII of at most [MaxIDLen] bytes; a timestamp that is
// not RFC 3339; an affected package without ecosystem or name, or with a
// purl that does not parse (a version in it is ignored: the schema says
// purl names the package "without the @version component", but Ubuntu's
// records carry the fixed version there); a range type other
// than SEMVER, ECOSYSTEM and GIT; a GIT range without repo; an event that
// is not exactly one of introduced, fixed, last_affected and limit with a
// non-empty version; a range without introduced, or with both fixed and
// last_affected; a version longer than [inventory.MaxVersionLen]; and more
// than the bounds above. Errors wrap [ErrInvalidRecord].
//
// Members it does not read (summary, details, references, credits,
// ecosystem_specific, …) are ignored, because OSV 1.x minor versions add
// members; the one place an added member could change which versions are
// affected, an event, refuses unknown members.
//
// Without a purl, Affected.PURL is derived for the ecosystems whose
// package URL is unambiguous: Go → golang, npm, PyPI → pypi, crates.io →
// cargo, Maven (groupId:artifactId) → maven, RubyGems → gem, NuGet,
// Packagist → composer, Hex, Pub, Debian → deb/debian, Ubuntu →
// deb/ubuntu, Alpine → apk/alpine (a ":release" suffix of the ecosystem is
// ignored, as qualifiers are by the inventory). Other ecosystems without a
// purl are reported by [Advisory.Queries] as a [Skip].
func ParseOSV(b []byte) (*Advisory, error) {
	if len(b) > MaxRecordSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrInvalidRecord, len(b), MaxRecordSize)
	}
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, fmt.Errorf("%w: not a JSON object", ErrInvalidRecord)
	}
	if err := wireSchema.CheckBounded(b); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRecord, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var w wireRecord
	if err := dec.Decode(&w); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("%w: %s is a JSON %s, want %s", ErrInvalidRecord, te.Field, te.Value, te.Type)
		}
		return nil, fmt.Errorf("%w: %w", ErrInvalidRecord, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: data after the object", ErrInvalidRecord)
	}
	return w.advisory()
}

func (w *wireRecord) advisory() (*Advisory, error) {
	bad := func(format string, args ...any) (*Advisory, error) {
		return nil, fmt.Errorf("%w: "+format, append([]any{ErrInvalidRecord}, args...)...)
	}
	a := &Advisory{}
	if w.SchemaVersion != nil {
		if !schemaPattern.MatchString(*w.SchemaVersion) {
			return nil, fmt.Errorf("%w: %q", ErrUnsupportedSchema, clip.String(*w.SchemaVersion, 64))
		}
		a.SchemaVersion = *w.SchemaVersion
	}
	if w.ID == nil || *w.ID == "" {
		return bad("id is required")
	}
	if !validID(*w.ID) {
		return bad("id %q: printable ASCII, at most %d bytes", clip.String(*w.ID, 64), MaxIDLen)
	}
	a.ID = *w.ID
	if w.Modified == nil {
		return bad("%s: modified is required", a.ID)
	}
	var err error
	if a.Modified, err = timestamp(*w.Modified); err != nil {
		return bad("%s: modified: %v", a.ID, err)
	}
	if w.Published != nil {
		if a.Published, err = timestamp(*w.Published); err != nil {
			return bad("%s: published: %v", a.ID, err)
		}
	}
	if w.Withdrawn != nil {
		if a.Withdrawn, err = timestamp(*w.Withdrawn); err != nil {
			return bad("%s: withdrawn: %v", a.ID, err)
		}
		if a.Withdrawn.IsZero() {
			// Zero is how the Go vulnerability database writes "not yet
			// set" in modified and published; as withdrawn it would read
			// as withdrawn in year 1, which no record means.
			return bad("%s: withdrawn is the zero time", a.ID)
		}
	}
	if len(w.Aliases) > MaxAliases {
		return bad("%s: %d aliases, at most %d", a.ID, len(w.Aliases), MaxAliases)
	}
	for _, al := range w.Aliases {
		if !validID(al) {
			return bad("%s: alias %q: printable ASCII, at most %d bytes", a.ID, clip.String(al, 64), MaxIDLen)
		}
	}
	a.Aliases = w.Aliases
	for _, s := range w.Severity {
		if s.Type == "" || s.Score == "" || !printable(s.Type, 64) || !printable(s.Score, 256) {
			return bad("%s: a severity needs a type and a score (printable, bounded)", a.ID)
		}
		a.Severity = append(a.Severity, Severity(s))
	}
	if w.DatabaseSpecific != nil {
		// Only "severity" is read, from a map of the object's members:
		// refuse first an object with more members than its size allows,
		// which would cost that map ten times its size.
		if strictjson.TooManyMembers(*w.DatabaseSpecific) {
			return bad("%s: database_specific has more members than its size allows", a.ID)
		}
		var ds map[string]json.RawMessage
		if json.Unmarshal(*w.DatabaseSpecific, &ds) == nil {
			var s string
			if json.Unmarshal(ds["severity"], &s) == nil && printable(s, 64) {
				a.DatabaseSeverity = s
			}
		}
	}
	if len(w.Affected) > MaxAffected {
		return bad("%s: %d affected entries, at most %d", a.ID, len(w.Affected), MaxAffected)
	}
	for i, wa := range w.Affected {
		af, err := wa.affected()
		if err != nil {
			return bad("%s: affected[%d]: %w", a.ID, i, err)
		}
		a.Affected = append(a.Affected, af)
	}
	return a, nil
}

func (wa *wireAffected) affected() (Affected, error) {
	var af Affected
	if p := wa.Package; p != nil {
		if p.Ecosystem == "" || p.Name == "" {
			return af, errors.New("package needs ecosystem and name")
		}
		if !printable(p.Ecosystem, inventory.MaxFieldLen) || !printable(p.Name, inventory.MaxFieldLen) {
			return af, errors.New("package ecosystem or name too long or not printable")
		}
		af.Ecosystem, af.Name = p.Ecosystem, p.Name
		if p.PURL != "" {
			u, err := inventory.ParsePURL(p.PURL)
			if err != nil {
				return af, err
			}
			// The schema says the purl names the package "without the
			// @version component", but Ubuntu's records (UBUNTU-CVE-*,
			// USN-*) write the fixed version there
			// (pkg:deb/ubuntu/php8.1@8.1.2-1ubuntu2.22?arch=source&distro=jammy).
			// Refusing them refused every such record whole, so no Ubuntu
			// image was ever found; the version says nothing about which
			// versions are affected (ranges and versions do), so it is
			// dropped and the package asked about.
			u.Version = ""
			af.PURL = u.String()
		} else {
			af.PURL = ecosystemPURL(p.Ecosystem, p.Name)
		}
	}
	if len(wa.Ranges) > MaxRanges {
		return af, fmt.Errorf("%d ranges, at most %d", len(wa.Ranges), MaxRanges)
	}
	for j, wr := range wa.Ranges {
		r, err := wr.rangeOf()
		if err != nil {
			return af, fmt.Errorf("ranges[%d]: %w", j, err)
		}
		af.Ranges = append(af.Ranges, r)
	}
	if len(wa.Versions) > MaxVersions {
		return af, fmt.Errorf("%d versions, at most %d", len(wa.Versions), MaxVersions)
	}
	for _, v := range wa.Versions {
		if err := checkVersion(v); err != nil {
			return af, fmt.Errorf("versions: %w", err)
		}
	}
	af.Versions = wa.Versions
	return af, nil
}

func (wr *wireRange) rangeOf() (Range, error) {
	r := Range{Type: RangeType(wr.Type), Repo: wr.Repo}
	switch r.Type {
	case RangeSemver, RangeEcosystem:
	case RangeGit:
		if wr.Repo == "" {
			return r, errors.New("a GIT range needs repo")
		}
	default:
		return r, fmt.Errorf("type %q: want SEMVER, ECOSYSTEM or GIT", clip.String(wr.Type, 64))
	}
	if !printable(wr.Repo, inventory.MaxFieldLen) {
		return r, errors.New("repo too long or not printable")
	}
	if len(wr.Events) > MaxEvents {
		return r, fmt.Errorf("%d events, at most %d", len(wr.Events), MaxEvents)
	}
	var intro, fixed, last bool
	for k, ev := range wr.Events {
		if len(ev) != 1 {
			return r, fmt.Errorf("events[%d]: exactly one of introduced, fixed, last_affected, limit", k)
		}
		for kind, v := range ev {
			e := Event{Kind: EventKind(kind), Version: v}
			switch e.Kind {
			case Introduced:
				intro = true
			case Fixed:
				fixed = true
			case LastAffected:
				last = true
			case Limit:
			default:
				return r, fmt.Errorf("events[%d]: unknown event %q", k, clip.String(kind, 64))
			}
			if err := checkVersion(v); err != nil {
				return r, fmt.Errorf("events[%d]: %w", k, err)
			}
			r.Events = append(r.Events, e)
		}
	}
	if !intro {
		return r, errors.New("a range needs an introduced event")
	}
	if fixed && last {
		return r, errors.New("a range has both fixed and last_affected events")
	}
	return r, nil
}

func checkVersion(v string) error {
	if v == "" || !printable(v, inventory.MaxVersionLen) {
		return fmt.Errorf("version %q empty, longer than %d bytes or not printable", clip.String(v, 64), inventory.MaxVersionLen)
	}
	return nil
}

func timestamp(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not RFC 3339", clip.String(s, 64))
	}
	return t.UTC(), nil
}

func validID(s string) bool { return len(s) <= MaxIDLen && idPattern.MatchString(s) }

// printable: valid UTF-8 without control characters, at most max bytes.
func printable(s string, max int) bool {
	return len(s) <= max && utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f })
}
