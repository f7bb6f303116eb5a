package verify

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestCheckMembers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want error // nil, ErrAmbiguousJSON, or errOther for a syntax error
	}{
		{"plain", `{"a":{"b":[1,{"c":null}]},"d":"A"}`, nil},
		{"sibling objects reuse names", `{"a":{"x":1},"b":{"x":2}}`, nil},
		{"repeat", `{"a":1,"a":2}`, ErrAmbiguousJSON},
		{"case pair", `{"mediaType":1,"MEDIATYPE":2}`, ErrAmbiguousJSON},
		{"escaped repeat", `{"a":1,"\u0061":2}`, ErrAmbiguousJSON},
		{"kelvin sign", "{\"k\":1,\"\u212a\":2}", ErrAmbiguousJSON},
		{"registered in another case", `{"PredicateType":"x"}`, ErrAmbiguousJSON},
		{"deep repeat", `{"a":[[{"x":1,"x":2}]]}`, ErrAmbiguousJSON},
		{"unbalanced", `}`, errOther},
		{"unterminated string", `{"a`, errOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := checkMembers([]byte(tt.in), "predicateType")
			switch {
			case tt.want == nil && err != nil, tt.want == ErrAmbiguousJSON && !errors.Is(err, ErrAmbiguousJSON),
				tt.want == errOther && (err == nil || errors.Is(err, ErrAmbiguousJSON)):
				t.Fatalf("checkMembers(%s) = %v, want %v", tt.in, err, tt.want)
			}
		})
	}
}

var errOther = errors.New("syntax error")

// FuzzCheckMembers: checkMembers never panics (it runs before any parser
// has validated the bundle), and on valid JSON refuses only with
// ErrAmbiguousJSON naming two names that really fold together.
func FuzzCheckMembers(f *testing.F) {
	for _, s := range []string{`{"a":1,"A":2}`, `{"a":"\\\"","b":[{"c":"}"}]}`, `}}`, `{"a`, `"\\`, `[{"x":1},{"x":1}]`,
		"{\"\u212a\":1,\"k\":2}", `{"\u0061":1,"a":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := checkMembers(b, "predicateType")
		if err == nil || !json.Valid(b) {
			return
		}
		var me *memberError
		if !errors.As(err, &me) || !errors.Is(err, ErrAmbiguousJSON) {
			t.Fatalf("valid JSON %q refused with %v", b, err)
		}
		if me.Name != me.Other && !strings.EqualFold(me.Name, me.Other) {
			t.Fatalf("refused %q: %q and %q do not fold together", b, me.Name, me.Other)
		}
	})
}

// BenchmarkCheckMembers measures the ambiguity check on a public-good DSSE
// bundle, the cost it adds to an uncached Verify.
func BenchmarkCheckMembers(b *testing.B) {
	bun, err := os.ReadFile("testdata/conformance/happy-path-intoto-in-dsse-v3/bundle.sigstore.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(bun)))
	b.ReportAllocs()
	for b.Loop() {
		if err := checkMembers(bun); err != nil {
			b.Fatal(err)
		}
	}
}
