package drift

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/ztci/ztci/attest/inventory"
)

// ecosystemTypes maps OSV ecosystems to package URL type and namespace for
// the ecosystems where the OSV name is the package URL's namespace/name.
var ecosystemTypes = map[string]struct{ typ, ns string }{
	"Go": {"golang", ""}, "npm": {"npm", ""}, "PyPI": {"pypi", ""}, "crates.io": {"cargo", ""},
	"Maven": {"maven", ""}, "RubyGems": {"gem", ""}, "NuGet": {"nuget", ""}, "Packagist": {"composer", ""},
	"Hex": {"hex", ""}, "Pub": {"pub", ""},
	"Debian": {"deb", "debian"}, "Ubuntu": {"deb", "ubuntu"}, "Alpine": {"apk", "alpine"},
}

// ecosystemPURL derives the package URL (without version) of an OSV
// package, or "" when the ecosystem has no unambiguous mapping or the
// result does not parse.
func ecosystemPURL(ecosystem, name string) string {
	base, _, _ := strings.Cut(ecosystem, ":")
	m, ok := ecosystemTypes[base]
	if !ok {
		return ""
	}
	segs := strings.Split(name, "/")
	if m.typ == "maven" {
		g, a, ok := strings.Cut(name, ":")
		if !ok {
			return ""
		}
		segs = []string{g, a}
	}
	if m.ns != "" {
		segs = append([]string{m.ns}, segs...)
	}
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	u, err := inventory.ParsePURL("pkg:" + m.typ + "/" + strings.Join(segs, "/"))
	if err != nil || u.Version != "" {
		return ""
	}
	return u.String()
}

// Skip is a part of an advisory that no inventory query covers, with why.
// Artifacts affected only through it are not detected: a caller that
// needs them must match them by other means (a GIT range against source
// commits, say).
type Skip struct {
	// Affected is the index in Advisory.Affected (for a VEX statement, in
	// its Products); Range the index in its Ranges, or -1 when the whole
	// entry is skipped.
	Affected, Range int
	// Package is the entry's package URL, or ecosystem/name when it has
	// none.
	Package string
	// Err says why: [ErrGitRange], [ErrNoPackageURL], [ErrNothingToMatch],
	// [ErrUnresolvableProduct], an [*inventory.EcosystemError] (ranges of
	// a type without a version ordering here; the entry's exact versions
	// are still queried) or an [*inventory.VersionError] (a bound that
	// does not parse in the type's ordering).
	Err error
}

func (s Skip) String() string {
	if s.Range < 0 {
		return fmt.Sprintf("affected[%d] %s: %v", s.Affected, s.Package, s.Err)
	}
	return fmt.Sprintf("affected[%d] %s ranges[%d]: %v", s.Affected, s.Package, s.Range, s.Err)
}

// Queries translates the advisory into inventory queries: per affected
// entry, its package URL with its ranges (converted as the OSV evaluation
// algorithm reads them, below) and its enumerated versions, split so that
// no query exceeds [inventory.MaxQueryTerms]. Every query compiles
// ([inventory.Compile]). What cannot be queried is returned as skips,
// never dropped. A withdrawn advisory yields no queries and no skips.
//
// A SEMVER or ECOSYSTEM range's events are sorted in the package type's
// ordering ([inventory.CompareVersions]; "introduced": "0" first) and
// read as a timeline: an introduced event opens an affected interval
// unless one is open, fixed closes it (exclusive), last_affected closes it
// (inclusive); an interval still open at the end is unbounded. Limit
// events ("*" is infinity) bound the range: versions at or above the
// greatest limit are not affected (none is with a "*" limit). This is the
// schema's IsVulnerable pseudocode turned into intervals. Both range types use the package
// type's ordering, which for SEMVER ranges of golang, npm and cargo is
// semantic versioning itself.
func (a *Advisory) Queries() ([]inventory.Query, []Skip) {
	if !a.Withdrawn.IsZero() {
		return nil, nil
	}
	var qs []inventory.Query
	var skips []Skip
	for i, af := range a.Affected {
		name := af.PURL
		if name == "" {
			name = af.Ecosystem + "/" + af.Name
		}
		skip := func(r int, err error) { skips = append(skips, Skip{Affected: i, Range: r, Package: name, Err: err}) }
		if len(af.Ranges) == 0 && len(af.Versions) == 0 {
			skip(-1, ErrNothingToMatch)
			continue
		}
		if af.PURL == "" {
			skip(-1, ErrNoPackageURL)
			continue
		}
		u, err := inventory.ParsePURL(af.PURL)
		if err != nil { // ParseOSV produced it; kept as a skip, never a panic
			skip(-1, err)
			continue
		}
		var ranges []inventory.Range
		for j, r := range af.Ranges {
			if r.Type == RangeGit {
				skip(j, ErrGitRange)
				continue
			}
			if !inventory.Ordered(u.Type) {
				skip(j, &inventory.EcosystemError{Type: u.Type})
				continue
			}
			rs, err := intervals(u.Type, r.Events)
			if err != nil {
				skip(j, err)
				continue
			}
			ranges = append(ranges, rs...)
		}
		var batch []inventory.Query
		q := inventory.Query{Package: af.PURL, Limit: inventory.MaxLimit}
		next := func() {
			if len(q.Ranges)+len(q.Versions) == inventory.MaxQueryTerms {
				batch = append(batch, q)
				q = inventory.Query{Package: af.PURL, Limit: inventory.MaxLimit}
			}
		}
		for _, r := range ranges {
			next()
			q.Ranges = append(q.Ranges, r)
		}
		for _, v := range af.Versions {
			next()
			q.Versions = append(q.Versions, v)
		}
		if len(q.Ranges)+len(q.Versions) > 0 {
			batch = append(batch, q)
		}
		for _, q := range batch {
			if _, err := inventory.Compile(q); err != nil {
				skip(-1, err)
				continue
			}
			qs = append(qs, q)
		}
	}
	return qs, skips
}

