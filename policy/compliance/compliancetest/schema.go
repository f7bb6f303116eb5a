package compliancetest

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"sync"
)

// ErrInvalid: a document does not validate against the OSCAL schema.
var ErrInvalid = errors.New("compliancetest: not valid OSCAL")

// OSCALVersion is the version of the embedded schema.
const OSCALVersion = "1.1.3"

//go:embed oscal_complete_schema-1.1.3.json
var schemaJSON []byte

// ValidateOSCAL validates doc, one JSON document, against NIST's OSCAL
// 1.1.3 JSON schema of all models (so it must be one OSCAL root model,
// such as an assessment-results document). The error, wrapping
// ErrInvalid, names the first violation with its JSON pointer.
func ValidateOSCAL(doc []byte) error {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	s, err := oscalSchema()
	if err != nil {
		return err
	}
	if err := s.check(s.root, v, ""); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

var oscalSchema = sync.OnceValues(func() (*jsonSchema, error) {
	var root map[string]any
	if err := json.Unmarshal(schemaJSON, &root); err != nil {
		return nil, fmt.Errorf("compliancetest: embedded schema: %w", err)
	}
	s := &jsonSchema{root: root, byID: map[string]any{}, regexps: map[string]*regexp.Regexp{}}
	defs, _ := root["definitions"].(map[string]any)
	for name, def := range defs {
		s.byID["#/definitions/"+name] = def
		if m, ok := def.(map[string]any); ok {
			if id, ok := m["$id"].(string); ok {
				s.byID[id] = def
			}
		}
	}
	return s, nil
})

// jsonSchema is a validator of the JSON Schema draft-07 keywords the OSCAL
// 1.1.3 schema uses (type, properties, required, additionalProperties,
// items, minItems, minimum, enum, pattern, allOf, anyOf, oneOf and $ref to
// "#/definitions/…" or to a definition's "$id"). The module has no JSON
// Schema library (OPA's is internal) and this one is small; "format" is an
// annotation in draft-07 and is not asserted, as validators do by default.
// It exists so that reports are checked against NIST's own schema rather
// than against policy/compliance's reading of it.
type jsonSchema struct {
	root    map[string]any
	byID    map[string]any
	mu      sync.Mutex
	regexps map[string]*regexp.Regexp
}

func (s *jsonSchema) check(schema any, v any, path string) error {
	sc, ok := schema.(map[string]any)
	if !ok {
		return nil // true
	}
	if ref, ok := sc["$ref"].(string); ok {
		target, ok := s.byID[ref]
		if !ok {
			return fmt.Errorf("%s: unresolved $ref %s", path, ref)
		}
		return s.check(target, v, path)
	}
	if t, ok := sc["type"].(string); ok && !isType(v, t) {
		return fmt.Errorf("%s: %T is not of type %s", path, v, t)
	}
	if enum, ok := sc["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			if e == v {
				found = true
			}
		}
		if !found {
			return fmt.Errorf("%s: %v not in enum %v", path, v, enum)
		}
	}
	if p, ok := sc["pattern"].(string); ok {
		if str, ok := v.(string); ok && !s.re(p).MatchString(str) {
			return fmt.Errorf("%s: %q does not match %s", path, str, p)
		}
	}
	if m, ok := sc["minimum"].(float64); ok {
		if n, ok := v.(float64); ok && n < m {
			return fmt.Errorf("%s: %v below minimum %v", path, n, m)
		}
	}
	if obj, ok := v.(map[string]any); ok {
		props, _ := sc["properties"].(map[string]any)
		for _, r := range asSlice(sc["required"]) {
			if _, ok := obj[r.(string)]; !ok {
				return fmt.Errorf("%s: required member %q missing", path, r)
			}
		}
		for k, val := range obj {
			if ps, ok := props[k]; ok {
				if err := s.check(ps, val, path+"/"+k); err != nil {
					return err
				}
			} else if ap, ok := sc["additionalProperties"].(bool); ok && !ap {
				return fmt.Errorf("%s: member %q not allowed", path, k)
			}
		}
	}
	if arr, ok := v.([]any); ok {
		if m, ok := sc["minItems"].(float64); ok && float64(len(arr)) < m {
			return fmt.Errorf("%s: %d items, minimum %v", path, len(arr), m)
		}
		if items, ok := sc["items"]; ok {
			for i, it := range arr {
				if err := s.check(items, it, fmt.Sprintf("%s/%d", path, i)); err != nil {
					return err
				}
			}
		}
	}
	for _, sub := range asSlice(sc["allOf"]) {
		if err := s.check(sub, v, path); err != nil {
			return err
		}
	}
	if any := asSlice(sc["anyOf"]); len(any) > 0 {
		var first error
		for _, sub := range any {
			err := s.check(sub, v, path)
			if err == nil {
				first = nil
				break
			}
			if first == nil {
				first = err
			}
		}
		if first != nil {
			return fmt.Errorf("%s: matches no anyOf branch: %w", path, first)
		}
	}
	if one := asSlice(sc["oneOf"]); len(one) > 0 {
		n := 0
		var errs []string
		for _, sub := range one {
			if err := s.check(sub, v, path); err == nil {
				n++
			} else {
				errs = append(errs, err.Error())
			}
		}
		if n != 1 {
			return fmt.Errorf("%s: matches %d oneOf branches, want 1 (%s)", path, n, strings.Join(errs, "; "))
		}
	}
	return nil
}

// re compiles a schema pattern. The OSCAL patterns are ECMAScript; the ones
// it uses mean the same in RE2 except that "." must not match a line
// terminator, and \s and \S are ECMAScript's (white space includes the
// no-break and other Unicode spaces and U+FEFF; RE2's is ASCII only, so
// its \S took a leading no-break space for a character of a string).
func (s *jsonSchema) re(p string) *regexp.Regexp {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.regexps[p]; ok {
		return r
	}
	r := regexp.MustCompile(ecmaDots(p))
	s.regexps[p] = r
	return r
}

// ecmaDots replaces every "." that is neither escaped nor inside a
// character class with a class excluding line terminators, and \s and \S
// outside a class with ECMAScript's white space class and its complement.
func ecmaDots(p string) string {
	var b strings.Builder
	inClass, escaped := false, false
	for _, c := range p {
		switch {
		case escaped && !inClass && (c == 's' || c == 'S'):
			escaped = false
			neg := ""
			if c == 'S' {
				neg = "^"
			}
			// The backslash is already written: finish "\s" as a class.
			str := b.String()
			b.Reset()
			b.WriteString(str[:len(str)-1])
			b.WriteString("[" + neg + ecmaSpace + "]")
			continue
		case escaped:
			escaped = false
		case c == '\\':
			escaped = true
		case c == '[':
			inClass = true
		case c == ']':
			inClass = false
		case c == '.' && !inClass:
			b.WriteString(`[^\n\r\x{2028}\x{2029}]`)
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// ecmaSpace is ECMAScript's \s: its WhiteSpace and LineTerminator, in RE2
// class syntax.
const ecmaSpace = `\t\n\v\f\r \x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff}`

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func isType(v any, t string) bool {
	switch t {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		n, ok := v.(float64)
		return ok && n == math.Trunc(n)
	case "null":
		return v == nil
	}
	return false
}
