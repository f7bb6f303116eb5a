package verify

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/ztci/ztci/attest"
)

// Provenance is what a SLSA v1 provenance predicate must say about the
// build. It is about the builder and the source, never about who signed:
// the signing certificate names a workflow (Identity), the provenance names
// a builder, and with reusable or delegated builders they differ. Every
// non-empty field is checked; matching is exact unless documented.
type Provenance struct {
	// BuilderID is runDetails.builder.id. A value without "@" also matches
	// a builder id that adds "@<ref>" to it (slsa-github-generator style);
	// with "@" it must match exactly.
	BuilderID string
	// BuildType is buildDefinition.buildType.
	BuildType string
	// SourceRepository is the repository the build used, compared without
	// scheme and "git+" prefix (so "github.com/org/repo",
	// "https://github.com/org/repo" and "git+https://github.com/org/repo"
	// are the same) against the source URI (see SourceRef).
	SourceRepository string
	// SourceRef is the full git ref of the source, e.g. "refs/heads/main"
	// or "refs/tags/v1.2.3". The source URI is taken from, in order,
	// externalParameters.source.uri, externalParameters.workflow
	// {repository, ref}, or the first buildDefinition.resolvedDependencies
	// entry, each of the form git+https://host/path@ref, the ref being
	// everything after the first '@' that follows the host (a git ref may
	// hold '@', a repository path may not). Where two of these places
	// disagree on the repository, on the ref or on the commit, the
	// provenance states two sources (slsa-verifier reads the resolved
	// dependency) and is refused, whatever is expected.
	SourceRef string
	// SourceVersionTag requires a tag ref whose semantic version starts with
	// this one: "v1" matches v1, v1.0 and v1.4.2; "v1.4" matches v1.4.2 but
	// not v1.5.0. Missing components of the tag count as 0.
	SourceVersionTag string
	// ExternalParameters are required values in
	// buildDefinition.externalParameters: each key is a dot-separated path
	// ("inputs.content") and its value must be JSON-equal.
	ExternalParameters map[string]any
}

func (p *Provenance) validate() error {
	if p.BuilderID == "" {
		return fmt.Errorf("%w: a Provenance expectation needs a BuilderID", ErrInvalidExpectation)
	}
	if p.SourceVersionTag != "" {
		if _, ok := parseVersion(p.SourceVersionTag); !ok {
			return fmt.Errorf("%w: SourceVersionTag %q is not vMAJOR[.MINOR[.PATCH]]", ErrInvalidExpectation, p.SourceVersionTag)
		}
	}
	return nil
}

// ProvenanceFacts are what ReadProvenance and CheckProvenance read from a
// SLSA v1 provenance predicate: the facts a policy decides on, derived by the
// same rules CheckProvenance matches expectations against.
type ProvenanceFacts struct {
	BuilderID        string `json:"builderID"`
	BuildType        string `json:"buildType"`
	SourceRepository string `json:"sourceRepository,omitempty"`
	SourceRef        string `json:"sourceRef,omitempty"`
	// SourceDigest is the commit of the source (gitCommit, or sha1 as
	// older builders write it), from externalParameters.source.digest or
	// the resolved dependency that is the source, when the provenance
	// records one.
	SourceDigest string `json:"sourceDigest,omitempty"`
	// ExternalParameters is buildDefinition.externalParameters, undecoded.
	ExternalParameters map[string]json.RawMessage `json:"externalParameters,omitempty"`
}

