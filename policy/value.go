package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/ztci/ztci/identity"
)

// This file converts an Input to OPA's value form directly, field by field,
// instead of marshalling it to JSON and back (what rego.EvalInput does with
// a Go struct). The result is exactly the value OPA would build from the
// JSON encoding of the Input; value_test.go and FuzzDecodeInput check that.

// keyTerms holds one term per object key of the input schema, built once:
// keys are the same in every input, so sharing their (never mutated) terms
// saves two allocations per field, as OPA's own interned terms do.
var keyTerms = func() map[string]*ast.Term {
	m := map[string]*ast.Term{}
	for _, k := range []string{
		"action", "actor", "approvals", "artifacts", "attestations", "branches",
		"build_type", "builder_id", "by", "claims", "commit", "critical", "digest",
		"environment", "environment_protected", "event", "external_parameters", "findings", "high", "id",
		"image", "images", "issuer", "job", "jobs", "low", "manifests", "medium",
		"name", "names", "package", "path", "pipeline", "platform", "predicate",
		"predicate_type", "privileged", "protected", "provenance", "raw", "ref", "renewal",
		"ref_protected", "repository", "requires", "run_attempt", "run_id",
		"runner", "san", "scan", "scanned_at", "scanner", "secrets", "severity", "signer",
		"secrets_provenance", "credentials", "identity", "lease_id", "backend", "secret",
		"decision_id", "policy_revision", "issued_at", "revoked_at", "compromised",
		"source_digest", "source_ref", "source_repository", "spiffe_id", "steps",
		"subject", "terraform_plan", "trigger", "type", "uses", "verified",
		"workflow", "workflow_ref",
		"aliases", "vex", "statements", "vulnerability", "status", "justification", "timestamp", "last_updated", "subcomponents", "vsa", "verifier", "time_verified", "verified_levels",
		"inputs", "builder",
	} {
		m[k] = ast.StringTerm(k)
	}
	return m
}()

// key returns the term for an object key.
func key(k string) *ast.Term {
	if t, ok := keyTerms[k]; ok {
		return t
	}
	return ast.StringTerm(k)
}

// obj collects the items of an object; its capacity is the field count.
// The value terms it makes come from terms, one allocation per object
// instead of one per field: a term is never moved (terms never grows
// past the capacity it was made with; a field beyond it gets a term of
// its own) and, like every term of the input, never modified once the
// object is built.
type obj struct {
	items [][2]*ast.Term
	terms []ast.Term
}

// newObj returns an obj for an object of at most n fields.
func newObj(n int) obj {
	return obj{items: make([][2]*ast.Term, 0, n), terms: make([]ast.Term, 0, n)}
}

// term returns a term holding v, from o's terms while they last.
func (o *obj) term(v ast.Value) *ast.Term {
	if len(o.terms) == cap(o.terms) {
		return ast.NewTerm(v)
	}
	o.terms = append(o.terms, ast.Term{Value: v})
	return &o.terms[len(o.terms)-1]
}

// strTerm returns a term holding the string v: OPA's interned one if
// there is one (shared, as OPA shares it), else one of o's terms.
func (o *obj) strTerm(v string) *ast.Term {
	if ast.HasInternedValue(v) {
		return ast.InternedTerm(v)
	}
	return o.term(ast.String(v))
}

func (o *obj) str(k, v string) { o.items = append(o.items, ast.Item(key(k), o.strTerm(v))) }
func (o *obj) boolean(k string, v bool) {
	o.items = append(o.items, ast.Item(key(k), ast.InternedTerm(v)))
}
func (o *obj) num(k string, v int) {
	o.items = append(o.items, ast.Item(key(k), ast.InternedTerm(v)))
}
func (o *obj) val(k string, v ast.Value) {
	o.items = append(o.items, ast.Item(key(k), o.term(v)))
}

// strOmit adds k only if v is not empty, like `json:",omitempty"`.
func (o *obj) strOmit(k, v string) {
	if v != "" {
		o.str(k, v)
	}
}

