package vex

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/internal/asciifold"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/pep503"
)

// hashName maps in-toto digest algorithms to OpenVEX hash names.
var hashName = map[string]string{"sha256": "sha-256", "sha384": "sha-384", "sha512": "sha-512"}

// Artifact is what a statement's products are matched against: the
// artifact's digest and, optionally, its package URL (for an image,
// pkg:oci/<name>@sha256%3A<hex>?repository_url=<repository>).
type Artifact struct {
	Digest attest.Digest
	PURL   string
}

// Applicable is a statement that names an artifact as one of its products.
type Applicable struct {
	Statement Statement
	// Subcomponents are the parts of the artifact the statement is about;
	// nil when it is about the artifact as a whole (a matching product
	// without subcomponents).
	Subcomponents []Component
}

// For returns the statements of d that name a among their products, in
// document order. A statement applies only to the products it names: a
// product names a when
//
//   - one of its hashes is a's digest (sha-256, sha-384, sha-512 for the
//     in-toto sha256, sha384, sha512; hex compared without ASCII case), or
//   - its "@id" or identifiers.purl is a pkg:oci package URL whose version
//     is a's digest (an OCI purl's version is the image digest), or
//   - a.PURL is set and its "@id" or identifiers.purl matches a.PURL by
//     [MatchPURL].
//
// When several products of a statement name a, the statement is about the
// whole artifact if one of them has no subcomponents, else about the union
// of their subcomponents.
func (d *Document) For(a Artifact) []Applicable {
	var out []Applicable
	for i := range d.Statements {
		if app, ok := d.Statements[i].For(a); ok {
			out = append(out, app)
		}
	}
	return out
}

// For is s as it applies to a by [Document.For]'s rule; false when none of
// its products names a.
func (s *Statement) For(a Artifact) (Applicable, bool) {
	return s.apply(a, func(p *Product) ([]Component, bool) { return p.Subcomponents, p.names(a) })
}

// MayFor is s as it applies to a when it may be about a, a looser rule
// than For's for a statement that would cancel a lift (affected,
// under_investigation): one that may name a must reach the reader, and one
// that cannot be placed may name it. A product may name a when it names a
// by For's rule, or
//
//   - it is a pkg:oci package URL of a's name (compared without case,
//     namespace, qualifiers and subpath ignored: a tag or another
//     repository_url spelling) whose version is not a digest of a's
//     algorithm other than a's, or a has no package URL;
//   - it is a package URL of another type: a package a may hold, so s is
//     about that package in a (it and the product's subcomponents are the
//     Applicable's subcomponents);
//   - nothing places it elsewhere: no hash of a's algorithm, and no pkg:oci
//     package URL of another name or digest (an identifier that is not a
//     package URL, a CPE, a hash of another algorithm, a package URL that
//     does not parse).
//
// A lifting statement is matched by For: what may name a lifts nothing.
func (s *Statement) MayFor(a Artifact) (Applicable, bool) {
	return s.apply(a, func(p *Product) ([]Component, bool) { return p.mayName(a) })
}

// apply is s as it applies to a when match says which of its products
// name a, and the parts of a each is about (none: the whole). When several
// products name a, s is about the whole artifact if one of them has no
// subcomponents, else about the union of their subcomponents.
func (s *Statement) apply(a Artifact, match func(*Product) ([]Component, bool)) (Applicable, bool) {
	matched, whole := false, false
	var subs []Component
	for i := range s.Products {
		parts, ok := match(&s.Products[i])
		if !ok {
			continue
		}
		matched = true
		if len(parts) == 0 {
			whole = true
		}
		subs = append(subs, parts...)
	}
	if !matched {
		return Applicable{}, false
	}
	if whole {
		subs = nil
	}
	return Applicable{Statement: *s, Subcomponents: subs}, true
}

// mayName is MayFor's rule for one product: whether p may name a, and the
// parts of a it is then about.
func (p *Product) mayName(a Artifact) ([]Component, bool) {
	if p.names(a) {
		return p.Subcomponents, true
	}
	name, ok := hashName[a.Digest.Algorithm]
	placed := ok && p.Hashes[name] != "" // a hash of a's algorithm, not a's
	for _, id := range p.PURLs() {
		u, err := ParsePURL(id)
		switch {
		case err != nil:
		case u.Type != "oci":
			return append([]Component{p.Component}, p.Subcomponents...), true
		default:
			placed = placed || otherImage(u, a)
		}
	}
	return p.Subcomponents, !placed
}

// otherImage reports whether u, a pkg:oci package URL that does not name a
// by For's rule, certainly names another image: a digest of a's algorithm
// (not a's), or another name than a's package URL's.
func otherImage(u PURL, a Artifact) bool {
	if d, err := attest.ParseDigest(u.Version); err == nil && d.Algorithm == a.Digest.Algorithm {
		return true
	}
	ap, err := ParsePURL(a.PURL)
	// Unicode folding (strings.EqualFold) on purpose: this decides what
	// certainly names another image, and a name it folds to a's may name a.
	return err == nil && !strings.EqualFold(u.Name, ap.Name)
}

