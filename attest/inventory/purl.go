package inventory

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/pep503"
)

// MaxPURLLen is the longest package URL accepted, in bytes.
const MaxPURLLen = 2048

// PURL is a parsed package URL (https://github.com/package-url/purl-spec)
// reduced to what the index keys on: type, namespace, name and version.
// Qualifiers and subpath are checked for well-formedness and dropped: two
// package URLs that differ only in them name the same package here. (One
// qualifier is read on Record: the "upstream" of an OS package names its
// source package, which the index keys too, see [Package.Source].)
type PURL struct {
	// Type is the package type ("golang", "npm", "maven", …), lower case.
	Type string
	// Namespace is the decoded namespace ("golang.org/x", "org.apache"),
	// segments joined by "/"; empty when the type has none.
	Namespace string
	// Name is the decoded name. Namespace and name are normalized for
	// the type (see [ParsePURL]).
	Name string
	// Version is the decoded version; empty when the URL has none. For
	// rpm, deb and alpm an "epoch" qualifier is folded in ("epoch:version"),
	// as their orderings compare the epoch first; so it is into the SBOM's
	// version field of a package URL without version. An epoch qualifier
	// that is not a number, or that differs from the version's own epoch,
	// refuses the package URL.
	Version string
}

// caseInsensitive are the package types whose namespace and name are
// lower-cased when normalized: those the purl specification declares
// case-insensitive, and nuget, whose ids the specification calls
// case-preserving while NuGet itself compares them case-insensitively (one
// package per id in any case; its API lower-cases ids), so that an SBOM
// written from a project file's "newtonsoft.json" and an advisory's
// "Newtonsoft.Json" are one package (purl-spec issue 226). Where a later
// revision of the specification is stricter (npm names, golang paths),
// lower-casing is kept: it can merge two packages into one answer, never
// split one package into two. That is safe for finding packages, not for
// lifting a finding: a VEX statement names a package by its spelling
// ([Package.Spelled]), which stores keep beside the key.
var caseInsensitive = map[string]bool{
	"alpm": true, "apk": true, "bitbucket": true, "bitnami": true, "composer": true,
	"deb": true, "github": true, "golang": true, "hex": true, "luarocks": true,
	"npm": true, "nuget": true, "oci": true, "otp": true, "pub": true, "pypi": true,
}

// FoldsCase reports whether index keys of package type typ are lower-cased
// (see [ParsePURL]), so that one key may stand for packages whose names
// differ only in case.
func FoldsCase(typ string) bool { return caseInsensitive[typ] }

// ParsePURL parses s strictly: the "pkg:" scheme, a type of ASCII letters,
// digits, '.', '+' and '-' starting with a letter, a non-empty name, no empty
// namespace segment, valid percent-encoding, no control characters or
// unencoded spaces, well-formed qualifiers without duplicate keys, at most
// [MaxPURLLen] bytes in the input, in the canonical form ([PURL.String])
// and in the form that keeps the input's spelling ([Package.Spelled]), so
// that both parse again. Namespace and name are
// normalized for the type: lower case where the specification declares
// them case-insensitive (golang, npm, pypi, deb, github, …) and for nuget,
// whose ids NuGet compares case-insensitively, and a pypi
// name as PyPI compares names (PEP 503: every run of '-', '_' and '.' is
// one '-'). A '/' percent-encoded in the name separates path segments as
// a raw one does ("pkg:npm/%40angular%2Fcore" is "pkg:npm/%40angular/core"),
// and a golang path's module-proxy case-encoding is decoded ("!azure" is
// "Azure"), so that every spelling of one path is one key. A refusal is a
// [*PURLError].
func ParsePURL(s string) (PURL, error) {
	p, _, _, err := parse(s)
	return p, err
}

// qualifiers are the decoded qualifiers parse reads.
type qualifiers struct {
	// epoch is the "epoch" qualifier ("" when absent).
	epoch string
	// upstream is the "upstream" qualifier, hasUpstream whether there is
	// one (it may be empty).
	upstream    string
	hasUpstream bool
}