func (o *obj) strs(k string, v []string) {
	if len(v) == 0 {
		return
	}
	ts := make([]*ast.Term, len(v))
	var arena []ast.Term // the terms of the strings OPA has not interned
	for i, s := range v {
		if ast.HasInternedValue(s) {
			ts[i] = ast.InternedTerm(s)
			continue
		}
		if arena == nil {
			arena = make([]ast.Term, 0, len(v)-i)
		}
		arena = append(arena, ast.Term{Value: ast.String(s)})
		ts[i] = &arena[len(arena)-1]
	}
	o.val(k, ast.NewArray(ts...))
}

func (o *obj) object() ast.Object { return ast.NewObject(o.items...) }

// anyMap adds a map[string]any field (omitempty), converted by freeValue.
func (o *obj) anyMap(k string, m map[string]any) error {
	if len(m) == 0 {
		return nil
	}
	v, err := freeValue(m, 0)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrInvalidInput, k, err)
	}
	o.val(k, v)
	return nil
}

// freeValue converts a value of a free-form section (manifests,
// terraform_plan, raw, predicate, external_parameters), which Go callers
// fill from decoded JSON or YAML, to what OPA would build from its JSON
// encoding, and refuses what that encoding would refuse or change instead
// of converting it as ast.InterfaceToValue does:
//   - a NaN or infinite float, which OPA turns into a Number that makes
//     its comparisons panic (YAML decodes .nan and .inf to such floats);
//   - a cycle (a map holding itself), on which a recursive conversion
//     exhausts the stack and kills the process, and nesting deeper than
//     maxDepth, the bound DecodeInput sets;
//   - a string or member name that is not valid UTF-8, which the JSON
//     encoding (and so any JSON reader downstream of the policy) replaces
//     with U+FFFD, so that two distinct names could become one.
//
// A nil map or slice is null, as in the JSON encoding: ast.InterfaceToValue
// makes it an empty object or array, which the rules read differently (a
// plan whose resource_changes is a nil []any was allowed as one that
// changes nothing, while its JSON encoding, the document audited and the
// one a remote caller sends, is denied as malformed).
//
// Other types (typed slices, structs) go to ast.InterfaceToValue, which
// converts them through a JSON round trip, where such values fail, except
// []string and map[string]string, which it converts itself and which are
// therefore checked here.
func freeValue(x any, depth int) (ast.Value, error) {
	if depth > maxDepth {
		return nil, errDeep
	}
	switch x := x.(type) {
	case map[string]any:
		if x == nil {
			return ast.Null{}, nil
		}
		items := make([][2]*ast.Term, 0, len(x))
		terms := make([]ast.Term, 0, 2*len(x)) // keys and values: one allocation
		for k, e := range x {
			if !utf8.ValidString(k) {
				return nil, errUTF8
			}
			v, err := freeValue(e, depth+1)
			if err != nil {
				return nil, err
			}
			var kt *ast.Term
			if ast.HasInternedValue(k) {
				kt = ast.InternedTerm(k) // OPA's shared term
			} else {
				terms = append(terms, ast.Term{Value: ast.String(k)})
				kt = &terms[len(terms)-1]
			}
			terms = append(terms, ast.Term{Value: v})
			items = append(items, ast.Item(kt, &terms[len(terms)-1]))
		}
		return ast.NewObject(items...), nil
	case []any:
		if x == nil {
			return ast.Null{}, nil
		}
		ts := make([]*ast.Term, len(x))
		terms := make([]ast.Term, len(x)) // one allocation for the elements' terms
		for i, e := range x {
			v, err := freeValue(e, depth+1)
			if err != nil {
				return nil, err
			}
			terms[i].Value = v
			ts[i] = &terms[i]
		}
		return ast.NewArray(ts...), nil
	case []string:
		if x == nil {
			return ast.Null{}, nil
		}
		for _, e := range x {
			if !utf8.ValidString(e) {
				return nil, errUTF8
			}
		}
	case map[string]string:
		if x == nil {
			return ast.Null{}, nil
		}
		for k, e := range x {
			if !utf8.ValidString(k) || !utf8.ValidString(e) {
				return nil, errUTF8
			}
		}
	case string:
		if !utf8.ValidString(x) {
			return nil, errUTF8
		}
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, errNonFinite
		}
	case float32:
		if f := float64(x); math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, errNonFinite
		}
	case json.Number:
		// OPA checks only the exponent of a json.Number: "NaN", "abc" or
		// " 3" would become Numbers that panic when compared, "0x10" or
		// "+5" ones that JSON cannot encode.
		if !validNumber(string(x)) {
			return nil, errNumber
		}
	}
	return ast.InterfaceToValue(x)
}