func (p *Product) names(a Artifact) bool {
	if a.Digest.Algorithm != "" && a.Digest.Value != "" {
		if name, ok := hashName[a.Digest.Algorithm]; ok && asciifold.Equal(p.Hashes[name], a.Digest.Value) {
			return true
		}
	}
	for _, id := range p.PURLs() {
		u, err := ParsePURL(id)
		if err != nil {
			continue
		}
		if u.Type == "oci" && a.Digest.Value != "" && asciifold.Equal(u.Version, a.Digest.String()) {
			return true
		}
		if a.PURL != "" && MatchPURL(id, a.PURL) {
			return true
		}
	}
	return false
}

// PURLs are the component's package URLs: its "@id" when that is one, and
// identifiers.purl.
func (c *Component) PURLs() []string {
	var out []string
	if strings.HasPrefix(c.ID, "pkg:") {
		out = append(out, c.ID)
	}
	if p := c.Identifiers["purl"]; p != "" && p != c.ID {
		out = append(out, p)
	}
	return out
}

// PURL is a parsed package URL (github.com/package-url/purl-spec): type
// (lower case), namespace and name (percent-decoded), version
// (percent-decoded, "" when absent), qualifiers (keys lower case, values
// percent-decoded) and subpath.
type PURL struct {
	Type, Namespace, Name, Version string
	Qualifiers                     map[string]string
	Subpath                        string
}

// ErrPURL: a string is not a package URL.
var ErrPURL = errors.New("vex: not a package URL")

// ParsePURL parses s as a package URL: "pkg:" type "/" [namespace "/"]
// name ["@" version] ["?" qualifiers] ["#" subpath], each part
// percent-decoded; a namespace segment or name that holds '/' once
// decoded is refused, as the purl specification says. It checks the
// syntax, not a type's own rules.
func ParsePURL(s string) (PURL, error) {
	var p PURL
	rest, ok := strings.CutPrefix(s, "pkg:")
	if !ok {
		return p, fmt.Errorf("%w: %q lacks the pkg scheme", ErrPURL, clip.String(s, 64))
	}
	rest = strings.TrimLeft(rest, "/")
	rest, p.Subpath, _ = strings.Cut(rest, "#")
	rest, q, hasQ := strings.Cut(rest, "?")
	if hasQ {
		p.Qualifiers = map[string]string{}
		for kv := range strings.SplitSeq(q, "&") {
			k, v, _ := strings.Cut(kv, "=")
			k = strings.ToLower(k)
			dv, err := url.PathUnescape(v)
			if k == "" || err != nil {
				return p, fmt.Errorf("%w: %q: bad qualifier", ErrPURL, clip.String(s, 64))
			}
			if _, dup := p.Qualifiers[k]; dup {
				return p, fmt.Errorf("%w: %q: qualifier %q repeated", ErrPURL, clip.String(s, 64), clip.String(k, 64))
			}
			p.Qualifiers[k] = dv
		}
	}
	// The version follows the last "@" of the path: namespaces of some
	// types hold a percent-encoded "@" (npm scopes), never a raw one.
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		v, err := url.PathUnescape(rest[i+1:])
		if err != nil || v == "" {
			return p, fmt.Errorf("%w: %q: bad version", ErrPURL, clip.String(s, 64))
		}
		p.Version, rest = v, rest[:i]
	}
	segs := strings.Split(strings.Trim(rest, "/"), "/")
	if len(segs) < 2 {
		return p, fmt.Errorf("%w: %q: want pkg:type/name", ErrPURL, clip.String(s, 64))
	}
	p.Type = asciifold.Lower(segs[0]) // ASCII: validType refuses "pyp\u0130", which ToLower made "pypi"
	if !validType(p.Type) {
		return p, fmt.Errorf("%w: %q: bad type", ErrPURL, clip.String(s, 64))
	}
	for i, seg := range segs[1:] {
		// A decoded segment holds no '/' (the purl specification's
		// rule): "a%2Fb" and "a/b" would be one path in two shapes.
		d, err := url.PathUnescape(seg)
		if err != nil || d == "" || strings.Contains(d, "/") {
			return p, fmt.Errorf("%w: %q: bad path segment", ErrPURL, clip.String(s, 64))
		}
		segs[i+1] = d
	}
	p.Name = segs[len(segs)-1]
	p.Namespace = strings.Join(segs[1:len(segs)-1], "/")
	return p, nil
}

// registryName is a namespace or name as the type's registry compares it
// (see MatchPURL). The policy library's purl_match (deploy_vuln.rego)
// applies the same rule.
func registryName(typ, s string) string {
	switch typ {
	case "pypi":
		return pep503.Name(s)
	case "nuget":
		return asciifold.Lower(s) // NuGet ids are ASCII: the Kelvin sign is not "k"
	}
	return s
}

