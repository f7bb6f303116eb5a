package inventory

import (
	"cmp"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/mod/semver"
)

// Orderings. CompareVersions and range queries know these package types;
// every other type is compared for exact equality only, and a range asked of
// it is an [*EcosystemError].
//
//	golang            semantic versioning 2.0 as Go modules use it: "v" prefix
//	                  optional, MAJOR.MINOR.PATCH required, pseudo-versions are
//	                  pre-releases, "+incompatible" (build metadata) ignored
//	npm, cargo        semantic versioning 2.0 (a leading "v" tolerated)
//	pypi              PEP 440: epochs, pre-, post-, dev-releases, local labels
//	maven             Maven's ComparableVersion (3.x): qualifiers ordered
//	                  alpha < beta < milestone < rc = cr < snapshot <
//	                  "" = ga = final = release < sp < other (lexical)
//	deb               dpkg: epoch, upstream and revision compared by
//	                  verrevcmp, '~' sorting before everything
//	rpm               rpmvercmp with epoch and release
//	apk               apk-tools (Alpine): numbers, a letter, _alpha < _beta <
//	                  _pre < _rc < none < _cvs < _svn < _git < _hg < _p
//	                  suffixes, then the -rN revision
//	gem               RubyGems Gem::Version: segments split at '.' and
//	                  between digits and letters, trailing zeros ignored, a
//	                  letter segment a pre-release (1.0.0.a < 1.0.0 =
//	                  1.0), "-" read as ".pre."
//	nuget             NuGet.Versioning: up to four numbers (missing ones 0),
//	                  SemVer 2.0 release labels compared without case,
//	                  build metadata ignored
//	composer          composer/semver: versions normalized as
//	                  VersionParser::normalize does (four numbers or a date,
//	                  stability a/alpha, b/beta, RC, p/pl/patch, -dev), then
//	                  PHP's version_compare: dev < alpha < beta < RC <
//	                  release < patch; branches (dev-main, 1.x-dev) unordered
//	hex, swift        semantic versioning 2.0 as Elixir's Version and
//	                  SwiftPM's order it (a leading "v" tolerated, build
//	                  metadata ignored)
//	pub               pub_semver (Dart): semantic versioning 2.0, but leading
//	                  zeros allowed and build metadata ordered (1.0.0 <
//	                  1.0.0+1)
var orderings = map[string]func(string) (version, error){
	"golang": parseGoSemver,
	"npm":    parseSemver,
	"cargo":  parseSemver,
	"pypi":   parsePEP440,
	"maven":  parseMaven,
	"deb":    parseDeb,
	"rpm":    parseRPM,
	// Without it every Alpine advisory range was a skip (no ordering),
	// so an Alpine image was found only by the versions a record lists,
	// which Alpine's secdb records do not.
	"apk": parseAPK,
	// Without these, every range of a RubyGems, NuGet, Packagist, Hex,
	// Pub or Swift advisory was a skip (no ordering).
	"gem":      parseGem,
	"nuget":    parseNuGet,
	"composer": parseComposer,
	"hex":      parseSemver,
	"pub":      parsePub,
	"swift":    parseSwift,
}

// version is a version parsed in one ordering; compare is only called with
// a version of the same ordering.
type version interface {
	compare(version) int
}

// MaxVersionLen is the longest version accepted, in bytes.
const MaxVersionLen = 256

// Ordered reports whether package type typ has a version ordering here.
func Ordered(typ string) bool { return orderings[typ] != nil }

// CompareVersions orders versions a and b of package type typ (as in a
// package URL: "golang", "pypi", …), returning -1, 0 or +1. It returns an
// [*EcosystemError] for a type without an ordering and a [*VersionError]
// for a version that does not parse in it.
func CompareVersions(typ, a, b string) (int, error) {
	parse := orderings[typ]
	if parse == nil {
		return 0, &EcosystemError{Type: typ}
	}
	va, err := parseVersion(typ, parse, a)
	if err != nil {
		return 0, err
	}
	vb, err := parseVersion(typ, parse, b)
	if err != nil {
		return 0, err
	}
	return va.compare(vb), nil
}

// SortVersions sorts vs in place, stably, in the ordering of package type
// typ, and returns for each position the rank of its version: equal ranks
// for versions equal in the ordering (v1.2.3 and 1.2.3 for golang), rising
// with the version. Each version is parsed once, so sorting n versions
// costs n parses, not the n log n of sorting with [CompareVersions] (an
// advisory of a thousand events of long versions per range cost seconds).
// It returns an [*EcosystemError] for a type without an ordering and a
// [*VersionError] for a version that does not parse in it; vs is then
// unchanged.
func SortVersions(typ string, vs []string) ([]int, error) {
	parse := orderings[typ]
	if parse == nil {
		return nil, &EcosystemError{Type: typ}
	}
	type parsed struct {
		s string
		v version
	}
	ps := make([]parsed, len(vs))
	for i, s := range vs {
		v, err := parseVersion(typ, parse, s)
		if err != nil {
			return nil, err
		}
		ps[i] = parsed{s, v}
	}
	slices.SortStableFunc(ps, func(a, b parsed) int { return a.v.compare(b.v) })
	ranks := make([]int, len(ps))
	for i, p := range ps {
		vs[i] = p.s
		if i > 0 {
			ranks[i] = ranks[i-1]
			if ps[i-1].v.compare(p.v) != 0 {
				ranks[i]++
			}
		}
	}
	return ranks, nil
}

