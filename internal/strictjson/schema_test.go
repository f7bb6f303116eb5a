package strictjson

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

type inner struct {
	Kind   string            `json:"kind"`
	Labels map[string]string `json:"labels"`
}

type Embedded struct {
	Promoted string `json:"promoted"`
}

type doc struct {
	Embedded
	Action   string           `json:"action"`
	Items    []inner          `json:"items"`
	ByName   map[string]inner `json:"by_name"`
	Raw      json.RawMessage  `json:"raw"`
	Any      any              `json:"any"`
	Next     *doc             `json:"next"`
	Untagged int
	Skipped  string `json:"-"`
}

func TestSchemaCheck(t *testing.T) {
	t.Parallel()
	s := SchemaOf(reflect.TypeFor[doc]())
	tests := []struct {
		name  string
		in    string
		want  error // nil, ErrAmbiguous or errSyntax
		path  string
		other string
	}{
		{"plain", `{"action":"a","items":[{"kind":"k","labels":{"Kind":"x","KIND2":"y"}}],"Untagged":1,"promoted":"p"}`, nil, "", ""},
		{"schema name in another case", `{"ACTION":"a"}`, ErrAmbiguous, "", "action"},
		{"untagged field in another case", `{"untagged":1}`, ErrAmbiguous, "", "Untagged"},
		{"promoted field in another case", `{"Promoted":"p"}`, ErrAmbiguous, "", "promoted"},
		{"nested struct in a slice", `{"items":[{"kind":"k"},{"Kind":"k"}]}`, ErrAmbiguous, "/items/1", "kind"},
		{"struct as map value", `{"by_name":{"x":{"KIND":"k"}}}`, ErrAmbiguous, "/by_name/x", "kind"},
		{"recursive type", `{"next":{"next":{"Action":"a"}}}`, ErrAmbiguous, "/next/next", "action"},
		{"map keys are free", `{"by_name":{"Kind":{},"action":{}}}`, nil, "", ""},
		{"map keys still may not fold together", `{"by_name":{"a":{},"A":{}}}`, ErrAmbiguous, "/by_name", "a"},
		{"raw message is free", `{"raw":{"Action":1,"KIND":2}}`, nil, "", ""},
		{"raw message repeats refused", `{"raw":{"x":1,"x":2}}`, ErrAmbiguous, "/raw", "x"},
		{"interface is free", `{"any":[{"Action":1}]}`, nil, "", ""},
		{"pointer escapes", `{"raw":{"a/b~c":{"x":1,"X":2}}}`, ErrAmbiguous, "/raw/a~1b~0c", "x"},
		{"unknown member is left to the decoder", `{"other":1}`, nil, "", ""},
		{"syntax", `{"action":}`, errSyntax, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := s.Check([]byte(tt.in))
			var me *MemberError
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("Check(%s) = %v, want nil", tt.in, err)
			case tt.want == ErrAmbiguous && (!errors.As(err, &me) || !errors.Is(err, ErrAmbiguous)):
				t.Fatalf("Check(%s) = %v, want a *MemberError", tt.in, err)
			case tt.want == ErrAmbiguous && (me.Path != tt.path || me.Other != tt.other):
				t.Fatalf("Check(%s): Path %q Other %q, want %q %q", tt.in, me.Path, me.Other, tt.path, tt.other)
			case tt.want == errSyntax && (err == nil || errors.Is(err, ErrAmbiguous)):
				t.Fatalf("Check(%s) = %v, want a syntax error", tt.in, err)
			}
		})
	}
}

func TestMemberErrorPath(t *testing.T) {
	t.Parallel()
	err := Check([]byte(`{"a":[{"b":1},{"c":{"d":1,"d":2}}]}`))
	var me *MemberError
	if !errors.As(err, &me) || me.Path != "/a/1/c" || !me.Repeated() {
		t.Fatalf("Check = %v (%+v), want d repeated at /a/1/c", err, me)
	}
	if err := Check([]byte(`{"A":1,"a":2}`)); !errors.As(err, &me) || me.Path != "" || me.Repeated() {
		t.Fatalf("Check = %v (%+v), want a case collision at the top level", err, me)
	}
}

// FuzzSchemaCheckUnvalidated: the schema walk never panics, and on valid
// JSON says exactly what Schema.Check says; a refusal names two names that
// fold together.
func FuzzSchemaCheckUnvalidated(f *testing.F) {
	for _, s := range []string{`{"action":"a"}`, `{"ACTION":"a"}`, `{"items":[{"Kind":1}]}`, `{"by_name":{"x":{"kind":1,"kind":2}}}`,
		`{"raw":{"a":1,"A":1}}`, `{"next":{"next":{"next":{}}}}`, `[}`, `{"a`} {
		f.Add([]byte(s))
	}
	s := SchemaOf(reflect.TypeFor[doc]())
	f.Fuzz(func(t *testing.T, b []byte) {
		err := s.CheckUnvalidated(b)
		if !json.Valid(b) {
			return
		}
		want := s.Check(b)
		if (err == nil) != (want == nil) || errors.Is(err, ErrAmbiguous) != errors.Is(want, ErrAmbiguous) {
			t.Fatalf("on valid JSON %q: CheckUnvalidated = %v, Check = %v", b, err, want)
		}
	})
}

func BenchmarkSchemaCheck(b *testing.B) {
	s := SchemaOf(reflect.TypeFor[doc]())
	in := []byte(`{"action":"deploy","items":[{"kind":"Deployment","labels":{"app":"web","tier":"front"}},{"kind":"Service"}],"raw":{"spec":{"replicas":3}}}`)
	b.ReportAllocs()
	for b.Loop() {
		if err := s.CheckUnvalidated(in); err != nil {
			b.Fatal(err)
		}
	}
}

// Schema.CheckRepeats refuses exact repeats anywhere and struct members in
// another case, and leaves keys of maps that differ only in case alone.
func TestSchemaCheckRepeats(t *testing.T) {
	t.Parallel()
	s := SchemaOf(reflect.TypeFor[doc]())
	for in, refused := range map[string]bool{
		`{"action":"a","items":[{"kind":"k","labels":{"A":"1","a":"2"}}]}`: false,
		`{"action":"a","action":"b"}`:                                      true,
		`{"items":[{"labels":{"x":"1","x":"2"}}]}`:                         true,
		`{"Action":"a"}`:                                  true,
		`{"items":[{"KIND":"k"}]}`:                        true,
		`{"by_name":{"K":{"kind":"k"},"k":{"kind":"k"}}}`: false,
		`{"action":"a"`:                                   true,
	} {
		if err := s.CheckRepeats([]byte(in)); (err != nil) != refused {
			t.Errorf("CheckRepeats(%s) = %v, want refused %v", in, err, refused)
		}
	}
}
