package compliance

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"unicode/utf8"

	"github.com/ztci/ztci/internal/strictjson"
	"github.com/ztci/ztci/policy"
)

// BuiltinPath is where the built-in library keeps its control catalog,
// inside [policy.Library].
const BuiltinPath = "ztci/controls.json"

// Framework is a control framework the catalog maps rules to.
type Framework struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Href  string `json:"href"`
}

// Control is one requirement of a framework: ID is unique in the catalog
// and an OSCAL token ("SSDF-PS.2.1"), Label is the framework's own name
// for it ("PS.2.1", "Build L2: Provenance is authentic").
type Control struct {
	ID        string `json:"id"`
	Framework string `json:"framework"`
	Label     string `json:"label"`
	Title     string `json:"title"`
}

// Rule is what the catalog says of one rule id the policy emits.
type Rule struct {
	// ID is the violation's rule id, e.g. "deploy.signer_not_allowed".
	ID string `json:"-"`
	// Action is the input.action whose decisions evaluate the rule
	// ("deploy", "pipeline.run", ...); empty for a rule of every action.
	Action string `json:"action"`
	// Controls are the ids of the controls the rule enforces. Empty for
	// an input-validation rule: a decision it denies assesses no control.
	Controls []string `json:"controls"`
	// Needs names an evidence kind (see [Catalog.EvidenceTypes]): the rule
	// judges only artifacts that carry such an attestation, so a decision
	// without one is no evidence for its controls. Empty: always judged.
	Needs string `json:"needs,omitempty"`
	// Why says, for an assessor, why the rule enforces its controls.
	Why string `json:"why"`
}

// Catalog maps the rule ids of a policy to the controls they enforce.
// It is immutable and safe for concurrent use.
type Catalog struct {
	frameworks []Framework
	controls   []Control
	byID       map[string]int
	rules      map[string]Rule
	evidence   map[string][]string
}

type catalogJSON struct {
	Comment    string              `json:"$comment,omitempty"`
	Version    int                 `json:"version"`
	Frameworks []Framework         `json:"frameworks"`
	Evidence   map[string][]string `json:"evidence"`
	Controls   []Control           `json:"controls"`
	Rules      map[string]Rule     `json:"rules"`
}

var catalogSchema = strictjson.SchemaOf(reflect.TypeFor[catalogJSON]())

