package strictjson_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ztci/ztci/internal/strictjson"
)

type review24Doc struct {
	Items []struct {
		A, B, C string
	} `json:"items"`
	Tags  []string          `json:"tags"`
	Annos map[string]string `json:"annos"`
}

var review24Schema = strictjson.SchemaOf(reflect.TypeFor[review24Doc]())

func review24Array(member, elem string, n int) []byte {
	return []byte(`{"` + member + `":[` + strings.TrimSuffix(strings.Repeat(elem+",", n), ",") + `]}`)
}

// TestReview24CheckBounded: decoding `[{},{},…]` into a slice of structs
// allocates the struct's size (and more, as the slice grows) per three
// input bytes. CheckBounded weighs every array element and map member by
// its Go type and refuses, with ErrTooManyElements, a document whose
// weights pass twice its length plus 64 KiB; Check does not.
func TestReview24CheckBounded(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		doc  []byte
		ok   bool
	}{
		{"structs of 48 bytes, 3 input bytes each", review24Array("items", "{}", 1<<16), false},
		{"structs with their members", review24Array("items", `{"A":"aaaaaaaa","B":"bbbbbbbb","C":"cccccccc"}`, 1<<16), true},
		{"empty strings", review24Array("tags", `""`, 1<<16), false},
		{"free-form array of zeros", review24Array("other", "0", 1<<16), false},
		{"free-form array of words", review24Array("other", `"abcdefgh"`, 1<<16), true},
		{"empty arrays cost nothing", review24Array("other", `{"x":[],"y":[]}`, 1<<16), true},
		{"small documents are not judged", review24Array("items", "{}", 1000), true},
		{"map members", []byte(`{"annos":{` + review24Members(1<<15) + `}}`), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := review24Schema.Check(tt.doc); err != nil {
				t.Fatalf("Check: %v", err)
			}
			err := review24Schema.CheckBounded(tt.doc)
			if tt.ok != (err == nil) || (err != nil && !errors.Is(err, strictjson.ErrTooManyElements)) {
				t.Fatalf("CheckBounded = %v, want ok %v or ErrTooManyElements", err, tt.ok)
			}
		})
	}
}

func review24Members(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + strings.Repeat("k", 1) + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676%26)) + string(rune('a'+i/17576%26)) + `":""`)
	}
	return b.String()
}

// FuzzReview24CheckBounded: CheckBounded never panics, accepts only what
// Check accepts, and refuses what Check accepts only with
// ErrTooManyElements.
func FuzzReview24CheckBounded(f *testing.F) {
	for _, s := range [][]byte{
		review24Array("items", "{}", 1<<14),
		review24Array("tags", `""`, 1<<13),
		review24Array("other", "[]", 1<<13),
		[]byte(`{"annos":{` + review24Members(1<<12) + `}}`),
		[]byte(`{"items":[{"A":"x"}],"tags":[],"annos":{"a":"b"}}`),
		[]byte(`[[[]]]`), []byte(`{"items":[`), []byte(`"x"`),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		bounded, plain := review24Schema.CheckBounded(b), review24Schema.Check(b)
		switch {
		case bounded == nil && plain != nil:
			t.Fatalf("CheckBounded accepted what Check refuses: %v", plain)
		case bounded != nil && plain == nil && !errors.Is(bounded, strictjson.ErrTooManyElements):
			t.Fatalf("CheckBounded refused what Check accepts: %v", bounded)
		}
	})
}