// validNumber reports whether s is a JSON number, as encoding/json
// requires of a json.Number it encodes.
func validNumber(s string) bool {
	return s != "" && (s[0] == '-' || '0' <= s[0] && s[0] <= '9') &&
		'0' <= s[len(s)-1] && s[len(s)-1] <= '9' && json.Valid([]byte(s))
}

var (
	errNumber    = errors.New("a json.Number is not a JSON number")
	errDeep      = fmt.Errorf("nested deeper than %d (or cyclic)", maxDepth)
	errUTF8      = errors.New("a string or member name is not valid UTF-8")
	errNonFinite = errors.New("a number is NaN or infinite, which JSON cannot encode")
)

// toValue returns in as an OPA object.
func (in *Input) toValue() (ast.Value, error) {
	o := newObj(7)
	o.str("action", in.Action)
	o.val("job", in.Job.toValue())
	if in.Pipeline != nil {
		p, err := in.Pipeline.toValue()
		if err != nil {
			return nil, err
		}
		o.val("pipeline", p)
	}
	if len(in.Artifacts) > 0 {
		ts := make([]*ast.Term, len(in.Artifacts))
		var signers signerValues
		for i := range in.Artifacts {
			a, err := in.Artifacts[i].toValue(&signers)
			if err != nil {
				return nil, err
			}
			ts[i] = ast.NewTerm(a)
		}
		o.val("artifacts", ast.NewArray(ts...))
	}
	if in.Secrets != nil {
		s := newObj(2)
		s.strs("names", in.Secrets.Names)
		s.boolean("renewal", in.Secrets.Renewal)
		o.val("secrets", s.object())
	}
	if len(in.Manifests) > 0 {
		ts := make([]*ast.Term, len(in.Manifests))
		for i, m := range in.Manifests {
			if m == nil {
				ts[i] = ast.NullTerm()
				continue
			}
			v, err := freeValue(m, 0)
			if err != nil {
				return nil, fmt.Errorf("%w: manifests[%d]: %w", ErrInvalidInput, i, err)
			}
			ts[i] = ast.NewTerm(v)
		}
		o.val("manifests", ast.NewArray(ts...))
	}
	if err := o.anyMap("terraform_plan", in.TerraformPlan); err != nil {
		return nil, err
	}
	return o.object(), nil
}

func (j *Job) toValue() ast.Object {
	o := newObj(21)
	o.str("id", j.ID)
	o.str("spiffe_id", j.SPIFFEID)
	o.str("issuer", j.Issuer)
	o.str("subject", j.Subject)
	o.str("platform", j.Platform)
	o.str("repository", j.Repository)
	o.str("repository_id", j.RepositoryID)
	o.str("repository_owner_id", j.RepositoryOwnerID)
	o.str("ref", j.Ref)
	o.boolean("protected", j.Protected)
	o.str("commit", j.Commit)
	o.str("workflow", j.Workflow)
	o.str("workflow_ref", j.WorkflowRef)
	o.str("name", j.Name)
	o.str("run_id", j.RunID)
	o.str("trigger", j.Trigger)
	o.str("actor", j.Actor)
	o.str("runner", j.Runner)
	o.str("environment", j.Environment)
	o.boolean("environment_protected", j.EnvironmentProtected)
	if len(j.Approvals) > 0 {
		ts := make([]*ast.Term, len(j.Approvals))
		for i, a := range j.Approvals {
			ao := newObj(2)
			ao.str("name", a.Name)
			ao.str("by", a.By)
			ts[i] = ast.NewTerm(ao.object())
		}
		o.val("approvals", ast.NewArray(ts...))
	}
	return o.object()
}

func (p *Pipeline) toValue() (ast.Object, error) {
	o := newObj(5)
	o.str("platform", p.Platform)
	o.str("path", p.Path)
	o.strs("uses", p.Uses)
	if len(p.Jobs) > 0 {
		ts := make([]*ast.Term, len(p.Jobs))
		for i := range p.Jobs {
			ts[i] = ast.NewTerm(p.Jobs[i].toValue())
		}
		o.val("jobs", ast.NewArray(ts...))
	}
	if err := o.anyMap("raw", p.Raw); err != nil {
		return nil, err
	}
	return o.object(), nil
}

