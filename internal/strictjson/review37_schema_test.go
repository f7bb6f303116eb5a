package strictjson_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ztci/ztci/internal/strictjson"
)

type review37Named struct {
	Name string `json:"name"`
}

type review37Shadow struct {
	Items []review37Named `json:"items"`
}

// review37Outer's own items hide the embedded struct's, as encoding/json
// has it: the document's items are review37Named structs whichever field
// comes first.
type review37Outer struct {
	Items []review37Named `json:"items"`
	review37Shadowed
}

type review37Shadowed struct {
	Items any `json:"items"`
}

type review37Tags struct {
	//lint:ignore SA5008 not a valid tag name: encoding/json calls it Quoted
	Quoted string `json:"it's"`
}

type review37Loop struct {
	//lint:ignore U1000 read by reflection
	*review37Loop
	A string `json:"a"`
}

type review37Self *review37Self

// TestReview37SchemaOfNames: SchemaOf gave a member the schema of the last
// field of its name, where encoding/json decodes into the shallowest (a
// struct's own field hides an embedded struct's): the members of the
// decoded field were then free-form, so "NAME", which encoding/json reads
// as name, passed, and their elements weighed 16 bytes whatever they
// were. It kept a tag encoding/json ignores as invalid, and looped
// forever on a struct embedding a pointer to itself, and on a pointer
// type to itself. Its names are now encoding/json's.
func TestReview37SchemaOfNames(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		typ  reflect.Type
		doc  string
	}{
		{"own field hides the embedded one", reflect.TypeFor[review37Outer](), `{"items":[{"NAME":"x"}]}`},
		{"embedded one alone", reflect.TypeFor[review37Shadow](), `{"items":[{"NAME":"x"}]}`},
		{"invalid tag", reflect.TypeFor[review37Tags](), `{"QUOTED":"x"}`},
		{"embedded pointer to itself", reflect.TypeFor[review37Loop](), `{"A":"x"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// encoding/json reads the case variant into the field.
			v := reflect.New(tt.typ)
			if err := json.Unmarshal([]byte(tt.doc), v.Interface()); err != nil || !strings.Contains(jsonOf(t, v.Interface()), `"x"`) {
				t.Fatalf("encoding/json does not read %s as the field: %v", tt.doc, err)
			}
			var member *strictjson.MemberError
			if err := strictjson.SchemaOf(tt.typ).Check([]byte(tt.doc)); !errors.As(err, &member) {
				t.Fatalf("Check(%s) = %v, want a *MemberError", tt.doc, err)
			}
		})
	}
	if s := strictjson.SchemaOf(reflect.TypeFor[review37Self]()); s != nil {
		t.Fatalf("SchemaOf of a pointer to itself = %v, want free-form", s)
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReview37SchemaOfHiddenWeight: the elements of a member whose field
// hides an embedded struct's are weighed by the field's type.
func TestReview37SchemaOfHiddenWeight(t *testing.T) {
	t.Parallel()
	type big struct{ A [1024]byte }
	type shadowed struct {
		Items any `json:"items"`
	}
	type outer struct {
		Items []big `json:"items"`
		shadowed
	}
	doc := review37Repeat("items", "{          }", 1<<14, false) // 16 bytes of weight free-form, 1 KiB as big
	if err := strictjson.SchemaOf(reflect.TypeFor[outer]()).CheckBounded(doc); !errors.Is(err, strictjson.ErrTooManyElements) {
		t.Fatalf("CheckBounded = %v, want ErrTooManyElements", err)
	}
}
