// Package slsasource reads the source a SLSA v1 provenance names. It is
// the one home of that reading for verify's reader (ReadProvenance,
// CheckProvenance) and attest's writer (Provenance.PredicateJSON): attest
// may not import verify (verify imports attest), and a writer with its own
// copy of the rule would sign provenances the reader refuses as soon as
// the reader grew stricter.
package slsasource

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/ztci/ztci/internal/clip"
)

// Predicate is what ztci reads of a SLSA v1 provenance predicate.
type Predicate struct {
	BuildDefinition struct {
		BuildType            string                     `json:"buildType"`
		ExternalParameters   map[string]json.RawMessage `json:"externalParameters"`
		ResolvedDependencies []struct {
			URI    string            `json:"uri"`
			Digest map[string]string `json:"digest"`
		} `json:"resolvedDependencies"`
	} `json:"buildDefinition"`
	RunDetails struct {
		Builder struct {
			ID string `json:"id"`
		} `json:"builder"`
	} `json:"runDetails"`
}

// Source is the source a provenance names: its repository and ref as
// written (see SplitGitURI) and its commit.
type Source struct {
	Repo, Ref, Commit string
}

// ConflictError reports two places of one provenance naming different
// sources. Places names them ("externalParameters.source and
// resolvedDependencies[0]") and Sources gives what each says.
type ConflictError struct {
	Places, Sources string
}

func (e *ConflictError) Error() string {
	return "provenance names two sources: " + e.Places + " say " + e.Sources
}

// place is one place of a provenance that names its source.
type place struct {
	where string
	Source
}

// Of reads the source p names, and its commit; the zero Source when it
// names none. Builders name it in up to three places:
// externalParameters.source {uri, digest} (container-based and generic
// builders), externalParameters.workflow {repository, ref} (GitHub's
// workflow build type) and the first resolved dependency, which is the
// one slsa-verifier takes as the source (and it refuses a workflow that
// disagrees with it). ztci prefers externalParameters, so where the places
// disagree on the repository, the ref or the commit one signed provenance
// states two sources, a policy here judging one and slsa-verifier the
// other: Of returns a *ConflictError. So does a later resolved dependency
// that names the source repository at another commit or ref (a reader
// looking the repository up among the dependencies would take it); the
// commit, when no place states one, comes from such a dependency. Every
// builder we know of writes them alike (ztci's JobProvenance included).
func Of(p *Predicate) (Source, error) {
	places := placesOf(p)
	if len(places) == 0 {
		return Source{}, nil
	}
	for i, a := range places {
		for _, b := range places[i+1:] {
			if !a.agrees(b.Source) {
				return Source{}, &ConflictError{Places: a.where + " and " + b.where,
					Sources: a.Repo + "@" + a.Ref + " and " + b.Repo + "@" + b.Ref}
			}
		}
	}
	src := places[0].Source
	for _, o := range places[1:] {
		src.Commit = cmp.Or(src.Commit, o.Commit)
	}
	return dependencyCommit(p, src, places[0].where)
}

// agrees reports whether two places name one source: one repository, and
// one ref and one commit where both state them.
func (a Source) agrees(b Source) bool {
	differ := func(x, y string) bool { return x != "" && y != "" && x != y }
	return NormalizeRepo(a.Repo) == NormalizeRepo(b.Repo) && !differ(a.Ref, b.Ref) && !differ(a.Commit, b.Commit)
}

// placesOf lists the places that name the source, preferred first.
func placesOf(p *Predicate) []place {
	var out []place
	ext := p.BuildDefinition.ExternalParameters
	if raw, ok := Lookup(ext, "source.uri"); ok {
		var u string
		if json.Unmarshal(raw, &u) == nil && u != "" {
			s := place{where: "externalParameters.source"}
			s.Repo, s.Ref = SplitGitURI(u)
			var d map[string]string
			if raw, ok := Lookup(ext, "source.digest"); ok {
				_ = json.Unmarshal(raw, &d) // not a digest set: no commit
			}
			out = append(out, withCommits(s, d)...)
		}
	}
	if raw, ok := Lookup(ext, "workflow.repository"); ok {
		s := place{where: "externalParameters.workflow"}
		_ = json.Unmarshal(raw, &s.Repo)
		if rr, ok := Lookup(ext, "workflow.ref"); ok {
			_ = json.Unmarshal(rr, &s.Ref)
		}
		if s.Repo != "" {
			out = append(out, s)
		}
	}
	if deps := p.BuildDefinition.ResolvedDependencies; len(deps) > 0 && deps[0].URI != "" {
		s := place{where: "resolvedDependencies[0]"}
		s.Repo, s.Ref = SplitGitURI(deps[0].URI)
		out = append(out, withCommits(s, deps[0].Digest)...)
	}
	return out
}