// parse is [ParsePURL], returning also the package URL as s spelled it:
// the same PURL with namespace and name not normalized (its String must
// parse again too, as a store keeps it and returns it: [Package.Spelled]),
// and the qualifiers the index reads.
func parse(s string) (p, spelled PURL, q qualifiers, err error) {
	bad := func(reason string) (PURL, PURL, qualifiers, error) {
		return PURL{}, PURL{}, qualifiers{}, &PURLError{Input: clip.String(s, 200), Reason: reason}
	}
	if len(s) > MaxPURLLen {
		return bad("longer than the maximum length")
	}
	if !utf8.ValidString(s) {
		return bad("not UTF-8")
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return bad("control character or unencoded space")
		}
	}
	rest, ok := strings.CutPrefix(s, "pkg:")
	if !ok {
		return bad(`scheme is not "pkg:"`)
	}
	rest = strings.TrimLeft(rest, "/") // the spec tolerates "pkg://"
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		for seg := range strings.SplitSeq(rest[i+1:], "/") {
			if _, err := unescape(seg); err != nil {
				return bad("subpath: " + err.Error())
			}
		}
		rest = rest[:i]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		var reason string
		if q, reason = checkQualifiers(rest[i+1:]); reason != "" {
			return bad("qualifiers: " + reason)
		}
		rest = rest[:i]
	}
	if at := strings.LastIndexByte(rest, '@'); at > strings.LastIndexByte(rest, '/') {
		v, err := unescape(rest[at+1:])
		if err != nil {
			return bad("version: " + err.Error())
		}
		if v == "" {
			return bad("empty version after '@'")
		}
		p.Version, rest = v, rest[:at]
	}
	rest = strings.TrimRight(rest, "/")
	segs := strings.Split(rest, "/")
	if len(segs) < 2 {
		return bad("needs a type and a name")
	}
	if !validType(segs[0]) {
		return bad("type must be ASCII letters, digits, '.', '+' or '-', starting with a letter")
	}
	p.Type = strings.ToLower(segs[0])
	var ns []string
	for i, seg := range segs[1:] {
		d, err := unescape(seg)
		if err != nil {
			return bad(err.Error())
		}
		if d == "" {
			return bad("empty namespace segment or name")
		}
		if i < len(segs)-2 && strings.Contains(d, "/") {
			return bad("a namespace segment decodes to a '/'")
		}
		ns = append(ns, d)
	}
	// A '/' encoded in the name is a path separator all the same: purl
	// libraries given a whole Go module path or npm "@scope/name" as the
	// name write "%2F", and keying that apart from the raw '/' an advisory
	// writes would hide the package from the incident query. (Keys that
	// builds of before wrote for such names, and for golang's "!", are
	// not re-derived by the persistent stores: that needs a format
	// version and a migration, see normalize.)
	if last := ns[len(ns)-1]; strings.Contains(last, "/") {
		parts := strings.Split(last, "/")
		if slices.Contains(parts, "") {
			return bad("the name decodes to an empty path segment")
		}
		ns = append(ns[:len(ns)-1], parts...)
	}
	if p.Type == "golang" {
		for i := range ns {
			ns[i] = goUnescape(ns[i])
		}
	}
	p.Namespace, p.Name = strings.Join(ns[:len(ns)-1], "/"), ns[len(ns)-1]
	var reason string
	if p.Version, reason = withEpoch(p.Type, p.Version, q.epoch); reason != "" {
		return bad(reason)
	}
	if p.Type == "maven" && p.Namespace == "" {
		return bad("a maven package URL needs a namespace (the groupId)")
	}
	spelled = p
	p.Namespace, p.Name = normalize(p.Type, p.Namespace, p.Name)
	// Escaping can lengthen either form, and case folding one more than
	// the other.
	if len(p.String()) > MaxPURLLen || len(spelled.String()) > MaxPURLLen {
		return bad("canonical or spelled form longer than the maximum length")
	}
	return p, spelled, q, nil
}

// normalize is the one place a package's identity is normalized: every
// index key, query and advisory match goes through ParsePURL, and the
// stores re-derive keys written under an earlier rule with [CanonicalKey].
// A change here changes keys: the persistent stores then need a format
// version and a migration (see boltinventory and pginventory).
func normalize(typ, namespace, name string) (string, string) {
	if caseInsensitive[typ] {
		namespace, name = strings.ToLower(namespace), strings.ToLower(name)
	}
	if typ == "pypi" {
		// The purl specification replaces only '_', which would keep an
		// SBOM's "zope.interface" apart from an advisory's
		// "zope-interface": a missed match there is a deployment incident
		// response does not find.
		name = pep503.Name(name)
	}
	return namespace, name
}

// epochTypes are the package types whose ordering compares an epoch
// before the version, which their package URLs carry in an "epoch"
// qualifier.
var epochTypes = map[string]bool{"rpm": true, "deb": true, "alpm": true}

// withEpoch returns version v of a package of type typ with the value of
// its "epoch" qualifier folded in ("epoch:v"), or why it cannot be. It is
// applied wherever the version comes from, the package URL or the SBOM's
// version field: an epoch left out makes every version of the package
// older than the advisory range it lies in (1:2.1 read as 2.1 is outside
// [1:2.0, 1:2.5)), so the package would hide from an incident query. An
// epoch that is not a number is refused whether or not there is a
// version, and so is a version that names another epoch than the
// qualifier: readers taking the qualifier (Trivy) and readers taking the
// version would order the package differently.
func withEpoch(typ, v, epoch string) (string, string) {
	if epoch == "" || !epochTypes[typ] {
		return v, ""
	}
	if !allDigits(epoch) {
		return "", "epoch qualifier is not a number"
	}
	if v == "" {
		return v, ""
	}
	e, _, found := strings.Cut(v, ":")
	switch {
	case !found:
		return epoch + ":" + v, ""
	case !allDigits(e) || cmpNum(e, epoch) != 0:
		return "", "the version's epoch and the epoch qualifier differ"
	}
	return v, ""
}

