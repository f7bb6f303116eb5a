package vex

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/ztci/ztci/attest"
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
//     in-toto sha256, sha384, sha512; hex compared without case), or
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
	for _, s := range d.Statements {
		matched, whole := false, false
		var subs []Component
		for _, p := range s.Products {
			if !p.names(a) {
				continue
			}
			matched = true
			if len(p.Subcomponents) == 0 {
				whole = true
			}
			subs = append(subs, p.Subcomponents...)
		}
		if !matched {
			continue
		}
		if whole {
			subs = nil
		}
		out = append(out, Applicable{Statement: s, Subcomponents: subs})
	}
	return out
}

func (p *Product) names(a Artifact) bool {
	if a.Digest.Algorithm != "" && a.Digest.Value != "" {
		if name, ok := hashName[a.Digest.Algorithm]; ok && strings.EqualFold(p.Hashes[name], a.Digest.Value) {
			return true
		}
	}
	for _, id := range p.PURLs() {
		u, err := ParsePURL(id)
		if err != nil {
			continue
		}
		if u.Type == "oci" && a.Digest.Value != "" && strings.EqualFold(u.Version, a.Digest.String()) {
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
	p.Type = strings.ToLower(segs[0])
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
		return strings.ToLower(s)
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
// spelling to be one package: PyPI (PEP 503: case-insensitive, every run
// of '-', '_' and '.' alike, so a statement about zope.interface covers a
// scanner's zope-interface) and NuGet (ids case-insensitive). Nothing
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
