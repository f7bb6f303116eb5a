package inventory

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Range is a version range in the form of an OSV "affected" range: from
// Introduced (inclusive; "" or "0" means from the first version) up to
// Fixed (exclusive) or LastAffected (inclusive); with neither, every version
// from Introduced on. This is the shape vulnerability databases (OSV, GitHub
// advisories) publish, so an advisory's ranges translate field for field,
// and it needs no parser of its own (as a vers: string would). Bounds must
// parse in the package type's ordering.
type Range struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
}

// Matcher is a validated Query, compiled once and applied to a store's
// candidates so that every Store filters alike. Stores call [Compile]
// first in Query. A Matcher is used by one query at a time.
type Matcher struct {
	// Key, Type are the index key and type of Query.Package ("" when the
	// query has none).
	Key, Type string
	// Digest, Builder, Signer, KeyID and PolicyRevision are the query's
	// other criteria; Admits applies them.
	Digest, Builder, Signer, KeyID, PolicyRevision string
	// WithPolicyInput is the query's.
	WithPolicyInput bool
	// Limit is the effective limit.
	Limit int

	parse    func(string) (version, error)
	ranges   []compiledRange
	exact    []string
	exactV   []version
	anyVer   bool
	verdicts map[string]verdict
}

type compiledRange struct {
	lo, hi version // nil: unbounded
	hiIncl bool
}

type verdict struct{ ok, unordered bool }

// Compile validates q and compiles its version criteria.
func Compile(q Query) (*Matcher, error) {
	bad := func(format string, args ...any) (*Matcher, error) {
		return nil, fmt.Errorf("%w: "+format, append([]any{ErrInvalidQuery}, args...)...)
	}
	if q.Package == "" && q.Digest == "" && q.Builder == "" && q.Signer == "" && q.KeyID == "" && q.PolicyRevision == "" {
		return bad("give a package, a digest, a builder, a signer, a key or a policy revision")
	}
	if q.Limit < 0 || q.Limit > MaxLimit {
		return bad("limit %d outside 0..%d", q.Limit, MaxLimit)
	}
	if len(q.Ranges)+len(q.Versions) > MaxQueryTerms {
		return bad("more than %d ranges and versions", MaxQueryTerms)
	}
	m := &Matcher{Digest: q.Digest, Builder: q.Builder, Signer: q.Signer, KeyID: q.KeyID, PolicyRevision: q.PolicyRevision,
		WithPolicyInput: q.WithPolicyInput, Limit: cmp.Or(q.Limit, DefaultLimit), verdicts: map[string]verdict{}}
	if q.Digest != "" && !digestPattern.MatchString(q.Digest) {
		return bad("digest must be sha256:<64 lower-case hex>")
	}
	for _, f := range []struct{ name, v string }{{"builder", q.Builder}, {"signer", q.Signer}, {"key id", q.KeyID}, {"policy revision", q.PolicyRevision}} {
		if e := checkField(f.v); e != "" {
			return bad("%s %s", f.name, e)
		}
	}
	if q.Package == "" {
		if len(q.Ranges)+len(q.Versions) > 0 {
			return bad("ranges and versions need a package")
		}
		return m, nil
	}
	u, err := ParsePURL(q.Package)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidQuery, err)
	}
	if u.Version != "" {
		return bad("the package URL carries a version: give it in Versions or Ranges")
	}
	m.Key, m.Type = u.Key(), u.Type
	m.parse = orderings[u.Type]
	m.anyVer = len(q.Ranges) == 0 && len(q.Versions) == 0
	if len(q.Ranges) > 0 && m.parse == nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidQuery, &EcosystemError{Type: u.Type})
	}
	bound := func(s string) (version, error) {
		if s == "" {
			return nil, nil
		}
		return parseVersion(u.Type, m.parse, s)
	}
	for _, r := range q.Ranges {
		if r == (Range{}) {
			return bad("an empty range: leave Ranges out to select every version")
		}
		if r.Fixed != "" && r.LastAffected != "" {
			return bad("a range has both fixed and last_affected")
		}
		var c compiledRange
		if r.Introduced != "0" {
			if c.lo, err = bound(r.Introduced); err != nil {
				return nil, fmt.Errorf("%w: introduced: %w", ErrInvalidQuery, err)
			}
		}
		hi := r.Fixed
		if r.LastAffected != "" {
			hi, c.hiIncl = r.LastAffected, true
		}
		if c.hi, err = bound(hi); err != nil {
			return nil, fmt.Errorf("%w: upper bound: %w", ErrInvalidQuery, err)
		}
		if c.lo != nil && c.hi != nil && c.lo.compare(c.hi) > 0 {
			return bad("a range ends before it starts")
		}
		m.ranges = append(m.ranges, c)
	}
	for _, v := range q.Versions {
		if v == "" {
			return bad("an empty version")
		}
		m.exact = append(m.exact, v)
		if m.parse != nil {
			if pv, err := m.parse(v); err == nil {
				m.exactV = append(m.exactV, pv)
			}
		}
	}
	return m, nil
}

