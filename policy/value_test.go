package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/ztci/ztci/identity"
)

// viaJSON is the value OPA would build from in's JSON encoding.
func viaJSON(t testing.TB, in *Input) ast.Value {
	t.Helper()
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m any
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	v, err := ast.InterfaceToValue(m)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// fill sets every string field of a struct to its name, every bool to true
// and every int to 7, recursively through pointers and single-element
// slices, so that a field the direct conversion forgets shows up.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		fill(v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	case reflect.String:
		v.SetString("s-" + v.Type().Name())
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int:
		v.SetInt(7)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0))
		v.Set(s)
	case reflect.Map:
		v.Set(reflect.ValueOf(map[string]any{"k": []any{"v", json.Number("1.5"), true, nil}}))
	}
}

func TestInputValueMatchesJSON(t *testing.T) {
	t.Parallel()
	var full Input
	fill(reflect.ValueOf(&full))
	for _, tc := range []struct {
		name string
		in   Input
	}{
		{name: "zero", in: Input{}},
		{name: "every field set", in: full},
		{name: "empty lists", in: Input{Pipeline: &Pipeline{Jobs: []PipelineJob{}}, Artifacts: []Artifact{}, Secrets: &SecretsRequest{}}},
		{name: "nil manifest", in: Input{Manifests: []map[string]any{nil, {"kind": "Pod"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.in.toValue()
			if err != nil {
				t.Fatal(err)
			}
			if want := viaJSON(t, &tc.in); got.Compare(want) != 0 {
				t.Fatalf("direct conversion differs from JSON:\n got %v\nwant %v", got, want)
			}
		})
	}
}

// TestClaimsValueMatchesJSON fails when identity.Claims gains a field
// claimsValue does not convert.
func TestClaimsValueMatchesJSON(t *testing.T) {
	t.Parallel()
	var c identity.Claims
	fill(reflect.ValueOf(&c))
	in := Input{Artifacts: []Artifact{{Signer: Signer{Claims: c}}}}
	got, err := in.toValue()
	if err != nil {
		t.Fatal(err)
	}
	if want := viaJSON(t, &in); got.Compare(want) != 0 {
		t.Fatalf("claims conversion is stale:\n got %v\nwant %v", got, want)
	}
}

func TestDecodeInput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, doc string
		ok        bool
	}{
		{name: "valid", doc: `{"action":"deploy","job":{"repository":"acme/app","protected":true},"manifests":[{"kind":"Pod","spec":{"n":1e400}}]}`, ok: true},
		{name: "empty object", doc: `{}`, ok: true},
		{name: "array", doc: `[{"action":"deploy"}]`},
		{name: "string", doc: `"deploy"`},
		{name: "null", doc: `null`},
		{name: "empty", doc: ``},
		{name: "unknown field", doc: `{"action":"deploy","job":{"protectd":true}}`},
		{name: "duplicate key", doc: `{"action":"x","action":"deploy"}`},
		{name: "nested duplicate key", doc: `{"job":{"ref":"refs/heads/main","ref":"refs/heads/evil"}}`},
		{name: "trailing data", doc: `{"action":"deploy"} {"action":"x"}`},
		{name: "wrong type", doc: `{"job":{"protected":"true"}}`},
		{name: "truncated", doc: `{"action":"deploy"`},
		{name: "too deep", doc: `{"manifests":[` + strings.Repeat(`{"a":`, 200) + `1` + strings.Repeat(`}`, 200) + `]}`},
		{name: "too large", doc: `{"action":"` + strings.Repeat("a", MaxInputBytes) + `"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := DecodeInput(strings.NewReader(tc.doc))
			if tc.ok != (err == nil) || (err != nil && (!errors.Is(err, ErrInvalidInput) || !errors.Is(err, ErrNoDecision))) {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func FuzzDecodeInput(f *testing.F) {
	f.Add([]byte(`{"action":"deploy","job":{"id":"x","protected":true,"approvals":[{"name":"a","by":"b"}]},"artifacts":[{"name":"n","digest":"sha256:00","verified":true,"signer":{"san":"s","issuer":"i","claims":{"ref":"r","ref_protected":true}},"attestations":[{"predicate_type":"p","provenance":{"builder_id":"b","external_parameters":{"x":[1,2.5,null]}},"scan":{"critical":1,"findings":[{"id":"CVE"}]}}]}]}`))
	f.Add([]byte(`{"pipeline":{"platform":"circleci","uses":["circleci/node@5.1.0"],"jobs":[{"name":"d","requires":["hold"],"steps":[{"uses":"actions/checkout@v4","privileged":true}]}],"raw":{"version":2.1}}}`))
	f.Add([]byte(`{"secrets":{"names":["prod/db"]},"terraform_plan":{"resource_changes":[]},"manifests":[{"kind":"Pod"}]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"a":1,"a":2}`))
	f.Add([]byte(`{"manifests":[{"n":12345678901234567890123}]}`))
	f.Add([]byte(`{"ACTION":"deploy","job":{"Protected":true}}`))
	f.Add([]byte(`{"manifests":[{"kind":"Pod","spec":{"hostNetwork":false,"HostNetwork":true}}]}`))
	f.Add([]byte(`{"artifacts":[{"attestations":[{"ſcan":{"critical":0}}]}]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		in, err := DecodeInput(bytes.NewReader(doc))
		if err != nil {
			if !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("error does not wrap ErrInvalidInput: %v", err)
			}
			var ke *KeyError
			if errors.As(err, &ke) != (errors.Is(err, ErrDuplicateKey) || errors.Is(err, ErrKeyCase)) {
				t.Fatalf("key errors must be *KeyError: %v", err)
			}
			return
		}
		// Accepted: re-encoding is a fixed point of DecodeInput (no member
		// was matched in another case or dropped as a duplicate).
		again, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeInput(bytes.NewReader(again)); err != nil {
			t.Fatalf("re-encoded input rejected: %v", err)
		}
		got, err := in.toValue()
		if err != nil {
			if !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("conversion error does not wrap ErrInvalidInput: %v", err)
			}
			return
		}
		if want := viaJSON(t, &in); got.Compare(want) != 0 {
			t.Fatalf("direct conversion differs from JSON:\n got %v\nwant %v", got, want)
		}
	})
}

