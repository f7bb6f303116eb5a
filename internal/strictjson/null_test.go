package strictjson_test

import (
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
