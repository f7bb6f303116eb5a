package inventory

import (
	"cmp"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// --- RubyGems (gem) ---

// gemPattern is Gem::Version's ANCHORED_VERSION_PATTERN without the
// surrounding whitespace it tolerates (a version with spaces does not
// parse here: it is listed unordered, never guessed).
var gemPattern = regexp.MustCompile(`^[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

// gemSegment is a segment of a Gem::Version: a number (decimal digits
// without leading zeros, "0" for zero) or a string (letters).
type gemSegment struct {
	num   string
	str   string
	isNum bool
}

// gemVersion is the canonical segments of a Gem::Version
// (Gem::Version#canonical_segments, rubygems lib/rubygems/version.rb).
type gemVersion []gemSegment

func parseGem(s string) (version, error) {
	if !gemPattern.MatchString(s) {
		return nil, escapeError("not a RubyGems version")
	}
	v := strings.ReplaceAll(s, "-", ".pre.") // as Gem::Version.new does
	v = trimGemZeros(v)
	if strings.ContainsFunc(v, func(r rune) bool { return r < 0x80 && isLetter(byte(r)) }) { // a prerelease
		v = dropGemZerosBeforeLetter(v)
	}
	var segs gemVersion
	for i := 0; i < len(v); {
		j := i
		switch {
		case isDigit(v[i]):
			for j < len(v) && isDigit(v[j]) {
				j++
			}
			n := strings.TrimLeft(v[i:j], "0")
			if n == "" {
				n = "0"
			}
			segs = append(segs, gemSegment{num: n, isNum: true})
		case isLetter(v[i]):
			for j < len(v) && isLetter(v[j]) {
				j++
			}
			segs = append(segs, gemSegment{str: v[i:j]})
		default:
			j++ // a '.'
		}
		i = j
	}
	return segs, nil
}

// trimGemZeros removes trailing zero segments as canonical_segments does
// with v.sub(/(?<=[a-zA-Z.])[.0]+\z/, ""): the longest tail of '.' and
// '0' that follows a letter or a '.'.
func trimGemZeros(v string) string {
	j := len(v)
	for j > 0 && (v[j-1] == '.' || v[j-1] == '0') {
		j--
	}
	if j > 0 && isLetter(v[j-1]) {
		return v[:j]
	}
	for k := j + 1; k < len(v); k++ {
		if v[k-1] == '.' {
			return v[:k]
		}
	}
	return v
}

// dropGemZerosBeforeLetter removes the first run of zero segments that
// a letter follows, as canonical_segments does for a prerelease with
// v.sub(/(?<=\.|\A)[0.]+(?=[a-zA-Z])/, ""): 1.0.0.a is 1.a.
func dropGemZerosBeforeLetter(v string) string {
	for k := 0; k < len(v); k++ {
		if k > 0 && v[k-1] != '.' {
			continue
		}
		m := k
		for m < len(v) && (v[m] == '0' || v[m] == '.') {
			m++
		}
		if m > k && m < len(v) && isLetter(v[m]) {
			return v[:k] + v[m:]
		}
	}
	return v
}

// compare is Gem::Version#<=>: segment by segment, a string below a
// number; past the shorter version, the longer is the smaller if its next
// segment that is not a zero is a string (1.0.a < 1.0), the larger if a
// number.
func (a gemVersion) compare(o version) int {
	b := o.(gemVersion)
	n := min(len(a), len(b))
	for i := range n {
		x, y := a[i], b[i]
		switch {
		case x.isNum && y.isNum:
			if c := cmpNum(x.num, y.num); c != 0 {
				return c
			}
		case x.isNum:
			return 1
		case y.isNum:
			return -1
		default:
			if c := strings.Compare(x.str, y.str); c != 0 {
				return c
			}
		}
	}
	return gemTail(a[n:]) - gemTail(b[n:])
}

// gemTail is the sign the segments one version has beyond the other's
// give it: -1 for a string first, +1 for a non-zero number first, 0 for
// zeros only.
func gemTail(rest gemVersion) int {
	for _, s := range rest {
		switch {
		case !s.isNum:
			return -1
		case s.num != "0":
			return 1
		}
	}
	return 0
}

// --- NuGet ---

// nugetVersion is a NuGetVersion (NuGet.Versioning): up to four numbers,
// missing ones 0, and the release labels; build metadata is not kept, as
// VersionComparer.Default ignores it.
type nugetVersion struct {
	nums   [4]int64
	labels []string // nil: a release
}

func parseNuGet(s string) (version, error) {
	core, meta, hasMeta := strings.Cut(s, "+")
	core, pre, hasPre := strings.Cut(core, "-")
	if hasMeta && !nugetParts(meta, true) || hasPre && !nugetParts(pre, false) {
		return nil, escapeError("release labels and metadata are dot-separated ASCII letters, digits and '-'")
	}
	parts := strings.Split(core, ".")
	if len(parts) > 4 {
		return nil, escapeError("at most four numbers")
	}
	var v nugetVersion
	for i, p := range parts {
		n, err := strconv.ParseInt(p, 10, 32)
		if err != nil || !allDigits(p) {
			return nil, escapeError("a version part is a number up to 2147483647")
		}
		v.nums[i] = n
	}
	if hasPre {
		v.labels = strings.Split(pre, ".")
	}
	return v, nil
}

// nugetParts reports whether s is a valid release label list (or, with
// zeros, build metadata): non-empty parts of ASCII letters, digits and
// '-', a numeric label without leading zeros.
func nugetParts(s string, zeros bool) bool {
	for _, p := range strings.Split(s, ".") {
		if p == "" || strings.ContainsFunc(p, func(r rune) bool { return !isLabelChar(r) }) {
			return false
		}
		if !zeros && len(p) > 1 && p[0] == '0' && allDigits(p) {
			return false
		}
	}
	return true
}

// isLabelChar reports whether r is an ASCII letter, digit or '-'.
func isLabelChar(r rune) bool { return r < 0x80 && (isLetter(byte(r)) || isDigit(byte(r)) || r == '-') }

// compare is VersionComparer.Default: the four numbers, then a release
// above any pre-release, then the labels one by one (a label that
// int.TryParse reads, below one it does not; labels compared without
// case), the shorter list first.
func (a nugetVersion) compare(o version) int {
	b := o.(nugetVersion)
	for i := range a.nums {
		if c := cmp.Compare(a.nums[i], b.nums[i]); c != 0 {
			return c
		}
	}
	switch {
	case a.labels == nil && b.labels == nil:
		return 0
	case a.labels == nil:
		return 1
	case b.labels == nil:
		return -1
	}
	for i := 0; i < len(a.labels) && i < len(b.labels); i++ {
		if c := nugetLabelCompare(a.labels[i], b.labels[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a.labels), len(b.labels))
}

func nugetLabelCompare(x, y string) int {
	// int.TryParse: an optional sign ("-1" is a label), and the value
	// fits 32 bits; a longer number is compared as a string.
	nx, ex := strconv.ParseInt(x, 10, 32)
	ny, ey := strconv.ParseInt(y, 10, 32)
	switch {
	case ex == nil && ey == nil:
		return cmp.Compare(nx, ny)
	case ex == nil:
		return -1
	case ey == nil:
		return 1
	}
	// OrdinalIgnoreCase: labels are ASCII, and no label character lies
	// between 'Z' and 'a', so lower case orders as upper case does.
	return strings.Compare(strings.ToLower(x), strings.ToLower(y))
}

// --- Composer (Packagist) ---

// composerClassical and composerDate are composer/semver's
// VersionParser::normalize patterns (src/VersionParser.php) for a version
// (not a branch): up to four numbers, or a date, then a stability
// modifier. Go's regexp has no possessive quantifiers; none of them
// changes what these match.
var (
	composerModifier  = `[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\d+)*)?)?([.-]?dev)?$`
	composerClassical = regexp.MustCompile(`(?i)^v?(\d{1,5})(\.\d+)?(\.\d+)?(\.\d+)?` + composerModifier)
	composerDate      = regexp.MustCompile(`(?i)^v?(\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3}){0,2})` + composerModifier)
	nonDigit          = regexp.MustCompile(`\D`)
)

// composerVersion is a version normalized as composer/semver does, then
// canonicalized as PHP's version_compare does: parts that are numbers or
// words.
type composerVersion []string

func parseComposer(s string) (version, error) {
	n, ok := normalizeComposer(s)
	if !ok {
		return nil, escapeError("not a Composer version (a branch such as dev-main has no order)")
	}
	return composerVersion(phpCanonicalParts(n)), nil
}

// normalizeComposer is VersionParser::normalize for a version: build
// metadata dropped, the numbers padded to four, the stability expanded
// (a → alpha, b → beta, rc → RC, p and pl → patch). Branches (dev-…,
// 1.x-dev), aliases and stability flags are not versions: false.
func normalizeComposer(s string) (string, bool) {
	// ASCII only: upstream's patterns (PCRE without the u flag) fold ASCII
	// letters only, and Go's (?i) folds Unicode ("\u017ftable", long s,
	// would be "stable").
	if strings.ContainsFunc(s, func(r rune) bool { return r >= utf8.RuneSelf }) {
		return "", false
	}
	if i := strings.IndexByte(s, '+'); i > 0 && i < len(s)-1 {
		s = s[:i]
	}
	var v string
	var mod []string // stability, its numbers, dev
	if m := composerClassical.FindStringSubmatch(s); m != nil {
		v = m[1]
		for _, p := range m[2:5] {
			if p == "" {
				p = ".0"
			}
			v += p
		}
		mod = m[5:8]
	} else if m := composerDate.FindStringSubmatch(s); m != nil {
		v, mod = nonDigit.ReplaceAllString(m[1], "."), m[2:5]
	} else {
		return "", false
	}
	if mod[0] != "" {
		if mod[0] == "stable" { // case-sensitive, as upstream
			return v, true
		}
		v += "-" + expandStability(mod[0]) + strings.TrimLeft(mod[1], ".-")
	}
	if mod[2] != "" {
		v += "-dev"
	}
	return v, true
}

func expandStability(s string) string {
	s = strings.ToLower(s)
	switch s {
	case "a":
		return "alpha"
	case "b":
		return "beta"
	case "p", "pl":
		return "patch"
	case "rc":
		return "RC"
	}
	return s
}

// phpCanonicalParts splits a normalized Composer version as
// php_canonicalize_version does before version_compare compares it: at
// '.', '-', '_' and '+', and between a digit and a letter.
func phpCanonicalParts(v string) []string {
	var parts []string
	start := 0
	for i := 1; i <= len(v); i++ {
		switch {
		case i == len(v), strings.IndexByte(".-_+", v[i]) >= 0:
		case isDigit(v[i]) != isDigit(v[i-1]) && strings.IndexByte(".-_+", v[i-1]) < 0:
		default:
			continue
		}
		if i > start {
			parts = append(parts, v[start:i])
		}
		start = i
		if i < len(v) && strings.IndexByte(".-_+", v[i]) >= 0 {
			start = i + 1
		}
	}
	return parts
}

// phpSpecialOrder is the order version_compare gives a word part, by
// prefix as PHP matches it (compare_special_version_forms): dev < alpha =
// a < beta = b < RC = rc < a number ("#") < pl = p (so patch); any other
// word, below all of them.
func phpSpecialOrder(part string) int {
	for _, f := range []struct {
		prefix string
		order  int
	}{{"dev", 0}, {"alpha", 1}, {"a", 1}, {"beta", 2}, {"b", 2}, {"RC", 3}, {"rc", 3}, {"#", 4}, {"pl", 5}, {"p", 5}} {
		if strings.HasPrefix(part, f.prefix) {
			return f.order
		}
	}
	return -1
}

// compare is PHP's version_compare on the canonical parts: numbers
// numerically (of any length; PHP's strtol saturates past 2^63), words by
// their special order, a number against a word as "#"; past the shorter
// version, a number makes the longer the larger, a word is compared
// with "#" (1.0.0.0-beta < 1.0.0.0 < 1.0.0.0-patch1).
func (a composerVersion) compare(o version) int {
	b := o.(composerVersion)
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := phpPartCompare(a[i], b[i]); c != 0 {
			return c
		}
	}
	switch {
	case len(a) > len(b):
		return phpTail(a[len(b)])
	case len(b) > len(a):
		return -phpTail(b[len(a)])
	}
	return 0
}

// phpTail is how version_compare orders a version whose next part is
// first, against one that ends: above it for a number, else as the word
// orders against "#".
func phpTail(first string) int {
	if isDigit(first[0]) {
		return 1
	}
	return cmp.Compare(phpSpecialOrder(first), phpSpecialOrder("#"))
}

func phpPartCompare(x, y string) int {
	xn, yn := isDigit(x[0]), isDigit(y[0])
	switch {
	case xn && yn:
		return cmpNum(x, y)
	case xn:
		x = "#"
	case yn:
		y = "#"
	}
	return cmp.Compare(phpSpecialOrder(x), phpSpecialOrder(y))
}

// --- Pub (Dart) ---

// pubPattern is pub_semver's completeVersion (lib/src/patterns.dart).
var pubPattern = regexp.MustCompile(`^(\d+)\.(\d+)\.(\d+)(-([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?(\+([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?$`)

// pubVersion is a pub_semver Version. Unlike SemVer 2.0.0, build metadata
// orders: a version with a build comes after the one without, and builds
// compare like pre-releases (1.0.0 < 1.0.0+1 < 1.0.0+2).
type pubVersion struct {
	core       [3]int64
	pre, build []pubPart // nil: none
}

// pubPart is an identifier of a pre-release or build: a number (int.tryParse
// reads it) or a string.
type pubPart struct {
	num   int64
	str   string
	isNum bool
}

func parsePub(s string) (version, error) {
	m := pubPattern.FindStringSubmatch(s)
	if m == nil {
		return nil, escapeError("not a pub version (MAJOR.MINOR.PATCH[-pre][+build])")
	}
	var v pubVersion
	for i := range v.core {
		n, err := strconv.ParseInt(m[i+1], 10, 64)
		if err != nil {
			return nil, escapeError("a version number exceeds 64 bits")
		}
		v.core[i] = n
	}
	var err error
	if v.pre, err = pubParts(m[5]); err != nil {
		return nil, err
	}
	if v.build, err = pubParts(m[8]); err != nil {
		return nil, err
	}
	return v, nil
}

// pubParts splits a pre-release or build as Version._splitParts does: a
// part int.tryParse reads is a number. A part Dart would read as a number
// in a way this does not reproduce (a sign, hexadecimal 0x…, beyond 64
// bits) is refused rather than ordered differently.
func pubParts(s string) ([]pubPart, error) {
	if s == "" {
		return nil, nil
	}
	var out []pubPart
	for _, p := range strings.Split(s, ".") {
		switch {
		case allDigits(p):
			n, err := strconv.ParseInt(p, 10, 64)
			if err != nil {
				return nil, escapeError("a numeric identifier exceeds 64 bits")
			}
			out = append(out, pubPart{num: n, isNum: true})
		case dartMayReadAsInt(p):
			return nil, escapeError("an identifier Dart reads as a signed or hexadecimal number")
		default:
			out = append(out, pubPart{str: p})
		}
	}
	return out, nil
}

// dartMayReadAsInt reports whether int.tryParse may read p (made of ASCII
// letters, digits and '-'), which is not all digits, as a number: "-1",
// "0x1f", "-0X1F".
func dartMayReadAsInt(p string) bool {
	p = strings.TrimPrefix(p, "-")
	if allDigits(p) {
		return true
	}
	if len(p) > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') {
		return !strings.ContainsFunc(p[2:], func(r rune) bool { return r >= 0x80 || !isHex(byte(r)) })
	}
	return false
}

// compare is pub_semver's Version.compareTo.
func (a pubVersion) compare(o version) int {
	b := o.(pubVersion)
	for i := range a.core {
		if c := cmp.Compare(a.core[i], b.core[i]); c != 0 {
			return c
		}
	}
	switch { // a pre-release before the release
	case a.pre == nil && b.pre != nil:
		return 1
	case a.pre != nil && b.pre == nil:
		return -1
	}
	if c := comparePubParts(a.pre, b.pre); c != 0 {
		return c
	}
	switch { // a build after none
	case a.build == nil && b.build != nil:
		return -1
	case a.build != nil && b.build == nil:
		return 1
	}
	return comparePubParts(a.build, b.build)
}

// comparePubParts is _compareLists: numbers before strings, a missing part
// before a present one.
func comparePubParts(a, b []pubPart) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		var c int
		switch {
		case x.isNum && y.isNum:
			c = cmp.Compare(x.num, y.num)
		case x.isNum:
			c = -1
		case y.isNum:
			c = 1
		default:
			c = strings.Compare(x.str, y.str)
		}
		if c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

// --- Swift ---

// parseSwift is SemVer 2.0.0 as SwiftPM's Version orders it. SwiftPM reads
// a pre-release identifier with Int(), which takes a sign: "-1" is a
// number there and a string in SemVer, so such an identifier is refused
// rather than ordered differently.
func parseSwift(s string) (version, error) {
	v, err := parseSemver(s)
	if err != nil {
		return nil, err
	}
	pre, _, _ := strings.Cut(s, "+")
	if _, pre, ok := strings.Cut(pre, "-"); ok {
		for _, id := range strings.Split(pre, ".") {
			if len(id) > 1 && (id[0] == '-' || id[0] == '+') && allDigits(id[1:]) {
				return nil, escapeError("a signed numeric pre-release identifier")
			}
		}
	}
	return v, nil
}
