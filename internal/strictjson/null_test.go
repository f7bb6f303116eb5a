package strictjson_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/ztci/ztci/internal/strictjson"
)

func TestHasNull(t *testing.T) {
	for doc, want := range map[string]bool{
		`{"a":null}`:               true,
		`[1,[{"b":[null]}]]`:       true,
		`null`:                     true,
		`{"null":"n\"ull"}`:        false,
		`{"a":"\\","b":"nn"}`:      false,
		`{"a":"x\\\"null"}`:        false,
		`{"a":true,"b":false}`:     false,
		`{"a":"\u006eull","b":[]}`: false,
	} {
		if got := strictjson.HasNull([]byte(doc)); got != want {
			t.Errorf("HasNull(%s) = %v, want %v", doc, got, want)
		}
	}
}

// FuzzHasNull compares HasNull with a walk of what encoding/json decodes,
// on every valid JSON document without repeated members.
func FuzzHasNull(f *testing.F) {
	for _, s := range []string{`{"a":null}`, `{"null":"n\"ull"}`, `[1,"\\",null]`, `{"a":"\u006eull"}`, `"x"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v any
		if strictjson.Check(b) != nil || json.Unmarshal(b, &v) != nil {
			return // HasNull's contract starts at valid JSON; a repeated member would hide a null from the walk
		}
		if got, want := strictjson.HasNull(b), holdsNull(v); got != want {
			t.Fatalf("HasNull(%s) = %v, want %v", b, got, want)
		}
	})
}

func holdsNull(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case []any:
		return slices.ContainsFunc(v, holdsNull)
	case map[string]any:
		for _, e := range v {
			if holdsNull(e) {
				return true
			}
		}
	}
	return false
}
