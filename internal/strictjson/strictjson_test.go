package strictjson

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/internal/strictjson/strictjsontest"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	reg := []string{"alg", "kid", "keys", "x5t#S256"}
	tests := []struct {
		name string
		in   string
		want error // nil: accepted; ErrAmbiguous; errSyntax: any other error
	}{
		{"plain", `{"alg":"ES256","kid":"k","other":[1,{"a":null}]}`, nil},
		{"scalar", `"x"`, nil},
		{"array of objects", `[{"a":1},{"a":2}]`, nil},
		{"same name in sibling objects", `{"a":{"b":1},"c":{"b":2}}`, nil},
		{"registered exact", `{"x5t#S256":"t"}`, nil},
		{"exact repeat", `{"alg":"ES256","alg":"none"}`, ErrAmbiguous},
		{"case variant of registered", `{"ALG":"ES256"}`, ErrAmbiguous},
		{"mixed case of registered", `{"alg":"ES256","Kid":"k"}`, ErrAmbiguous},
		{"case variant pair unregistered", `{"foo":1,"FOO":2}`, ErrAmbiguous},
		{"escaped repeat", `{"alg":"ES256","\u0061lg":"none"}`, ErrAmbiguous},
		{"kelvin sign", "{\"\u212aid\":\"k\"}", ErrAmbiguous},
		{"long s", "{\"x\":1,\"\u017fub\":1,\"sub\":2}", ErrAmbiguous},
		{"nested repeat", `{"keys":[{"kid":"a","kid":"b"}]}`, ErrAmbiguous},
		{"nested registered variant", `{"keys":[{"KID":"a"}]}`, ErrAmbiguous},
		{"registered variant in value position is fine", `{"a":"ALG"}`, nil},
		{"syntax", `{"a":}`, errSyntax},
		{"trailing value", `{} {}`, errSyntax},
		{"trailing garbage", `{}x`, errSyntax},
		{"truncated", `{"a":1`, errSyntax},
		{"empty", ``, errSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := Check([]byte(tt.in), reg...)
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("Check(%s) = %v, want nil", tt.in, err)
			case tt.want == ErrAmbiguous && !errors.Is(err, ErrAmbiguous):
				t.Fatalf("Check(%s) = %v, want ErrAmbiguous", tt.in, err)
			case tt.want == errSyntax && (err == nil || errors.Is(err, ErrAmbiguous)):
				t.Fatalf("Check(%s) = %v, want a syntax error", tt.in, err)
			}
		})
	}
}

var errSyntax = errors.New("syntax")

// FuzzCheck: Check accepts only valid JSON, and every refusal of valid JSON
// is an ErrAmbiguous naming two names that really fold together, or an
// ErrNotUnicode of text that is not Unicode (json.Valid accepts bytes that
// are not UTF-8 and escaped lone surrogates; strictjsontest.Read finds them).
func FuzzCheck(f *testing.F) {
	for _, s := range []string{`{"alg":"ES256","kid":"k"}`, `{"ALG":1}`, `{"a":1,"a":2}`, `{"a":{"b":[{"c":1,"C":2}]}}`,
		"{\"\u212a\":1,\"k\":2}", `{"\u0061":1,"a":2}`, `[1,"a",{"x":null}]`, `{"a":1}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := Check(b, "alg", "kid")
		valid := json.Valid(b)
		if err == nil && !valid {
			t.Fatalf("Check accepted invalid JSON %q", b)
		}
		var me *MemberError
		if err != nil && valid && errors.Is(err, ErrNotUnicode) {
			if !strictjsontest.Read(b, nil).NotUnicode {
				t.Fatalf("Check refused valid JSON %q, which is Unicode text, with %v", b, err)
			}
			return
		}
		if err != nil && valid {
			if !errors.As(err, &me) {
				t.Fatalf("Check refused valid JSON %q with %v", b, err)
			}
			if me.Name != me.Other && !strings.EqualFold(me.Name, me.Other) {
				t.Fatalf("refused %q: %q and %q do not fold together", b, me.Name, me.Other)
			}
		}
	})
}

func BenchmarkCheckHeader(b *testing.B) {
	h := []byte(`{"alg":"RS256","kid":"qLJ0ySjFAAf6Z8Q5Fz8kGpBV2GxvVZLq8fMmf8VdNEI","typ":"JWT","x5t":"abc"}`)
	b.ReportAllocs()
	for b.Loop() {
		if err := Check(h, "alg", "kid", "typ"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCheckUnvalidated(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want error // nil, ErrAmbiguous, or errSyntax for a walk that cannot follow
	}{
		{"plain", `{"a":{"b":[1,{"c":null}]},"d":"A"}`, nil},
		{"sibling objects reuse names", `{"a":{"x":1},"b":{"x":2}}`, nil},
		{"repeat", `{"a":1,"a":2}`, ErrAmbiguous},
		{"case pair", `{"mediaType":1,"MEDIATYPE":2}`, ErrAmbiguous},
		{"escaped repeat", `{"a":1,"\u0061":2}`, ErrAmbiguous},
		{"kelvin sign", "{\"k\":1,\"\u212a\":2}", ErrAmbiguous},
		{"registered in another case", `{"PredicateType":"x"}`, ErrAmbiguous},
		{"deep repeat", `{"a":[[{"x":1,"x":2}]]}`, ErrAmbiguous},
		{"string holding braces and quotes", `{"a":"}\"{","a2":"\\"}`, nil},
		{"unbalanced", `}`, errSyntax},
		{"unterminated string", `{"a`, errSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := CheckUnvalidated([]byte(tt.in), "predicateType")
			switch {
			case tt.want == nil && err != nil, tt.want == ErrAmbiguous && !errors.Is(err, ErrAmbiguous),
				tt.want == errSyntax && (err == nil || errors.Is(err, ErrAmbiguous)):
				t.Fatalf("CheckUnvalidated(%s) = %v, want %v", tt.in, err, tt.want)
			}
		})
	}
}

// FuzzCheckUnvalidated: CheckUnvalidated never panics on any input (it runs
// before a parser has seen the bytes), and on valid JSON says exactly what
// Check says.
func FuzzCheckUnvalidated(f *testing.F) {
	for _, s := range []string{`{"a":1,"A":2}`, `{"a":"\\\"","b":[{"c":"}"}]}`, `}}`, `{"a`, `"\\`, `[{"x":1},{"x":1}]`,
		"{\"\u212a\":1,\"k\":2}", `{"\u0061":1,"a":2}`, `{"predicateType":1}`, `{"PredicateType":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := CheckUnvalidated(b, "predicateType")
		if !json.Valid(b) {
			return
		}
		want := Check(b, "predicateType")
		if (err == nil) != (want == nil) || errors.Is(err, ErrAmbiguous) != errors.Is(want, ErrAmbiguous) {
			t.Fatalf("on valid JSON %q: CheckUnvalidated = %v, Check = %v", b, err, want)
		}
	})
}

// A document whose member names have no escapes, nested no deeper than the
// walk's preallocated frames, is checked without allocating: the check runs
// on every token, bundle and statement a verifier reads.
func TestCheckDoesNotAllocate(t *testing.T) {
	doc := []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app","digest":{"sha256":"ab"}}],` +
		`"predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{"externalParameters":{"a":{"b":[1,{"c":null}]}}}}}`)
	allocs := testing.AllocsPerRun(50, func() {
		if err := Check(doc, "_type"); err != nil {
			t.Fatal(err)
		}
		if err := CheckRepeats(doc); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per check, want 0", allocs)
	}
}