func validType(t string) bool {
	if t == "" || t[0] < 'a' || t[0] > 'z' {
		return false
	}
	for _, c := range t {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '+' || c == '-') {
			return false
		}
	}
	return true
}

// MatchPURL reports whether the package URL pattern names purl, as OpenVEX
// matches products (go-vex PurlMatches): type, namespace and name are
// equal (as the type's registry compares names, see below); the version is
// equal when pattern has one (none: any version); every qualifier of
// pattern is in purl with the same value (purl may have more); the subpath
// is equal when pattern has one. Either failing to parse is no match.
//
// Names are compared exactly, except where the registry itself holds every
// spelling to be one package: PyPI (PEP 503: ASCII case-insensitive, every run
// of '-', '_' and '.' alike, so a statement about zope.interface covers a
// scanner's zope-interface) and NuGet (ids ASCII case-insensitive). Nothing
// wider: npm and Go treat names differing in case as different packages,
// and a statement must not cover a package it does not name.
func MatchPURL(pattern, purl string) bool {
	p, err := ParsePURL(pattern)
	if err != nil {
		return false
	}
	u, err := ParsePURL(purl)
	if err != nil {
		return false
	}
	if p.Type != u.Type || registryName(p.Type, p.Namespace) != registryName(u.Type, u.Namespace) ||
		registryName(p.Type, p.Name) != registryName(u.Type, u.Name) {
		return false
	}
	if p.Version != "" && p.Version != u.Version {
		return false
	}
	if p.Subpath != "" && p.Subpath != u.Subpath {
		return false
	}
	for k, v := range p.Qualifiers {
		if got, ok := u.Qualifiers[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// MayMatchPURL reports whether the package URL pattern may name purl
// spelled otherwise: the rule for what an affected statement may be about,
// looser than [MatchPURL] (which lifting needs). Types are equal; every
// namespace segment and the name are alike once case is set aside (and,
// for PyPI, every run of '-', '_' and '.'; elsewhere the Go module
// proxy's '!' case marks); the versions may be one version ([versionShape]:
// either absent, or alike once case, a leading "v", an epoch, separators,
// leading zeros and trailing zero components are set aside); qualifiers
// and subpaths are ignored. Either failing to parse is no match. The
// policy library's purl_may_name (deploy_vuln.rego) is the same rule.
func MayMatchPURL(pattern, purl string) bool {
	p, err := ParsePURL(pattern)
	if err != nil {
		return false
	}
	u, err := ParsePURL(purl)
	if err != nil {
		return false
	}
	return p.Type == u.Type && slices.Equal(loosePath(p), loosePath(u)) &&
		(p.Version == "" || u.Version == "" || versionShape(p.Version) == versionShape(u.Version))
}

// loosePath is p's namespace segments and name as MayMatchPURL compares
// them (the policy library's loose_name).
func loosePath(p PURL) []string {
	var segs []string
	if p.Namespace != "" {
		segs = strings.Split(p.Namespace, "/")
	}
	segs = append(segs, p.Name)
	for i, s := range segs {
		s = strings.ToLower(s)
		if p.Type == "pypi" {
			s = pypiSeparators.ReplaceAllString(s, "-")
		} else {
			s = strings.ReplaceAll(s, "!", "")
		}
		segs[i] = s
	}
	return segs
}

var (
	pypiSeparators = regexp.MustCompile(`[-_.]+`)
	versionEpoch   = regexp.MustCompile(`^[0-9]+:`)
	versionTokens  = regexp.MustCompile(`[0-9]+|[a-z]+`)
)

// versionShape is v as versions that may be one version compare alike (the
// policy library's version_shape): lower case, without an epoch ("1:") or
// a "v" before a digit, its runs of digits (leading zeros dropped) and of
// letters joined by ".", trailing ".0" components dropped (v1.2.0 and
// 1.2, 7.0.01 and 7.0.1, 1:2.36-9 and 2.36.9, 1.0RC1 and 1.0-rc.1).
func versionShape(v string) string {
	s := versionEpoch.ReplaceAllString(strings.ToLower(v), "")
	if len(s) > 1 && s[0] == 'v' && s[1] >= '0' && s[1] <= '9' {
		s = s[1:]
	}
	tokens := versionTokens.FindAllString(s, -1)
	for i, t := range tokens {
		if trimmed := strings.TrimLeft(t, "0"); trimmed != "" || t[0] != '0' {
			tokens[i] = trimmed
		} else {
			tokens[i] = "0"
		}
	}
	for len(tokens) > 1 && tokens[len(tokens)-1] == "0" {
		tokens = tokens[:len(tokens)-1]
	}
	return strings.Join(tokens, ".")
}
