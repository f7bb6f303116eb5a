package strictjson_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/ztci/ztci/internal/strictjson"
	"github.com/ztci/ztci/internal/strictjson/strictjsontest"
)

// review37Big is what a pointer member may point at: 4 KiB allocated for
// `{}`.
type review37Big struct{ A [4096]byte }

type review37Ptr struct {
	P *review37Big    `json:"p"`
	M map[string]bool `json:"m"`
}

type review37Inner struct{ Z [2048]byte }

type review37Embed struct {
	*review37Inner
	Q int `json:"q"`
}

type review37Doc struct {
	Annotations map[string]any  `json:"annotations"`
	Any         any             `json:"any"`
	Ptrs        []review37Ptr   `json:"ptrs"`
	Embeds      []review37Embed `json:"embeds"`
	Raw         json.RawMessage `json:"raw"`
	Tags        []string        `json:"tags"`
}

// review37Repeat is `{"<member>":[elem,elem,…]}` of n elements, or, with
// object, `{"<member>":{"k0":elem,"k1":elem,…}}`.
func review37Repeat(member, elem string, n int, object bool) []byte {
	var b bytes.Buffer
	b.WriteString(`{"` + member + `":`)
	open, end := "[", "]"
	if object {
		open, end = "{", "}"
	}
	b.WriteString(open)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		if object {
			b.WriteString(`"` + strconv.FormatInt(int64(i), 36) + `":`)
		}
		b.WriteString(elem)
	}
	b.WriteString(end + "}")
	return b.Bytes()
}

// TestReview37BudgetAllocations: CheckBounded promised that what decoding
// allocates for what it accepts is a small multiple of the document, but
// it weighed neither what a member of pointer or map type allocates when
// present (`[{"p":{}},…]` allocated the pointer's target, 4 KiB, per 9
// bytes: 460 times the document), nor the objects decoded into an
// interface (`[{"a":0},…]` inside annotations: a map per 8 bytes, 53
// times; `{"a":0,"b":0,…}` there: 17 times). Every hostile document here
// is refused with ErrTooManyElements, every ordinary one accepted, and
// whatever is accepted decodes within 16 times its size (plus 1 MiB).
//
// Not parallel: it measures allocations.
func TestReview37BudgetAllocations(t *testing.T) {
	schema := strictjson.SchemaOf(reflect.TypeFor[review37Doc]())
	const n = 1 << 16
	word := `"` + strings.Repeat("w", 40) + `"`
	for _, tt := range []struct {
		name string
		doc  []byte
		ok   bool
	}{
		{"pointer members", review37Repeat("ptrs", `{"p":{}}`, n/8, false), false},
		{"pointer members given a number", review37Repeat("ptrs", `{"p":1}`, n/8, false), false},
		{"empty maps, within a member's allowance", review37Repeat("ptrs", `{"m":{}}`, n, false), true},
		{"null pointer members", review37Repeat("ptrs", `{"p":null,"m":null}`, n, false), true},
		{"embedded pointers", review37Repeat("embeds", `{"q":1}`, n/8, false), false},
		{"objects in an interface's array", []byte(`{"annotations":{"x":` + string(review37Repeat("x", `{"a":0}`, n, false)) + `}}`), false},
		{"members of an interface's object", []byte(`{"any":` + string(review37Repeat("x", `0`, n, true)) + `}`), false},
		{"objects in an interface", review37Repeat("any", `{}`, n, false), false},
		{"strings in an interface", review37Repeat("any", word, n, false), true},
		{"words in an interface's object", []byte(`{"any":` + string(review37Repeat("x", word, n, true)) + `}`), true},
		{"objects in a raw message cost a copy", []byte(`{"raw":` + string(review37Repeat("x", `{"a":0}`, n, true)) + `}`), true},
		{"objects in an unknown member are skipped", []byte(`{"other":` + string(review37Repeat("x", `{"a":0}`, n, true)) + `}`), true},
		{"strings", review37Repeat("tags", word, n, false), true},
		{"pointer members with text", review37Repeat("ptrs", `{"p":null,"m":{"`+strings.Repeat("k", 80)+`":true}}`, n/4, false), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := schema.Check(tt.doc); err != nil {
				t.Fatalf("Check: %v", err)
			}
			err := schema.CheckBounded(tt.doc)
			if err != nil && !errors.Is(err, strictjson.ErrTooManyElements) {
				t.Fatalf("CheckBounded = %v, want nil or ErrTooManyElements", err)
			}
			if tt.ok != (err == nil) {
				t.Fatalf("CheckBounded = %v, want ok %v", err, tt.ok)
			}
			if err != nil {
				return
			}
			got := strictjsontest.Allocated(func() {
				var d review37Doc
				_ = json.Unmarshal(tt.doc, &d)
			})
			if limit := 16*uint64(len(tt.doc)) + 1<<20; got > limit {
				t.Fatalf("accepted %d bytes that decode to %d (more than %d)", len(tt.doc), got, limit)
			}
		})
	}
}

// FuzzReview37CheckBounded: on a type with pointers, maps, interfaces,
// embedded struct pointers and raw messages, CheckBounded never panics,
// accepts only what Check accepts, and refuses what Check accepts only
// with ErrTooManyElements.
func FuzzReview37CheckBounded(f *testing.F) {
	for _, s := range [][]byte{
		review37Repeat("ptrs", `{"p":{},"m":{"a":true}}`, 1<<10, false),
		review37Repeat("embeds", `{"q":1}`, 1<<8, false),
		[]byte(`{"annotations":{"x":[{"a":0},[1,"s",true,null]]},"any":{"k":{"j":[]}}}`),
		[]byte(`{"raw":{"a":[{}]},"tags":["x"],"ptrs":[{"p":null,"m":null}]}`),
		[]byte(`{"any":[ 1 , "x" , { } , [ ] ]}`), []byte(`{"ptrs":[{"p" : 1}]}`), []byte(`[`),
	} {
		f.Add(s)
	}
	schema := strictjson.SchemaOf(reflect.TypeFor[review37Doc]())
	f.Fuzz(func(t *testing.T, b []byte) {
		bounded, plain := schema.CheckBounded(b), schema.Check(b)
		switch {
		case bounded == nil && plain != nil:
			t.Fatalf("CheckBounded accepted what Check refuses: %v", plain)
		case bounded != nil && plain == nil && !errors.Is(bounded, strictjson.ErrTooManyElements):
			t.Fatalf("CheckBounded refused what Check accepts: %v", bounded)
		}
	})
}