var (
	ruleID = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)
	uri    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20\x7f]+$`)
)

// Builtin returns the catalog of the built-in library (policy.Library's
// ztci/controls.json). An error means the embedded file is broken, which
// this package's tests rule out.
func Builtin() (*Catalog, error) {
	b, err := fs.ReadFile(policy.Library(), BuiltinPath)
	if err != nil {
		return nil, catalogErr("%v", err)
	}
	return ParseCatalog(b)
}

// ParseCatalog strictly reads a control catalog in the form of the
// built-in one (see the package documentation), for a vendor that maps its
// own rules. It refuses input over MaxSize, invalid UTF-8, repeated members
// or members spelt in another case, unknown members, null, a version other
// than 1, a framework, control or evidence kind defined twice or without
// its fields, control ids that are not OSCAL tokens, rule ids that are not
// dotted lower-case names, and a rule that names an unknown control,
// action-less controls or evidence kind. Errors wrap ErrCatalog.
func ParseCatalog(b []byte) (*Catalog, error) {
	if len(b) > MaxSize {
		return nil, catalogErr("%w: %d bytes, limit %d", ErrTooLarge, len(b), MaxSize)
	}
	if !utf8.Valid(b) {
		return nil, catalogErr("not valid UTF-8")
	}
	if err := catalogSchema.Check(b); err != nil {
		return nil, catalogErr("%v", err)
	}
	if strictjson.HasNull(b) {
		return nil, catalogErr("null is not allowed")
	}
	var doc catalogJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, catalogErr("%v", err)
	}
	if dec.More() {
		return nil, catalogErr("data after the catalog object")
	}
	return newCatalog(doc)
}

func newCatalog(doc catalogJSON) (*Catalog, error) {
	if doc.Version != 1 {
		return nil, catalogErr("version %d, want 1", doc.Version)
	}
	c := &Catalog{byID: map[string]int{}, rules: map[string]Rule{}, evidence: map[string][]string{}}
	fws := map[string]bool{}
	for _, f := range doc.Frameworks {
		if !isToken(f.ID) || f.Title == "" || !uri.MatchString(f.Href) || fws[f.ID] {
			return nil, catalogErr("framework %q: needs a unique token id, a title and an absolute href", truncate(f.ID))
		}
		fws[f.ID] = true
		c.frameworks = append(c.frameworks, f)
	}
	for kind, types := range doc.Evidence {
		if !isToken(kind) || len(types) == 0 {
			return nil, catalogErr("evidence kind %q: needs a token name and at least one predicate type", truncate(kind))
		}
		for _, t := range types {
			if !uri.MatchString(t) {
				return nil, catalogErr("evidence kind %q: predicate type %q is not an absolute URI", truncate(kind), truncate(t))
			}
		}
		c.evidence[kind] = slices.Clone(types)
	}
	for i, ctl := range doc.Controls {
		_, dup := c.byID[ctl.ID]
		switch {
		case !isToken(ctl.ID):
			return nil, catalogErr("control id %q is not an OSCAL token", truncate(ctl.ID))
		case dup:
			return nil, catalogErr("control %q defined twice", truncate(ctl.ID))
		case !fws[ctl.Framework]:
			return nil, catalogErr("control %q: unknown framework %q", truncate(ctl.ID), truncate(ctl.Framework))
		case ctl.Label == "" || ctl.Title == "":
			return nil, catalogErr("control %q needs a label and a title", truncate(ctl.ID))
		}
		c.byID[ctl.ID] = i
		c.controls = append(c.controls, ctl)
	}
	for id, r := range doc.Rules {
		if !ruleID.MatchString(id) {
			return nil, catalogErr("rule id %q is not a dotted lower-case name", truncate(id))
		}
		if r.Why == "" {
			return nil, catalogErr("rule %q says not why", truncate(id))
		}
		if r.Controls == nil {
			return nil, catalogErr("rule %q: controls must be a list (empty for an input-validation rule)", truncate(id))
		}
		for j, ctl := range r.Controls {
			if _, ok := c.control(ctl); !ok {
				return nil, catalogErr("rule %q: unknown control %q", truncate(id), truncate(ctl))
			}
			if slices.Contains(r.Controls[:j], ctl) {
				return nil, catalogErr("rule %q names control %q twice", truncate(id), truncate(ctl))
			}
		}
		if len(r.Controls) > 0 && r.Action == "" {
			return nil, catalogErr("rule %q enforces controls for no action", truncate(id))
		}
		if _, ok := c.evidence[r.Needs]; r.Needs != "" && !ok {
			return nil, catalogErr("rule %q needs unknown evidence kind %q", truncate(id), truncate(r.Needs))
		}
		r.ID = id
		r.Controls = slices.Clone(r.Controls)
		c.rules[id] = r
	}
	return c, nil
}

func (c *Catalog) control(id string) (Control, bool) {
	i, ok := c.byID[id]
	if !ok {
		return Control{}, false
	}
	return c.controls[i], true
}

// Frameworks returns the catalog's frameworks, in catalog order.
func (c *Catalog) Frameworks() []Framework { return slices.Clone(c.frameworks) }

// Controls returns every control, in catalog order.
func (c *Catalog) Controls() []Control { return slices.Clone(c.controls) }

// Control returns the control with id.
func (c *Catalog) Control(id string) (Control, bool) { return c.control(id) }

// Rule returns what the catalog says of rule id.
func (c *Catalog) Rule(id string) (Rule, bool) {
	r, ok := c.rules[id]
	r.Controls = slices.Clone(r.Controls)
	return r, ok
}

// Rules returns the catalog's rule ids, sorted.
func (c *Catalog) Rules() []string {
	out := make([]string, 0, len(c.rules))
	for id := range c.rules {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// EvidenceTypes returns the predicate types that count as evidence of
// kind (e.g. "vulnerability-scan"), or nil.
func (c *Catalog) EvidenceTypes(kind string) []string { return slices.Clone(c.evidence[kind]) }