// withCommits is s with the commit of digest set d. A set that records the
// commit twice, as gitCommit and as sha1, with two values names two
// commits: s is returned once for each, for Of to refuse.
func withCommits(s place, d map[string]string) []place {
	s.Commit = commitOf(d)
	if sha1 := d["sha1"]; sha1 != "" && sha1 != s.Commit {
		t := s
		t.where, t.Commit = s.where+".digest.sha1", sha1
		return []place{s, t}
	}
	return []place{s}
}

// dependencyCommit checks every resolved dependency that names src's
// repository against src, and fills in src's commit from them when the
// places did not state it. A git commit is recorded as "gitCommit" (SLSA
// v1) or "sha1" (older builders). A dependency on the source repository at
// another commit or ref (or two such dependencies that disagree) names a
// second source, which a reader that looks the repository up among the
// dependencies rather than at index 0 would take: a *ConflictError, as
// between the places. The ref is never taken from a dependency. A
// dependency names the source when its repository is the source's as
// NormalizeRepo or as CanonicalRepo reads it (a reader that normalises
// URLs takes "…/%61cme/./app" for acme/app); one with a scheme that
// CanonicalRepo cannot read, on the source's host, may be the source to a
// more lenient reader and is refused too.
func dependencyCommit(p *Predicate, src Source, where string) (Source, error) {
	if src.Repo == "" {
		return src, nil
	}
	repo := NormalizeRepo(src.Repo)
	seen := src // src with the ref a dependency states, to compare the next
	for i, d := range p.BuildDefinition.ResolvedDependencies {
		r, ref := SplitGitURI(d.URI)
		at := fmt.Sprintf("resolvedDependencies[%d]", i)
		if NormalizeRepo(r) != repo {
			if !MayNameSource(src.Repo, d.URI) {
				continue
			}
			if canonicalOf(r) == "" {
				// A URL this reader cannot read, on the source's host: a
				// more lenient parser may read the source in it.
				return Source{}, &ConflictError{Places: where + " and " + at,
					Sources: seen.Repo + " and the unreadable URL " + clip.Quote(r, 200)}
			}
		}
		for _, dep := range withCommits(place{where: at, Source: Source{Repo: r, Ref: ref}}, d.Digest) {
			same := dep.Source
			same.Repo = seen.Repo // one repository, spelt two ways
			if !seen.agrees(same) {
				return Source{}, &ConflictError{Places: where + " and " + dep.where,
					Sources: seen.Repo + "@" + seen.Ref + "#" + seen.Commit + " and " + dep.Repo + "@" + dep.Ref + "#" + dep.Commit}
			}
			src.Commit = cmp.Or(src.Commit, dep.Commit)
			seen.Commit, seen.Ref = src.Commit, cmp.Or(seen.Ref, dep.Ref)
		}
	}
	return src, nil
}

// CanonicalRepo is the repository uri names as a reader that parses and
// normalises URLs reads it: the host without case, user information or
// default port (22, 80, 443), the path percent-decoded (at most four
// times), cleaned and cut at its first '@', without ".git" and case.
// "git+https://git.example/%61cme/./app.git", "https://u@git.example:443/
// other/../acme/app" and "git+https://git.example/acme/app@main" all read
// as "git.example/acme/app". It is "" where uri is not a URL with a host
// (after an optional "git+") or its path is still percent-encoded after
// four decodings. MayNameSource compares it.
func CanonicalRepo(uri string) string {
	u, err := url.Parse(strings.TrimPrefix(uri, "git+"))
	if err != nil || u.Host == "" {
		return ""
	}
	host := u.Hostname()
	switch port := u.Port(); port {
	case "", "22", "80", "443":
	default:
		host += ":" + port
	}
	p := u.EscapedPath()
	for i := 0; ; i++ {
		d, err := url.PathUnescape(p)
		if err != nil || d == p {
			break
		}
		if i == 4 {
			return "" // still encoded: a deeper decoder reads another path
		}
		p = d
	}
	p, _, _ = strings.Cut(p, "@")
	p = strings.TrimSuffix(path.Clean("/"+p), ".git")
	return strings.ToLower(host + p)
}

// MayNameSource reports whether the resolved dependency dep (a URI, with
// or without "@ref") may name the source repository source to a reader
// that normalises URLs: its repository has source's CanonicalRepo, or it
// is a URL (it has a scheme) CanonicalRepo cannot read whose host, as
// written, is source's or cannot be told. It is false where source itself
// has no CanonicalRepo; compare NormalizeRepo as well. Of takes such a
// dependency as naming the source (it must agree with it); attest's
// JobProvenance refuses one.
func MayNameSource(source, dep string) bool {
	canon := canonicalOf(source)
	if canon == "" || dep == "" {
		return false
	}
	r, _ := SplitGitURI(dep)
	switch c := canonicalOf(r); {
	case c != "":
		return c == canon
	case schemeLen(r) > 0:
		return mayBeHost(r, canon)
	}
	return false
}

