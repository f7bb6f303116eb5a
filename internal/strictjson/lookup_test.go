package strictjson

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestLookup(t *testing.T) {
	t.Parallel()
	doc := []byte(` {"a" : {"b":[1,{"x":"}"}],"c" : "v\"}","d":{"e":null}, "n": -1.5e3 },"\u0066":true}`)
	tests := []struct {
		path []string
		want string // "" for not found
	}{
		{[]string{"a", "b"}, `[1,{"x":"}"}]`},
		{[]string{"a", "c"}, `"v\"}"`},
		{[]string{"a", "d", "e"}, `null`},
		{[]string{"a", "n"}, `-1.5e3`},
		{[]string{"f"}, `true`},
		{nil, ` {"a"`[1:]},
		{[]string{"A"}, ""},
		{[]string{"a", "b", "x"}, ""}, // an array is not an object
		{[]string{"a", "zz"}, ""},
	}
	for _, tt := range tests {
		got, ok := Lookup(doc, tt.path...)
		if tt.path == nil {
			if !ok || !bytes.HasPrefix(got, []byte(tt.want)) || !json.Valid(got) {
				t.Errorf("Lookup() = %s, %v", got, ok)
			}
			continue
		}
		if ok != (tt.want != "") || string(got) != tt.want {
			t.Errorf("Lookup(%q) = %s, %v; want %s", tt.path, got, ok, tt.want)
		}
	}
	if v, ok := Lookup([]byte(`{"a":1,"a":2}`), "a"); !ok || string(v) != "1" {
		t.Errorf("repeated member: %s, %v; want the first", v, ok)
	}
}

// On a document Check accepts, Lookup finds what encoding/json finds
// member by member; on any input it does not panic.
func FuzzLookup(f *testing.F) {
	f.Add([]byte(`{"dsseEnvelope":{"payloadType":"application/vnd.in-toto+json","payload":"e30="}}`), "dsseEnvelope", "payload")
	f.Add([]byte(`{"predicate":{"verifier":{"id":"https://gates.example/a"}},"predicateType":"x"}`), "predicate", "verifier")
	f.Add([]byte(`{"a":[{"b":"]"}],"b":{"\u0063":1}}`), "b", "c")
	f.Add([]byte(`{"a":{"a":{"a":"a"}}}`), "a", "a")
	f.Add([]byte(`{"a" :1 , "b":  2}`), "b", "")
	f.Fuzz(func(t *testing.T, b []byte, first, second string) {
		for _, path := range [][]string{{first}, {first, second}} {
			got, ok := Lookup(b, path...)
			if !json.Valid(b) || Check(b) != nil {
				continue
			}
			want, wantOK := decodePath(b, path)
			if ok != wantOK || (ok && !bytes.Equal(got, want)) {
				t.Fatalf("Lookup(%s, %q) = %s, %v; encoding/json finds %s, %v", b, path, got, ok, want, wantOK)
			}
		}
	})
}

// decodePath is Lookup by encoding/json: exact member names, which a
// document Check accepts makes unambiguous.
func decodePath(b []byte, path []string) ([]byte, bool) {
	v := json.RawMessage(b)
	for _, name := range path {
		var m map[string]json.RawMessage
		if json.Unmarshal(v, &m) != nil || m == nil {
			return nil, false
		}
		var ok bool
		if v, ok = m[name]; !ok {
			return nil, false
		}
	}
	return bytes.TrimSpace(v), true
}