func (j *PipelineJob) toValue() ast.Object {
	o := newObj(8)
	o.str("name", j.Name)
	o.str("type", j.Type)
	o.str("environment", j.Environment)
	o.boolean("privileged", j.Privileged)
	o.strs("requires", j.Requires)
	o.strs("branches", j.Branches)
	o.strs("images", j.Images)
	if len(j.Steps) > 0 {
		ts := make([]*ast.Term, len(j.Steps))
		for i, s := range j.Steps {
			so := newObj(4)
			so.str("name", s.Name)
			so.str("uses", s.Uses)
			so.str("image", s.Image)
			so.boolean("privileged", s.Privileged)
			ts[i] = ast.NewTerm(so.object())
		}
		o.val("steps", ast.NewArray(ts...))
	}
	return o.object()
}

func (a *Artifact) toValue(signers *signerValues) (ast.Object, error) {
	o := newObj(6)
	o.str("name", a.Name)
	o.str("digest", a.Digest)
	o.boolean("verified", a.Verified)
	o.val("signer", signers.value(&a.Signer))
	if len(a.Attestations) > 0 {
		ts := make([]*ast.Term, len(a.Attestations))
		for i := range a.Attestations {
			v, err := a.Attestations[i].toValue(signers)
			if err != nil {
				return nil, fmt.Errorf("attestations[%d]: %w", i, err)
			}
			ts[i] = ast.NewTerm(v)
		}
		o.val("attestations", ast.NewArray(ts...))
	}
	if s := a.VSA; s != nil {
		o.val("vsa", s.toValue())
	}
	return o.object(), nil
}

func (s *VerificationSummary) toValue() ast.Object {
	o := newObj(7)
	o.str("verifier", s.Verifier)
	o.str("signer", s.Signer)
	o.str("policy_revision", s.PolicyRevision)
	o.str("time_verified", s.TimeVerified)
	o.strs("verified_levels", s.VerifiedLevels)
	if len(s.Inputs) > 0 {
		ts := make([]*ast.Term, len(s.Inputs))
		for i, in := range s.Inputs {
			io := newObj(4)
			io.str("digest", in.Digest)
			io.str("predicate_type", in.PredicateType)
			io.str("signer", in.Signer)
			io.str("builder", in.Builder)
			ts[i] = ast.NewTerm(io.object())
		}
		o.val("inputs", ast.NewArray(ts...))
	}
	return o.object()
}

// signerValues holds the signers one Input's conversion has converted, so
// that an equal signer (an artifact's is its first attestation's; one
// signer often signs all of them) is converted once and its value shared
// within that input. It lives for one conversion only: nothing built for
// one input reaches another. Its lookup is linear, and stops growing at
// maxSignerValues: a signer beyond it is converted on its own.
type signerValues []signerValue

type signerValue struct {
	s Signer
	v ast.Object
}

const maxSignerValues = 8

// value returns the value of s, converted once per signerValues.
func (m *signerValues) value(s *Signer) ast.Object {
	for i := range *m {
		if (*m)[i].s == *s {
			return (*m)[i].v
		}
	}
	v := s.toValue()
	if len(*m) < maxSignerValues {
		*m = append(*m, signerValue{s: *s, v: v})
	}
	return v
}

func (s *Signer) toValue() ast.Object {
	o := newObj(3)
	o.str("san", s.SAN)
	o.str("issuer", s.Issuer)
	o.val("claims", claimsValue(&s.Claims))
	return o.object()
}

// claimsValue mirrors identity.Claims' JSON tags (all omitempty).
// TestClaimsValueMatchesJSON fails if identity.Claims gains a field this
// function does not know.
func claimsValue(c *identity.Claims) ast.Object {
	o := newObj(17)
	o.strOmit("platform", c.Platform)
	o.strOmit("repository", c.Repository)
	o.strOmit("repository_id", c.RepositoryID)
	o.strOmit("repository_owner_id", c.RepositoryOwnerID)
	o.strOmit("ref", c.Ref)
	if c.RefProtected {
		o.boolean("ref_protected", true)
	}
	o.strOmit("commit", c.Commit)
	o.strOmit("workflow", c.Workflow)
	o.strOmit("workflow_ref", c.WorkflowRef)
	o.strOmit("job", c.Job)
	o.strOmit("run_id", c.RunID)
	o.strOmit("run_attempt", c.RunAttempt)
	o.strOmit("event", c.Event)
	o.strOmit("actor", c.Actor)
	o.strOmit("runner", c.Runner)
	o.strOmit("environment", c.Environment)
	if c.EnvironmentProtected {
		o.boolean("environment_protected", true)
	}
	return o.object()
}

