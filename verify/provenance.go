package verify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/slsasource"
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
			return fmt.Errorf("%w: SourceVersionTag %s is not vMAJOR[.MINOR[.PATCH]]", ErrInvalidExpectation, clip.Quote(p.SourceVersionTag, maxValueText))
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

func readProvenance(st *attest.Statement) (*ProvenanceFacts, *slsasource.Predicate, error) {
	if st == nil || st.PredicateType != attest.PredicateSLSAProvenanceV1 {
		got := ""
		if st != nil {
			got = st.PredicateType
		}
		return nil, nil, &PredicateTypeMismatchError{Want: attest.PredicateSLSAProvenanceV1, Got: got}
	}
	var p slsasource.Predicate
	if err := json.Unmarshal(st.Predicate, &p); err != nil {
		return nil, nil, &ProvenanceMismatchError{Field: "predicate", Want: "SLSA v1 provenance", Got: "undecodable: " + err.Error()}
	}
	f := &ProvenanceFacts{BuilderID: p.RunDetails.Builder.ID, BuildType: p.BuildDefinition.BuildType,
		ExternalParameters: p.BuildDefinition.ExternalParameters}
	// Two places naming different sources: see Provenance.SourceRef.
	src, err := slsasource.Of(&p)
	if err != nil {
		m := &ProvenanceMismatchError{Field: "source", Want: "one source", Got: err.Error()}
		if c := (*slsasource.ConflictError)(nil); errors.As(err, &c) {
			m.Want, m.Got = c.Places+" naming one source", c.Sources
		}
		return nil, nil, m
	}
	f.SourceRepository, f.SourceRef, f.SourceDigest = src.Repo, src.Ref, src.Commit
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
	if want.SourceRepository != "" && slsasource.NormalizeRepo(want.SourceRepository) != slsasource.NormalizeRepo(f.SourceRepository) {
		return nil, &ProvenanceMismatchError{Field: "source.repository", Want: want.SourceRepository, Got: f.SourceRepository}
	}
	if want.SourceRef != "" && want.SourceRef != f.SourceRef {
		return nil, &ProvenanceMismatchError{Field: "source.ref", Want: want.SourceRef, Got: f.SourceRef}
	}
	if want.SourceVersionTag != "" && !versionMatches(want.SourceVersionTag, f.SourceRef) {
		return nil, &ProvenanceMismatchError{Field: "source.versionTag", Want: want.SourceVersionTag, Got: f.SourceRef}
	}
	for path, wantV := range want.ExternalParameters {
		got, ok := slsasource.Lookup(p.BuildDefinition.ExternalParameters, path)
		wb, err := json.Marshal(wantV)
		if err != nil {
			return nil, fmt.Errorf("%w: externalParameters.%s: %v", ErrInvalidExpectation, clipText(path, maxValueText), clip.Error(err, maxCauseText))
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
