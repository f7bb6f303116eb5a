package policy

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"unicode"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/ztci/ztci/internal/clip"
)

// parseResult checks the decision's shape: exactly one result, an object
// with a boolean "allow", a "violations" array (or set) and no other
// member; the violations are objects with string "rule" and "message" and
// an optional "value".
func parseResult(rs rego.ResultSet) (bool, []Violation, error) {
	switch {
	case len(rs) == 0:
		return false, nil, ErrUndefined
	case len(rs) > 1 || len(rs[0].Expressions) != 1:
		return false, nil, &ShapeError{Path: "result", Want: "one value", Got: fmt.Sprintf("%d results", len(rs))}
	}
	obj, ok := rs[0].Expressions[0].Value.(map[string]any)
	if !ok {
		return false, nil, &ShapeError{Path: "decision", Want: "object", Got: typeName(rs[0].Expressions[0].Value)}
	}
	// Exactly the two members: a decision that says more ("deny": true,
	// "errors": [...]) says something the engine would ignore, so it is
	// refused rather than read as its "allow" alone.
	if len(obj) > 2 {
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			if k != "allow" && k != "violations" {
				return false, nil, &ShapeError{Path: "decision." + clip.String(k, 64), Want: "no member but allow and violations", Got: typeName(obj[k])}
			}
		}
	}
	allow, ok := obj["allow"].(bool)
	if !ok {
		return false, nil, &ShapeError{Path: "decision.allow", Want: "boolean", Got: typeName(obj["allow"])}
	}
	raw, ok := obj["violations"].([]any)
	if !ok {
		return false, nil, &ShapeError{Path: "decision.violations", Want: "array or set", Got: typeName(obj["violations"])}
	}
	vs := make([]Violation, 0, len(raw))
	for i, r := range raw {
		// The path is formatted only for an error: not once per violation
		// of every deny.
		path := func(member string) string { return fmt.Sprintf("decision.violations[%d]%s", i, member) }
		m, ok := r.(map[string]any)
		if !ok {
			return false, nil, &ShapeError{Path: path(""), Want: "object", Got: typeName(r)}
		}
		rule, ok := m["rule"].(string)
		if !ok || rule == "" {
			return false, nil, &ShapeError{Path: path(".rule"), Want: "non-empty string", Got: typeName(m["rule"])}
		}
		if !validRule(rule) {
			return false, nil, &ShapeError{Path: path(".rule"), Want: fmt.Sprintf("printable UTF-8 of at most %d bytes", MaxRuleBytes),
				Got: fmt.Sprintf("string %s of %d bytes", clip.Quote(rule, 64), len(rule))}
		}
		msg, ok := m["message"].(string)
		if !ok {
			return false, nil, &ShapeError{Path: path(".message"), Want: "string", Got: typeName(m["message"])}
		}
		vs = append(vs, Violation{Rule: rule, Message: msg, Value: m["value"]})
	}
	if len(vs) == 0 {
		vs = nil
	}
	return allow, vs, nil
}

// MaxRuleBytes bounds a violation's rule id. A rule id is an identifier
// (e.g. "deploy.signer_not_allowed"): it is written to every audit event,
// to a secrets broker's reason and to logs, so it must be printable
// UTF-8 (no newline, escape, tab or bidi control) of at most this many
// bytes, or the decision has the wrong shape.
const MaxRuleBytes = 256

// validRule reports whether rule is printable UTF-8 of at most
// MaxRuleBytes: a policy that builds a rule id from input must not let
// the input forge lines or terminal sequences in what records it.
func validRule(rule string) bool {
	if len(rule) > MaxRuleBytes || !utf8.ValidString(rule) {
		return false
	}
	for _, r := range rule {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// typeName names the Rego type of a value converted to Go.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null or undefined"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	default:
		return fmt.Sprintf("%T", v)
	}
}