// Admits reports whether admission a (its metadata, builders and signers)
// meets the query's criteria other than the package: digest, builder (any
// of a's), signer, key and policy revision.
func (m *Matcher) Admits(a *Admission) bool {
	if m.Digest != "" && a.Digest != m.Digest ||
		m.Builder != "" && !slices.ContainsFunc(a.Builders, func(b string) bool { return BuilderSelects(m.Builder, b) }) ||
		m.PolicyRevision != "" && a.PolicyRevision != m.PolicyRevision {
		return false
	}
	if m.Signer != "" && !slices.ContainsFunc(a.Signers, func(s Signer) bool { return s.SAN == m.Signer }) {
		return false
	}
	return m.KeyID == "" || slices.ContainsFunc(a.Signers, func(s Signer) bool { return s.KeyID == m.KeyID })
}

// BuilderSelects reports whether a query by builder id q selects an
// admission built by builder: the same id, or, when q has no "@", q at
// any "@<ref>" (builder before its first "@" is q). The gate revokes a
// builder so (a mark on an id without "@" revokes it at every ref, as a
// verify.Provenance expectation accepts it at every ref): a revocation's
// query must find every admission the mark now denies, or drift misses
// the artifacts a slsa-github-generator builder built at a tag.
func BuilderSelects(q, builder string) bool {
	if builder == q {
		return true
	}
	if strings.Contains(q, "@") {
		return false
	}
	base, _, ok := strings.Cut(builder, "@")
	return ok && base == q
}

// Match reports whether a package of m.Key at version v is selected, and
// returns it as a result Package, spelled as spelled ([Entry.Spelled]; ""
// when unknown), Unordered set when v could not be ordered but a range or
// an exact version asked for it.
func (m *Matcher) Match(v, spelled string) (Package, bool) {
	vd, ok := m.verdicts[v]
	if !ok {
		vd = m.decide(v)
		if len(m.verdicts) < 1<<16 {
			m.verdicts[v] = vd
		}
	}
	if !vd.ok {
		return Package{}, false
	}
	p := Entry{Key: m.Key, Version: v, Spelled: spelled}.Package()
	p.Unordered = vd.unordered
	return p, true
}

func (m *Matcher) decide(v string) verdict {
	if m.anyVer || slices.Contains(m.exact, v) {
		return verdict{ok: true}
	}
	var pv version
	if m.parse != nil && v != "" && len(v) <= MaxVersionLen {
		pv, _ = m.parse(v)
	}
	if pv == nil {
		// The version is unknown (empty) or does not read in the type's
		// ordering ("(devel)"): it may be any of the query's versions or
		// lie in its ranges, so it is listed, marked Unordered, never left
		// out ("which images ship log4j-core 2.14.1?" must find one that
		// lists log4j-core without a version). A type without an ordering
		// compares exact versions byte for byte: only an empty version is
		// unknown there.
		return verdict{ok: m.parse != nil || v == "", unordered: true}
	}
	for _, e := range m.exactV {
		if pv.compare(e) == 0 {
			return verdict{ok: true}
		}
	}
	for _, r := range m.ranges {
		if r.lo != nil && pv.compare(r.lo) < 0 {
			continue
		}
		if r.hi != nil {
			c := pv.compare(r.hi)
			if c > 0 || c == 0 && !r.hiIncl {
				continue
			}
		}
		return verdict{ok: true}
	}
	return verdict{}
}

// Finish orders hits newest first (then by DecisionID) and applies the
// limit.
func (m *Matcher) Finish(hits []Admission) Result {
	slices.SortFunc(hits, func(a, b Admission) int {
		return cmp.Or(b.Time.Compare(a.Time), cmp.Compare(a.DecisionID, b.DecisionID))
	})
	r := Result{Admissions: hits}
	if len(hits) > m.Limit {
		r.Admissions, r.Truncated = hits[:m.Limit:m.Limit], true
	}
	if r.Admissions == nil {
		r.Admissions = []Admission{}
	}
	return r
}
