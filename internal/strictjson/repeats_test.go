package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/ztci/ztci/internal/strictjson/strictjsontest"
)

func TestCheckRepeats(t *testing.T) {
	t.Parallel()
	var wide, wideRepeat strings.Builder
	wide.WriteString("{")
	for i := range 2 * smallObject {
		fmt.Fprintf(&wide, `"k%d":%d,`, i, i)
	}
	wideRepeat.WriteString(wide.String() + `"k7":0}`)
	wide.WriteString(`"K7":0}`)
	tests := []struct {
		name string
		in   string
		want error // nil: accepted; ErrAmbiguous; errSyntax: any other error
	}{
		{"plain", `{"a":{"b":[1,{"c":null}]},"d":"A"}`, nil},
		{"case variants are two members", `{"predicateType":"a","PredicateType":"b","PATH":1,"path":2}`, nil},
		{"kelvin sign is not k", "{\"k\":1,\"\u212a\":2}", nil},
		{"sibling objects reuse names", `{"a":{"x":1},"b":{"x":2}}`, nil},
		{"wide object, case variant", wide.String(), nil},
		{"repeat", `{"a":1,"a":2}`, ErrAmbiguous},
		{"escaped repeat", `{"a":1,"\u0061":2}`, ErrAmbiguous},
		{"escaped non-ASCII repeat", "{\"\u00e9\":1,\"\\u00e9\":2}", ErrAmbiguous},
		{"deep repeat", `{"a":[[{"x":1,"x":2}]]}`, ErrAmbiguous},
		{"wide object, repeat", wideRepeat.String(), ErrAmbiguous},
		{"trailing value", `{} {}`, errSyntax},
		{"truncated", `{"a":1`, errSyntax},
		{"empty", ``, errSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := CheckRepeats([]byte(tt.in))
			var me *MemberError
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("CheckRepeats(%.60s) = %v, want nil", tt.in, err)
			case tt.want == ErrAmbiguous && (!errors.As(err, &me) || !me.Repeated()):
				t.Fatalf("CheckRepeats(%.60s) = %v, want a repeated member", tt.in, err)
			case tt.want == errSyntax && (err == nil || errors.Is(err, ErrAmbiguous)):
				t.Fatalf("CheckRepeats(%.60s) = %v, want a syntax error", tt.in, err)
			}
		})
	}
}

// FuzzCheckRepeats: CheckRepeats accepts exactly the documents that
// encoding/json's tokenizer reads as one value of Unicode text with no
// object repeating a decoded member name (the check attest used before,
// kept as the oracle, with the refusal of text that is not Unicode that
// every check makes since).
func FuzzCheckRepeats(f *testing.F) {
	for _, s := range []string{`{"a":1,"A":2}`, `{"a":1,"a":2}`, `{"a":"\\\"","b":[{"c":"}"}]}`, `}}`, `{"a`,
		`[{"x":1},{"x":1}]`, `{"\u0061":1,"a":2}`, "{\"\u212a\":1,\"K\":2}", `{"a":{"a":{"a":1}}}`, `1 2`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, want := CheckRepeats(b), repeatsOracle(b)
		if (got == nil) != (want == nil) {
			t.Fatalf("CheckRepeats(%q) = %v, oracle %v", b, got, want)
		}
	})
}

// repeatsOracle refuses what is not one JSON value, is not Unicode text or
// holds an object repeating a member name, reading b with encoding/json's
// Decoder.
func repeatsOracle(b []byte) error {
	if !json.Valid(b) {
		return errSyntax
	}
	if strictjsontest.Read(b, nil).NotUnicode {
		return ErrNotUnicode
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // a number out of float64's range is still JSON
	type frame struct {
		keys   map[string]bool // nil for an array
		expect bool            // the next string is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			continue
		}
		if k, ok := tok.(string); ok && top != nil && top.keys != nil && top.expect {
			if top.keys[k] {
				return ErrAmbiguous
			}
			top.keys[k], top.expect = true, false
			continue
		}
		if top != nil && top.keys != nil {
			top.expect = true
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{keys: map[string]bool{}, expect: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		}
	}
}