// BenchmarkInputToValue compares the direct conversion of an Input to
// OPA's value form with OPA's own conversion of the struct (through JSON).
func BenchmarkInputToValue(b *testing.B) {
	var in Input
	fill(reflect.ValueOf(&in))
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := in.toValue(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("opa_InterfaceToValue_via_JSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ast.InterfaceToValue(in); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestFreeFormValuesJSONCannotEncode: a Go caller's free-form sections
// (manifests decoded from YAML, a plan, a raw predicate) may hold values
// JSON cannot encode. OPA's own conversion turned NaN and "NaN" into
// Numbers whose comparison panicked inside Evaluate, and recursed forever
// on a map that holds itself; each is now invalid input, a deny.
func TestFreeFormValuesJSONCannotEncode(t *testing.T) {
	t.Parallel()
	e, err := New(t.Context(), FS(fstest.MapFS{"p.rego": {Data: []byte(`package test
decision := {"allow": true, "violations": []} if {
	walk(input, [_, x])
	is_number(x)
	x >= 1
}`)}}), WithQuery("data.test.decision"))
	if err != nil {
		t.Fatal(err)
	}
	cycle := map[string]any{}
	cycle["self"] = cycle
	deep := map[string]any{}
	for cur, i := deep, 0; i <= maxDepth; i++ {
		next := map[string]any{}
		cur["a"] = next
		cur = next
	}
	for name, v := range map[string]any{
		"NaN":                    math.NaN(),
		"+Inf":                   math.Inf(1),
		"float32 -Inf":           float32(math.Inf(-1)),
		"json.Number NaN":        json.Number("NaN"),
		"json.Number Infinity":   json.Number("Infinity"),
		"json.Number hex":        json.Number("0x10"),
		"json.Number space":      json.Number(" 3"),
		"json.Number empty":      json.Number(""),
		"NaN in a typed slice":   []map[string]any{{"x": math.NaN()}},
		"NaN in a list":          []any{1, math.NaN()},
		"cycle":                  cycle,
		"nested beyond maxDepth": deep,
		"invalid UTF-8 string":   "a\xffb",
		"invalid UTF-8 name":     map[string]any{"host\xffNetwork": true},
	} {
		for section, in := range map[string]Input{
			"terraform_plan": {TerraformPlan: map[string]any{"x": v}},
			"manifests":      {Manifests: []map[string]any{{"kind": "Pod", "x": v}}},
			"pipeline.raw":   {Pipeline: &Pipeline{Raw: map[string]any{"x": v}}},
			"predicate":      {Artifacts: []Artifact{{Attestations: []Attestation{{Predicate: map[string]any{"x": v}}}}}},
			"external_parameters": {Artifacts: []Artifact{{Attestations: []Attestation{{
				Provenance: &Provenance{ExternalParameters: map[string]any{"x": v}}}}}}},
		} {
			d, err := e.Evaluate(t.Context(), in)
			if !errors.Is(err, ErrInvalidInput) || d.Allowed {
				t.Errorf("%s in %s: got %v, %v; want ErrInvalidInput", name, section, d, err)
			}
		}
	}
	// What JSON encodes still converts as its encoding does.
	ok := Input{TerraformPlan: map[string]any{"f": 1.5, "n": json.Number("-1e3"), "big": json.Number("1e400"), "s": "é", "l": []any{int64(2), nil, true}}}
	got, err := ok.toValue()
	if err != nil {
		t.Fatal(err)
	}
	if want := viaJSON(t, &ok); got.Compare(want) != 0 {
		t.Fatalf("direct conversion differs from JSON:\n got %v\nwant %v", got, want)
	}
}

// TestEvaluatePanicIsADeny: a panic inside OPA (here the comparison of a
// NaN Number, which input conversion no longer produces) is an evaluation
// error, not a crash of the caller.
func TestEvaluatePanicIsADeny(t *testing.T) {
	t.Parallel()
	e, err := New(t.Context(), FS(fstest.MapFS{"p.rego": {Data: []byte(`package test
decision := {"allow": input.x >= 1, "violations": []}`)}}), WithQuery("data.test.decision"))
	if err != nil {
		t.Fatal(err)
	}
	in := ast.NewObject(ast.Item(ast.StringTerm("x"), ast.NumberTerm("NaN")))
	if _, err := evalQuery(t.Context(), e.cur.Load(), in); err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Fatalf("got %v", err)
	}
}
