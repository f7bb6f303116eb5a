package strictjson_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/ztci/ztci/internal/strictjson"
	"github.com/ztci/ztci/internal/strictjson/strictjsontest"
)

type review27Doc struct {
	Type string         `json:"_type"`
	Pred map[string]any `json:"predicate"`
}

var review27Schema = strictjson.SchemaOf(reflect.TypeFor[review27Doc]())

// TestReview27MembersFloodMemory: the duplicate check of one object of
// hundreds of thousands of distinct members kept every name, copied and
// case-folded, in a map: about 20 times the document. It must stay within
// a few times the document's size, for every entry point, at the top level
// and nested. Not parallel: it measures allocations.
func TestReview27MembersFloodMemory(t *testing.T) {
	const size = 4 << 20 // the figures are the same at 12 MiB
	top := strictjsontest.MemberFlood(`{"_type":"x"`, "https://example.com/m", size)
	nested := append(append([]byte(`{"predicate":`), strictjsontest.MemberFlood(`{"a":1`, "m", size)...), '}')
	for _, tt := range []struct {
		name  string
		check func([]byte) error
	}{
		{"Check", func(b []byte) error { return strictjson.Check(b) }},
		{"CheckRepeats", strictjson.CheckRepeats},
		{"Schema.CheckBounded", func(b []byte) error {
			if err := review27Schema.CheckBounded(b); err != nil && !errors.Is(err, strictjson.ErrTooManyElements) {
				return err
			}
			return nil
		}},
	} {
		for _, doc := range []struct {
			name string
			b    []byte
		}{{"top", top}, {"nested", nested}} {
			var err error
			n := strictjsontest.Allocated(func() { err = tt.check(doc.b) })
			if err != nil {
				t.Fatalf("%s %s: %v", tt.name, doc.name, err)
			}
			t.Logf("%s %s: %d bytes allocated for %d (%.1fx)", tt.name, doc.name, n, len(doc.b), float64(n)/float64(len(doc.b)))
			if n > 4*uint64(len(doc.b)) {
				t.Errorf("%s %s: %d bytes allocated for a %d-byte document, want at most 4x", tt.name, doc.name, n, len(doc.b))
			}
		}
	}
}

// review27Large is an object of n members "mI":0 with extra spliced in
// after member at, so that its names are compared as a large object's.
func review27Large(n, at int, extra string) []byte {
	var b strings.Builder
	b.WriteByte('{')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"m` + strconv.Itoa(i) + `":0`)
		if i == at {
			b.WriteString(extra)
		}
	}
	b.WriteByte('}')
	return []byte(b.String())
}

// TestReview27LargeObjectCollisions: a large object's names, compared by
// sorting when it closes, are refused exactly as when they were compared
// as read: the same member (the earliest that collides) and the name it
// collides with, escapes decoded and Unicode folding applied, and before
// any later refusal of the walk.
func TestReview27LargeObjectCollisions(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name        string
		doc         []byte
		exact       bool
		path        string
		member, was string // "" : accepted
	}{
		{name: "distinct", doc: review27Large(500, 0, "")},
		{name: "exact repeat", doc: review27Large(500, 300, `,"m7":1`), member: "m7", was: "m7"},
		{name: "escaped repeat", doc: review27Large(500, 300, `,"\u006d7":1`), member: "m7", was: "m7"},
		{name: "case variant", doc: review27Large(500, 300, `,"M7":1`), member: "M7", was: "m7"},
		{name: "case variant, exact", doc: review27Large(500, 300, `,"M7":1`), exact: true},
		{name: "Kelvin sign", doc: review27Large(500, 300, `,"k":1,"\u212a":2`), member: "K", was: "k"},
		{name: "earliest of two repeats", doc: review27Large(500, 100, `,"m50":1,"m3":1`), member: "m50", was: "m50"},
		{name: "earliest repeat of three", doc: review27Large(500, 400, `,"m9":1,"m9":2`), member: "m9", was: "m9"},
		{name: "before a later repeat in a child", doc: review27Large(500, 100, `,"m5":1,"c":{"x":1,"x":2}`), member: "m5", was: "m5"},
		{name: "before a later lone surrogate", doc: review27Large(500, 100, `,"m5":1,"s":"\ud800"`), member: "m5", was: "m5"},
		{name: "nested", doc: append(append([]byte(`{"a":[1,`), review27Large(500, 250, `,"m1":1`)...), "]}"...), path: "/a/1", member: "m1", was: "m1"},
		{name: "nested after a closed large sibling", doc: append(append(append([]byte(`{"a":`), review27Large(100, 0, "")...), `,"b":`...), append(review27Large(100, 50, `,"A":1,"a":2`), '}')...), path: "/b", member: "a", was: "A"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			check := strictjson.Check
			if tt.exact {
				check = func(b []byte, _ ...string) error { return strictjson.CheckRepeats(b) }
			}
			err := check(tt.doc)
			if tt.member == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var me *strictjson.MemberError
			if !errors.As(err, &me) || !errors.Is(err, strictjson.ErrAmbiguous) {
				t.Fatalf("err = %v, want a *MemberError", err)
			}
			if me.Path != tt.path || me.Name != tt.member || me.Other != tt.was {
				t.Fatalf("refused %q (was %q) at %q, want %q (was %q) at %q", me.Name, me.Other, me.Path, tt.member, tt.was, tt.path)
			}
		})
	}
}

// TestReview27LargeObjectsAgainstPairwise: on objects of 30 to 120
// members drawn from names that collide in every way (exactly, in case,
// through escapes, under Unicode folding), Check and CheckRepeats refuse
// exactly the member a comparison of every name with all before it
// refuses, naming the first name it collides with.
func TestReview27LargeObjectsAgainstPairwise(t *testing.T) {
	t.Parallel()
	raws := []string{`a`, `A`, `\u0061`, `b`, `k`, `K`, `\u212a`, `\u212A`, `ſ`, `s`, `S`, `é`, `É`, `\u00e9`, `x\"y`, `X\"Y`, `\/`, `/`}
	for seed := range 400 {
		r := uint64(seed)*0x9E3779B97F4A7C15 + 1
		next := func(n int) int { r ^= r << 13; r ^= r >> 7; r ^= r << 17; return int(r % uint64(n)) }
		n := 30 + next(90)
		var b strings.Builder
		var names []string
		b.WriteByte('{')
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			raw := "u" + strconv.Itoa(i)
			if next(8) == 0 {
				raw = raws[next(len(raws))]
			}
			b.WriteString(`"` + raw + `":0`)
			var s string
			if err := json.Unmarshal([]byte(`"`+raw+`"`), &s); err != nil {
				t.Fatal(err)
			}
			names = append(names, s)
		}
		b.WriteByte('}')
		doc := []byte(b.String())
		for _, exact := range []bool{false, true} {
			same := strings.EqualFold
			err := strictjson.Check(doc)
			if exact {
				same = func(x, y string) bool { return x == y }
				err = strictjson.CheckRepeats(doc)
			}
			wantName, wantOther := "", ""
		find:
			for i, x := range names {
				for _, y := range names[:i] {
					if same(x, y) {
						wantName, wantOther = x, y
						break find
					}
				}
			}
			var me *strictjson.MemberError
			switch {
			case wantName == "" && err != nil:
				t.Fatalf("seed %d exact %v: %s refused: %v", seed, exact, doc, err)
			case wantName == "":
			case !errors.As(err, &me) || me.Name != wantName || me.Other != wantOther:
				t.Fatalf("seed %d exact %v: %s: %v, want %q colliding with %q", seed, exact, doc, err, wantName, wantOther)
			}
		}
	}
}