// Key is the package's identity in the index: "type/namespace/name", each
// segment percent-encoded, without version, qualifiers or subpath. Two
// package URLs naming the same package have the same Key.
func (p PURL) Key() string {
	var b strings.Builder
	b.WriteString(p.Type)
	if p.Namespace != "" {
		for seg := range strings.SplitSeq(p.Namespace, "/") {
			b.WriteByte('/')
			b.WriteString(escape(seg))
		}
	}
	b.WriteByte('/')
	b.WriteString(escape(p.Name))
	return b.String()
}

// CanonicalKey returns the Key that ParsePURL derives today from key, an
// index key a store wrote under an earlier normalization (see
// [PURL.Key]). Persistent stores call it to migrate their keys when the
// normalization changes. A key that does not parse as one is a
// [*PURLError]: a migration stops rather than keep a key no query finds.
func CanonicalKey(key string) (string, error) {
	u, err := ParsePURL("pkg:" + key)
	if err != nil {
		return "", err
	}
	if u.Version != "" {
		return "", &PURLError{Input: clip.String(key, 200), Reason: "an index key carries no version"}
	}
	return u.Key(), nil
}

// String is the canonical package URL: "pkg:" + Key, and "@version" when
// there is one.
func (p PURL) String() string {
	s := "pkg:" + p.Key()
	if p.Version != "" {
		s += "@" + escape(p.Version)
	}
	return s
}

// goUnescape decodes the Go module proxy's case-encoding of a path
// element ("!a" for "A"; golang.org/x/mod/module.EscapePath), which module
// cache directories and proxy URLs carry and some SBOM tools copy: '!' is
// not a character of Go module paths, so "!azure" can only mean "Azure".
// An element with a '!' not before a letter is kept whole; "!A" is read
// as "!a" (it is once the key lower-cases it), so that a decoded element
// holds no '!' and parsing the canonical form again changes nothing.
func goUnescape(s string) string {
	if !strings.Contains(s, "!") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '!' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 == len(s) || !isLetter(s[i+1]) {
			return s
		}
		b.WriteByte(s[i+1] &^ 0x20) // upper case
		i++
	}
	return b.String()
}

func validType(t string) bool {
	if t == "" || !isLetter(t[0]) {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !isLetter(c) && !isDigit(c) && c != '.' && c != '+' && c != '-' {
			return false
		}
	}
	return true
}

// checkQualifiers validates the qualifiers and returns the decoded values
// of "epoch" and "upstream", or why they are malformed.
func checkQualifiers(s string) (q qualifiers, reason string) {
	if s == "" {
		return q, ""
	}
	seen := map[string]bool{}
	for kv := range strings.SplitSeq(s, "&") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return qualifiers{}, "each qualifier is key=value"
		}
		k = strings.ToLower(k)
		for i := 0; i < len(k); i++ {
			c := k[i]
			if !isLetter(c) && !isDigit(c) && c != '.' && c != '-' && c != '_' {
				return qualifiers{}, "a key is ASCII letters, digits, '.', '-' or '_'"
			}
		}
		if seen[k] {
			return qualifiers{}, "duplicate key " + k
		}
		seen[k] = true
		d, err := unescape(v)
		if err != nil {
			return qualifiers{}, err.Error()
		}
		switch k {
		case "epoch":
			q.epoch = d
		case "upstream":
			q.upstream, q.hasUpstream = d, true
		}
	}
	return q, ""
}

type escapeError string

func (e escapeError) Error() string { return string(e) }

// unescape percent-decodes s. It refuses a malformed escape and a decoded
// value that is not UTF-8 or holds a control character.
func unescape(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return "", escapeError("malformed percent-encoding")
		}
		b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
		i += 2
	}
	if !utf8.Valid(b) {
		return "", escapeError("percent-encoding decodes to invalid UTF-8")
	}
	for _, r := range string(b) {
		if r < ' ' || r == 0x7f {
			return "", escapeError("percent-encoding decodes to a control character")
		}
	}
	return string(b), nil
}

// escape percent-encodes every byte outside A-Z a-z 0-9 . - _ ~.
func escape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isLetter(c) || isDigit(c) || c == '.' || c == '-' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isHex(c byte) bool    { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case isDigit(c):
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
