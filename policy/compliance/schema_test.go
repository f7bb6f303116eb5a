package compliance_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// jsonSchema is a validator of the JSON Schema draft-07 keywords the OSCAL
// 1.1.3 schema uses (type, properties, required, additionalProperties,
// items, minItems, minimum, enum, pattern, allOf, anyOf, oneOf and $ref to
// "#/definitions/…" or to a definition's "$id"). The module has no JSON
// Schema library (OPA's is internal) and this one is small; "format" is an
// annotation in draft-07 and is not asserted, as validators do by default.
// It exists so that the tests check reports against NIST's own schema
// rather than against this package's reading of it.
type jsonSchema struct {
	root    map[string]any
	byID    map[string]any
	mu      sync.Mutex
	regexps map[string]*regexp.Regexp
}

func loadOSCALSchema(t testing.TB) *jsonSchema {
	t.Helper()
	raw, err := os.ReadFile("testdata/oscal_complete_schema-1.1.3.json")
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(raw, &root); err != nil {
		t.Fatal(err)
	}
	s := &jsonSchema{root: root, byID: map[string]any{}, regexps: map[string]*regexp.Regexp{}}
	for name, def := range root["definitions"].(map[string]any) {
		s.byID["#/definitions/"+name] = def
		if m, ok := def.(map[string]any); ok {
			if id, ok := m["$id"].(string); ok {
				s.byID[id] = def
			}
		}
	}
	return s
}

// validate returns the first violation of doc against the schema, or nil.
func (s *jsonSchema) validate(doc any) error { return s.check(s.root, doc, "") }

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
// terminator, as in ECMAScript.
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
// character class with a class excluding line terminators.
func ecmaDots(p string) string {
	var b strings.Builder
	inClass, escaped := false, false
	for _, c := range p {
		switch {
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

// The validator itself must refuse what the schema refuses, or a passing
// schema test proves nothing.
func TestSchemaValidatorRefuses(t *testing.T) {
	t.Parallel()
	s := loadOSCALSchema(t)
	valid := `{"assessment-results":{"uuid":"8a2c7d0e-1b6f-4c3a-9e2d-5f4b3a2c1d0e","metadata":{"title":"t","last-modified":"2026-03-01T12:00:00Z","version":"1","oscal-version":"1.1.3"},"import-ap":{"href":"#ap"},"results":[{"uuid":"9a2c7d0e-1b6f-4c3a-9e2d-5f4b3a2c1d0e","title":"r","description":"d","start":"2026-03-01T12:00:00Z","reviewed-controls":{"control-selections":[{"include-all":{}}]}}]}}`
	tests := []struct {
		name, doc string
		ok        bool
	}{
		{"valid", valid, true},
		{"missing import-ap", strings.Replace(valid, `"import-ap":{"href":"#ap"},`, "", 1), false},
		{"unknown member", strings.Replace(valid, `"version":"1"`, `"version":"1","colour":"red"`, 1), false},
		{"bad uuid", strings.Replace(valid, "8a2c7d0e-1b6f-4c3a", "8a2c7d0e-1b6f-1c3a", 1), false},
		{"time without zone", strings.Replace(valid, `"start":"2026-03-01T12:00:00Z"`, `"start":"2026-03-01T12:00:00"`, 1), false},
		{"empty include-controls", strings.Replace(valid, `{"include-all":{}}`, `{"include-controls":[]}`, 1), false},
		{"version with a line break", strings.Replace(valid, `"version":"1"`, `"version":"1\n2"`, 1), false},
		{"no root model", `{"colour":"red"}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var doc any
			if err := json.Unmarshal([]byte(tc.doc), &doc); err != nil {
				if tc.ok {
					t.Fatal(err)
				}
				return
			}
			err := s.validate(doc)
			if (err == nil) != tc.ok {
				t.Fatalf("validate = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