// intervals converts one range's events into inventory ranges of package
// type typ (see Queries).
func intervals(typ string, events []Event) ([]inventory.Range, error) {
	type ev struct {
		Event
		zero bool // introduced "0": before every version
	}
	var evs []ev
	var limit string
	// A version is affected when it is below any limit, and every version
	// is below "*": with it, the other limits bound nothing. (Skipping
	// only the "*" event clipped the range to the others, leaving
	// affected versions out.)
	unlimited := slices.ContainsFunc(events, func(e Event) bool { return e.Kind == Limit && strings.Contains(e.Version, "*") })
	for _, e := range events {
		if e.Kind == Limit {
			if unlimited {
				continue
			}
			if limit != "" {
				c, err := inventory.CompareVersions(typ, e.Version, limit)
				if err != nil {
					return nil, err
				}
				if c <= 0 {
					continue
				}
			}
			limit = e.Version
			continue
		}
		evs = append(evs, ev{Event: e, zero: e.Kind == Introduced && e.Version == "0"})
	}
	// Each version is parsed once (inventory.SortVersions): sorting the
	// events with CompareVersions parsed two versions per comparison, and
	// a record of long versions cost seconds per range.
	var vs []string
	for _, e := range evs {
		if !e.zero {
			vs = append(vs, e.Version)
		}
	}
	ranks, err := inventory.SortVersions(typ, vs)
	if err != nil {
		return nil, err
	}
	rank := make(map[string]int, len(vs))
	for i, v := range vs {
		rank[v] = ranks[i]
	}
	slices.SortStableFunc(evs, func(a, b ev) int {
		if a.zero || b.zero {
			return cmp.Compare(boolRank(!a.zero), boolRank(!b.zero))
		}
		return cmp.Compare(rank[a.Version], rank[b.Version])
	})
	var out []inventory.Range
	var open *inventory.Range
	for _, e := range evs {
		switch {
		case e.Kind == Introduced && open == nil:
			open = &inventory.Range{Introduced: e.Version}
		case e.Kind == Fixed && open != nil:
			open.Fixed = e.Version
			out, open = append(out, *open), nil
		case e.Kind == LastAffected && open != nil:
			open.LastAffected = e.Version
			out, open = append(out, *open), nil
		}
	}
	if open != nil {
		out = append(out, *open)
	}
	if limit == "" {
		return out, nil
	}
	return clipToLimit(typ, out, limit)
}

// clipToLimit keeps the part of each range below limit (exclusive).
func clipToLimit(typ string, rs []inventory.Range, limit string) ([]inventory.Range, error) {
	var out []inventory.Range
	for _, r := range rs {
		if r.Introduced != "0" {
			c, err := inventory.CompareVersions(typ, r.Introduced, limit)
			if err != nil {
				return nil, err
			}
			if c >= 0 {
				continue // starts at or above the limit
			}
		}
		switch {
		case r.Fixed != "":
			if c, err := inventory.CompareVersions(typ, r.Fixed, limit); err != nil {
				return nil, err
			} else if c > 0 {
				r.Fixed = limit
			}
		case r.LastAffected != "":
			if c, err := inventory.CompareVersions(typ, r.LastAffected, limit); err != nil {
				return nil, err
			} else if c >= 0 {
				r.LastAffected, r.Fixed = "", limit
			}
		default:
			r.Fixed = limit
		}
		out = append(out, r)
	}
	return out, nil
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}
