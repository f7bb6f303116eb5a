package strictjson

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"testing"
)

type (
	r37A struct {
		X int
		Y int `json:"y"`
	}
	r37B struct {
		X int
		Z int
	}
	r37C struct {
		Z int `json:"Z"`
	}
	// Same depth, both untagged: X is neither's. One tagged: Z is
	// r37C's.
	r37Conflicts struct {
		r37A
		r37B
		r37C
	}
	r37Deep struct{ r37Conflicts }
	// Own fields hide promoted ones, whatever the order.
	r37Hide struct {
		r37A
		X string `json:"X"`
	}
	r37Tags struct {
		//lint:ignore SA5008 encoding/json ignores this tag, which is the case
		Apos  int `json:"a'b"`
		Comma int `json:",omitempty"`
		//lint:ignore SA5008 the member named "-"
		Dash   int `json:"-,"`
		Skip   int `json:"-"`
		Spaced int `json:"a b"`
	}
	r37Twice struct {
		r37A
		Inner struct{ r37A } // not embedded: a member of its own
	}
)

// TestReview37SchemaOfFieldNames: the member names SchemaOf gives a
// struct are the ones encoding/json encodes, for embedded structs in
// conflict at one depth, fields hiding promoted ones, and tags it ignores.
func TestReview37SchemaOfFieldNames(t *testing.T) {
	t.Parallel()
	for _, v := range []any{r37Conflicts{}, r37Deep{}, r37Hide{}, r37Tags{Comma: 1}, r37Twice{}} {
		typ := reflect.TypeOf(v)
		t.Run(typ.Name(), func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			want := slices.Sorted(maps.Keys(m))
			got := slices.Sorted(maps.Keys(SchemaOf(typ).fields))
			if !slices.Equal(got, want) {
				t.Fatalf("SchemaOf names %q, encoding/json %q", got, want)
			}
		})
	}
}