func parseVersion(typ string, parse func(string) (version, error), s string) (version, error) {
	if s == "" || len(s) > MaxVersionLen {
		return nil, &VersionError{Type: typ, Version: s, Reason: "empty or too long"}
	}
	v, err := parse(s)
	if err != nil {
		return nil, &VersionError{Type: typ, Version: s, Reason: err.Error()}
	}
	return v, nil
}

// cmpNum compares two non-negative decimal integers of any length.
func cmpNum(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// --- semantic versioning ---

type semverVersion string // canonical "vX.Y.Z[-pre]"

func (v semverVersion) compare(o version) int {
	return semver.Compare(string(v), string(o.(semverVersion)))
}

func parseSemver(s string) (version, error) {
	v := s
	if !strings.HasPrefix(v, "v") {
		v = "v" + v
	}
	if !semver.IsValid(v) {
		return nil, escapeError("not semantic versioning 2.0")
	}
	core := v
	if i := strings.IndexAny(core, "-+"); i >= 0 {
		core = core[:i]
	}
	if strings.Count(core, ".") != 2 {
		return nil, escapeError("needs MAJOR.MINOR.PATCH")
	}
	return semverVersion(strings.TrimSuffix(v, semver.Build(v))), nil
}

func parseGoSemver(s string) (version, error) { return parseSemver(s) }

// --- PEP 440 ---

// pep440 is the version pattern of PEP 440, appendix B.
var pep440 = regexp.MustCompile(`(?i)^\s*v?(?:(?:([0-9]+)!)?([0-9]+(?:\.[0-9]+)*)` +
	`(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?([0-9]+)?)?` +
	`(?:-([0-9]+)|[-_.]?(post|rev|r)[-_.]?([0-9]+)?)?` +
	`(?:[-_.]?(dev)[-_.]?([0-9]+)?)?)` +
	`(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$`)

// inf is a bound that sorts below (-1) or above (+1) every value, or is a
// value (0).
type pyPart struct {
	inf  int
	rank int    // pre-release: a=0 b=1 rc=2
	num  string // decimal
}

func (a pyPart) cmp(b pyPart) int {
	if a.inf != b.inf {
		return cmp.Compare(a.inf, b.inf)
	}
	if a.inf != 0 {
		return 0
	}
	if a.rank != b.rank {
		return cmp.Compare(a.rank, b.rank)
	}
	return cmpNum(a.num, b.num)
}

type pyVersion struct {
	epoch     string
	release   []string
	pre       pyPart
	post, dev pyPart
	local     []string // nil: none
	hasLocal  bool
}

func parsePEP440(s string) (version, error) {
	m := pep440.FindStringSubmatch(s)
	if m == nil {
		return nil, escapeError("not a PEP 440 version")
	}
	v := pyVersion{epoch: m[1]}
	if v.epoch == "" {
		v.epoch = "0"
	}
	v.release = strings.Split(m[2], ".")
	for len(v.release) > 1 && strings.TrimLeft(v.release[len(v.release)-1], "0") == "" {
		v.release = v.release[:len(v.release)-1]
	}
	if len(v.release) == 1 && strings.TrimLeft(v.release[0], "0") == "" {
		v.release = nil
	}
	num := func(s string) string {
		if s == "" {
			return "0"
		}
		return s
	}
	hasPre, hasPost, hasDev := m[3] != "", m[5] != "" || m[6] != "", m[8] != ""
	switch {
	case hasPre:
		rank := 2
		switch strings.ToLower(m[3]) {
		case "a", "alpha":
			rank = 0
		case "b", "beta":
			rank = 1
		}
		v.pre = pyPart{rank: rank, num: num(m[4])}
	case !hasPost && hasDev:
		v.pre = pyPart{inf: -1} // 1.0.dev0 < 1.0a0
	default:
		v.pre = pyPart{inf: 1}
	}
	switch {
	case m[5] != "":
		v.post = pyPart{num: m[5]}
	case m[6] != "":
		v.post = pyPart{num: num(m[7])}
	default:
		v.post = pyPart{inf: -1}
	}
	if hasDev {
		v.dev = pyPart{num: num(m[9])}
	} else {
		v.dev = pyPart{inf: 1}
	}
	if m[10] != "" {
		v.hasLocal = true
		v.local = strings.FieldsFunc(strings.ToLower(m[10]), func(r rune) bool { return r == '-' || r == '_' || r == '.' })
	}
	return v, nil
}

func (a pyVersion) compare(o version) int {
	b := o.(pyVersion)
	if c := cmpNum(a.epoch, b.epoch); c != 0 {
		return c
	}
	for i := 0; i < len(a.release) || i < len(b.release); i++ {
		switch {
		case i >= len(a.release):
			return -1
		case i >= len(b.release):
			return 1
		}
		if c := cmpNum(a.release[i], b.release[i]); c != 0 {
			return c
		}
	}
	if c := a.pre.cmp(b.pre); c != 0 {
		return c
	}
	if c := a.post.cmp(b.post); c != 0 {
		return c
	}
	if c := a.dev.cmp(b.dev); c != 0 {
		return c
	}
	if a.hasLocal != b.hasLocal {
		if a.hasLocal {
			return 1
		}
		return -1
	}
	for i := 0; i < len(a.local) || i < len(b.local); i++ {
		switch {
		case i >= len(a.local):
			return -1
		case i >= len(b.local):
			return 1
		}
		x, y := a.local[i], b.local[i]
		xn, yn := allDigits(x), allDigits(y)
		var c int
		switch {
		case xn && yn:
			c = cmpNum(x, y)
		case xn:
			c = 1 // numeric segments sort after alphanumeric ones
		case yn:
			c = -1
		default:
			c = strings.Compare(x, y)
		}
		if c != 0 {
			return c
		}
	}
	return 0
}