func (a *Attestation) toValue(signers *signerValues) (ast.Object, error) {
	o := newObj(5)
	o.str("predicate_type", a.PredicateType)
	o.val("signer", signers.value(&a.Signer))
	if p := a.Provenance; p != nil {
		po := newObj(6)
		po.str("builder_id", p.BuilderID)
		po.str("build_type", p.BuildType)
		po.str("source_repository", p.SourceRepository)
		po.str("source_ref", p.SourceRef)
		po.str("source_digest", p.SourceDigest)
		if err := po.anyMap("external_parameters", p.ExternalParameters); err != nil {
			return nil, err
		}
		o.val("provenance", po.object())
	}
	if s := a.Scan; s != nil {
		so := newObj(7)
		so.str("scanner", s.Scanner)
		if s.ScannedAt != "" { // omitempty, as the JSON encoding
			so.str("scanned_at", s.ScannedAt)
		}
		so.num("critical", s.Critical)
		so.num("high", s.High)
		so.num("medium", s.Medium)
		so.num("low", s.Low)
		if len(s.Findings) > 0 {
			ts := make([]*ast.Term, len(s.Findings))
			for i, f := range s.Findings {
				fo := newObj(4)
				fo.str("id", f.ID)
				fo.strs("aliases", f.Aliases)
				fo.str("severity", f.Severity)
				fo.str("package", f.Package)
				ts[i] = ast.NewTerm(fo.object())
			}
			so.val("findings", ast.NewArray(ts...))
		}
		o.val("scan", so.object())
	}
	if sp := a.SecretsProvenance; sp != nil {
		o.val("secrets_provenance", sp.toValue())
	}
	if x := a.VEX; x != nil {
		o.val("vex", x.toValue())
	}
	if err := o.anyMap("predicate", a.Predicate); err != nil {
		return nil, err
	}
	return o.object(), nil
}

func (sp *SecretsProvenance) toValue() ast.Object {
	j := &sp.Job
	jo := newObj(7)
	jo.str("id", j.ID)
	jo.str("identity", j.Identity)
	jo.str("spiffe_id", j.SPIFFEID)
	jo.str("repository", j.Repository)
	jo.str("ref", j.Ref)
	jo.boolean("ref_protected", j.RefProtected)
	jo.str("run_id", j.RunID)
	o := newObj(2)
	o.val("job", jo.object())
	if sp.Credentials == nil { // as the JSON encoding of a nil slice
		o.val("credentials", ast.Null{})
		return o.object()
	}
	ts := make([]*ast.Term, len(sp.Credentials))
	for i, c := range sp.Credentials {
		co := newObj(8)
		co.str("lease_id", c.LeaseID)
		co.str("backend", c.Backend)
		co.str("secret", c.Secret)
		co.str("decision_id", c.DecisionID)
		co.str("policy_revision", c.PolicyRevision)
		co.str("issued_at", c.IssuedAt)
		co.str("revoked_at", c.RevokedAt)
		co.boolean("compromised", c.Compromised)
		ts[i] = ast.NewTerm(co.object())
	}
	o.val("credentials", ast.NewArray(ts...))
	return o.object()
}

func (x *VEX) toValue() ast.Object {
	o := newObj(1)
	if x.Statements == nil { // as the JSON encoding of a nil slice
		o.val("statements", ast.Null{})
		return o.object()
	}
	ts := make([]*ast.Term, len(x.Statements))
	for i, s := range x.Statements {
		so := newObj(7)
		so.str("vulnerability", s.Vulnerability)
		so.strs("aliases", s.Aliases)
		so.str("status", s.Status)
		so.str("justification", s.Justification)
		so.str("timestamp", s.Timestamp)
		so.strOmit("last_updated", s.LastUpdated)
		so.strs("subcomponents", s.Subcomponents)
		ts[i] = ast.NewTerm(so.object())
	}
	o.val("statements", ast.NewArray(ts...))
	return o.object()
}