type slsaV1 struct {
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

// ReadProvenance reads the facts of a SLSA v1 provenance statement (for
// example a verified Result.Statement) without checking them against
// anything: for handing to a policy. It verifies nothing itself; read only
// statements that came out of a successful Verify. Errors are
// *PredicateTypeMismatchError or *ProvenanceMismatchError (undecodable, or
// two sources named: see Provenance.SourceRef).
func ReadProvenance(st *attest.Statement) (*ProvenanceFacts, error) {
	f, _, err := readProvenance(st)
	return f, err
}

func readProvenance(st *attest.Statement) (*ProvenanceFacts, *slsaV1, error) {
	if st == nil || st.PredicateType != attest.PredicateSLSAProvenanceV1 {
		got := ""
		if st != nil {
			got = st.PredicateType
		}
		return nil, nil, &PredicateTypeMismatchError{Want: attest.PredicateSLSAProvenanceV1, Got: got}
	}
	var p slsaV1
	if err := json.Unmarshal(st.Predicate, &p); err != nil {
		return nil, nil, &ProvenanceMismatchError{Field: "predicate", Want: "SLSA v1 provenance", Got: "undecodable: " + err.Error()}
	}
	f := &ProvenanceFacts{BuilderID: p.RunDetails.Builder.ID, BuildType: p.BuildDefinition.BuildType,
		ExternalParameters: p.BuildDefinition.ExternalParameters}
	src, err := sourceOf(&p)
	if err != nil {
		return nil, nil, err
	}
	f.SourceRepository, f.SourceRef, f.SourceDigest = src.repo, src.ref, src.commit
	return f, &p, nil
}

// CheckProvenance checks a SLSA v1 provenance statement (for example
// Result.Statement) against want. Errors are *ProvenanceMismatchError
// (ErrProvenanceMismatch) or ErrPredicateTypeMismatch.
func CheckProvenance(st *attest.Statement, want Provenance) (*ProvenanceFacts, error) {
	if err := want.validate(); err != nil {
		return nil, err
	}
	f, p, err := readProvenance(st)
	if err != nil {
		return nil, err
	}
	if !builderMatches(want.BuilderID, f.BuilderID) {
		return nil, &ProvenanceMismatchError{Field: "builder.id", Want: want.BuilderID, Got: f.BuilderID}
	}
	if want.BuildType != "" && want.BuildType != f.BuildType {
		return nil, &ProvenanceMismatchError{Field: "buildType", Want: want.BuildType, Got: f.BuildType}
	}
	if want.SourceRepository != "" && normalizeRepo(want.SourceRepository) != normalizeRepo(f.SourceRepository) {
		return nil, &ProvenanceMismatchError{Field: "source.repository", Want: want.SourceRepository, Got: f.SourceRepository}
	}
	if want.SourceRef != "" && want.SourceRef != f.SourceRef {
		return nil, &ProvenanceMismatchError{Field: "source.ref", Want: want.SourceRef, Got: f.SourceRef}
	}
	if want.SourceVersionTag != "" && !versionMatches(want.SourceVersionTag, f.SourceRef) {
		return nil, &ProvenanceMismatchError{Field: "source.versionTag", Want: want.SourceVersionTag, Got: f.SourceRef}
	}
	for path, wantV := range want.ExternalParameters {
		got, ok := lookup(p.BuildDefinition.ExternalParameters, path)
		wb, err := json.Marshal(wantV)
		if err != nil {
			return nil, fmt.Errorf("%w: externalParameters.%s: %v", ErrInvalidExpectation, path, err)
		}
		if !ok || !jsonEqual(wb, got) {
			return nil, &ProvenanceMismatchError{Field: "externalParameters." + path, Want: string(wb), Got: string(got)}
		}
	}
	return f, nil
}

func builderMatches(want, got string) bool {
	if want == got {
		return true
	}
	return !strings.Contains(want, "@") && strings.HasPrefix(got, want+"@")
}

// gitSource is one place of a provenance that names its source.
type gitSource struct {
	where, repo, ref, commit string
}

// sourceOf reads the source a provenance names, and its commit. Builders
// name it in up to three places: externalParameters.source {uri, digest}
// (container-based and generic builders), externalParameters.workflow
// {repository, ref} (GitHub's workflow build type) and the first resolved
// dependency, which is the one slsa-verifier takes as the source (and it
// refuses a workflow that disagrees with it). This reader prefers
// externalParameters, so where the places disagree one signed provenance
// states two sources, a policy here judging one and slsa-verifier the
// other: refused (*ProvenanceMismatchError, Field "source"). Every builder
// we know of writes them alike (ztci's JobProvenance included).
func sourceOf(p *slsaV1) (gitSource, error) {
	places := sourcePlaces(p)
	if len(places) == 0 {
		return gitSource{}, nil
	}
	for i, a := range places {
		for _, b := range places[i+1:] {
			if !a.agrees(b) {
				return gitSource{}, &ProvenanceMismatchError{Field: "source", Want: a.where + " and " + b.where + " naming one source",
					Got: a.repo + "@" + a.ref + " and " + b.repo + "@" + b.ref}
			}
		}
	}
	src := places[0]
	for _, o := range places[1:] {
		src.commit = cmp.Or(src.commit, o.commit)
	}
	if src.commit == "" {
		src.commit = dependencyCommit(p, src.repo)
	}
	return src, nil
}

// agrees reports whether two places name one source: one repository, and
// one ref and one commit where both state them.
func (a gitSource) agrees(b gitSource) bool {
	differ := func(x, y string) bool { return x != "" && y != "" && x != y }
	return normalizeRepo(a.repo) == normalizeRepo(b.repo) && !differ(a.ref, b.ref) && !differ(a.commit, b.commit)
}

// sourcePlaces lists the places that name the source, preferred first.
func sourcePlaces(p *slsaV1) []gitSource {
	var out []gitSource
	ext := p.BuildDefinition.ExternalParameters
	if raw, ok := lookup(ext, "source.uri"); ok {
		var u string
		if json.Unmarshal(raw, &u) == nil && u != "" {
			s := gitSource{where: "externalParameters.source"}
			s.repo, s.ref = splitGitURI(u)
			var d map[string]string
			if raw, ok := lookup(ext, "source.digest"); ok {
				_ = json.Unmarshal(raw, &d) // not a digest set: no commit
			}
			out = append(out, withCommits(s, d)...)
		}
	}
	if raw, ok := lookup(ext, "workflow.repository"); ok {
		s := gitSource{where: "externalParameters.workflow"}
		_ = json.Unmarshal(raw, &s.repo)
		if rr, ok := lookup(ext, "workflow.ref"); ok {
			_ = json.Unmarshal(rr, &s.ref)
		}
		if s.repo != "" {
			out = append(out, s)
		}
	}
	if deps := p.BuildDefinition.ResolvedDependencies; len(deps) > 0 && deps[0].URI != "" {
		s := gitSource{where: "resolvedDependencies[0]"}
		s.repo, s.ref = splitGitURI(deps[0].URI)
		out = append(out, withCommits(s, deps[0].Digest)...)
	}
	return out
}

// withCommits is s with the commit of digest set d. A set that records the
// commit twice, as gitCommit and as sha1, with two values names two
// commits: s is returned once for each, for sourceOf to refuse.
func withCommits(s gitSource, d map[string]string) []gitSource {
	s.commit = commitOf(d)
	if sha1 := d["sha1"]; sha1 != "" && sha1 != s.commit {
		t := s
		t.where, t.commit = s.where+".digest.sha1", sha1
		return []gitSource{s, t}
	}
	return []gitSource{s}
}

// dependencyCommit is the commit of the resolved dependency whose
// repository is repo. A git commit is recorded as "gitCommit" (SLSA v1) or
// "sha1" (older builders).
func dependencyCommit(p *slsaV1, repo string) string {
	if repo == "" {
		return ""
	}
	for _, d := range p.BuildDefinition.ResolvedDependencies {
		if r, _ := splitGitURI(d.URI); normalizeRepo(r) == normalizeRepo(repo) {
			return commitOf(d.Digest)
		}
	}
	return ""
}

func commitOf(d map[string]string) string {
	if c := d["gitCommit"]; c != "" {
		return c
	}
	return d["sha1"]
}

// splitGitURI splits git+https://host/path@ref at the first '@' after the
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
// user information, not a ref; a URI without a path has no ref.
func splitGitURI(u string) (repo, ref string) {
	scheme := strings.Index(u, "://")
	if scheme < 0 {
		return u, ""
	}
	slash := strings.IndexByte(u[scheme+3:], '/')
	if slash < 0 {
		return u, ""
	}
	path := scheme + 3 + slash
	if at := strings.IndexByte(u[path:], '@'); at >= 0 {
		return u[:path+at], u[path+at+1:]
	}
	return u, ""
}

func normalizeRepo(s string) string {
	s = strings.TrimPrefix(s, "git+")
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	return strings.TrimSuffix(strings.TrimSuffix(s, "/"), ".git")
}

func parseVersion(s string) ([]int, bool) {
	if !strings.HasPrefix(s, "v") {
		return nil, false
	}
	parts := strings.Split(s[1:], ".")
	if len(parts) == 0 || len(parts) > 3 {
		return nil, false
	}
	out := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || p == "" || (len(p) > 1 && p[0] == '0') {
			return nil, false
		}
		out[i] = n
	}
	return out, true
}

func versionMatches(want, ref string) bool {
	tag, ok := strings.CutPrefix(ref, "refs/tags/")
	if !ok {
		return false
	}
	w, _ := parseVersion(want)
	g, ok := parseVersion(tag)
	if !ok {
		return false
	}
	for i, n := range w {
		gi := 0
		if i < len(g) {
			gi = g[i]
		}
		if gi != n {
			return false
		}
	}
	return true
}

func lookup(m map[string]json.RawMessage, path string) (json.RawMessage, bool) {
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

func jsonEqual(a, b []byte) bool {
	var x, y any
	da, db := json.NewDecoder(bytes.NewReader(a)), json.NewDecoder(bytes.NewReader(b))
	da.UseNumber()
	db.UseNumber()
	if da.Decode(&x) != nil || db.Decode(&y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