// canonicalOf is CanonicalRepo of a repository as the places state it,
// which may lack a scheme ("github.com/acme/app", as NormalizeRepo
// leaves it): read then as https.
func canonicalOf(repo string) string {
	if c := CanonicalRepo(repo); c != "" || schemeLen(repo) > 0 {
		return c
	}
	return CanonicalRepo("https://" + repo)
}

// mayBeHost reports whether uri, a URL CanonicalRepo cannot read, may
// name a repository on the host of canon (a CanonicalRepo): its host as
// written (after user information, without port, brackets or case) is
// canon's, or cannot be told because it holds a '%'.
func mayBeHost(uri string, canon string) bool {
	rest := strings.TrimPrefix(uri, "git+")
	rest = rest[schemeLen(rest):]
	host, _, _ := strings.Cut(rest, "/")
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	if strings.Contains(host, "%") {
		return true
	}
	want, _, _ := strings.Cut(canon, "/")
	return strings.EqualFold(bareHost(host), bareHost(want)) || strings.EqualFold(bareHost(host), want)
}

// bareHost is host without its port and IPv6 brackets.
func bareHost(host string) string {
	if strings.HasPrefix(host, "[") {
		if i := strings.IndexByte(host, ']'); i >= 0 {
			return host[1:i]
		}
		return host[1:]
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		return host[:i]
	}
	return host
}

func commitOf(d map[string]string) string {
	if c := d["gitCommit"]; c != "" {
		return c
	}
	return d["sha1"]
}

// SplitGitURI splits git+https://host/path@ref at the first '@' after the
// host: the ref is everything after it. A git ref may itself hold '@'
// (git check-ref-format refuses only "@{" and a lone "@"), a repository
// path on the forges builders name (GitHub, GitLab, …) may not, and
// builders write the ref as it is (slsa-github-generator:
// "git+https://github.com/" + repository + "@" + ref). Split at the last
// '@', a branch named "x@refs/tags/v1.2.3" (pushable by anyone who may
// push a branch) read as the tag refs/tags/v1.2.3, satisfying SourceRef
// and SourceVersionTag for a build that no tag rule ever covered. Read at
// the first, the ref is the whole branch name, and a path that did hold
// '@' only fails the repository comparison. An '@' before the path is
// user information, not a ref; a URI without a path, or without a scheme
// at its start (see NormalizeRepo), has no ref.
func SplitGitURI(u string) (repo, ref string) {
	scheme := schemeLen(u)
	if scheme == 0 {
		return u, ""
	}
	slash := strings.IndexByte(u[scheme:], '/')
	if slash < 0 {
		return u, ""
	}
	path := scheme + slash
	if at := strings.IndexByte(u[path:], '@'); at >= 0 {
		return u[:path+at], u[path+at+1:]
	}
	return u, ""
}

// NormalizeRepo is the form in which source repositories are compared
// (verify's Provenance.SourceRepository, policy's Deploy.Sources, and
// lib.normalize_repo in the Rego library, which copies it; the policy
// package tests that the two agree): drop a leading "git+", then a URI
// scheme with its "://" at the very start (RFC 3986: a letter, then
// letters, digits, "+", "-" or "."), then one trailing "/", then one
// trailing ".git". A "://" after any other text
// ("acme/x://github.com/victim/app", where a builder wrote "acme/" before
// text it copied) is part of the repository. Where that leaves text it
// would change again (a second scheme or "git+", "app.git.git",
// "app/.git", "app//"), s is returned as it is, matching only itself: the
// form is a fixed point, NormalizeRepo(NormalizeRepo(s)) ==
// NormalizeRepo(s), and no two readings of one text name two
// repositories.
func NormalizeRepo(s string) string {
	if n := normalizeOnce(s); normalizeOnce(n) == n {
		return n
	}
	return s
}

// normalizeOnce is one pass of NormalizeRepo.
func normalizeOnce(s string) string {
	s = strings.TrimPrefix(s, "git+")
	s = s[schemeLen(s):]
	return strings.TrimSuffix(strings.TrimSuffix(s, "/"), ".git")
}

// schemeLen is the length of the URI scheme and "://" s starts with, 0
// when it starts with none: RFC 3986's scheme = ALPHA *( ALPHA / DIGIT /
// "+" / "-" / "." ).
func schemeLen(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && strings.HasPrefix(s[i:], "://"):
			return i + 3
		default:
			return 0
		}
	}
	return 0
}

// Lookup returns the value at a dot-separated path of m ("source.uri").
func Lookup(m map[string]json.RawMessage, path string) (json.RawMessage, bool) {
	keys := strings.Split(path, ".")
	cur := m
	for i, k := range keys {
		raw, ok := cur[k]
		if !ok {
			return nil, false
		}
		if i == len(keys)-1 {
			return raw, true
		}
		cur = nil
		if json.Unmarshal(raw, &cur) != nil {
			return nil, false
		}
	}
	return nil, false
}
