package svr

import (
	"bytes"
	"errors"
	"runtime"
	"strconv"
	"testing"

	"github.com/ztci/ztci/internal/strictjson"
)

// extensionFlood is a predicate of about size bytes of extension members,
// `"https://a/N":0` each, which the specification allows.
func extensionFlood(size int) []byte {
	b := bytes.NewBufferString(`{"verifier":{"id":"https://v"}`)
	for i := 0; b.Len() < size-32; i++ {
		b.WriteString(`,"https://a/`)
		b.WriteString(strconv.Itoa(i))
		b.WriteString(`":0`)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// allocated is the bytes f allocates, in total.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestReview26PredicateMemberFlood: the schema check weighs arrays and
// maps but not the members of the predicate's own objects, which object
// decoded into a map of raw members: a predicate of MaxSize bytes of
// extension members cost about ten times its size before any rule ran.
// Now it is refused as too large, before the map is built.
func TestReview26PredicateMemberFlood(t *testing.T) {
	doc := extensionFlood(MaxSize)
	if _, err := ParsePredicate(doc); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("ParsePredicate: %v, want ErrTooLarge", err)
	}
	var err error
	got := allocated(func() { _, err = object("predicate", doc, "verifier") })
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("object: %v, want ErrTooLarge", err)
	}
	if limit := uint64(len(doc)); got > limit {
		t.Fatalf("object allocated %d bytes for a %d-byte predicate, want at most %d", got, len(doc), limit)
	}
}

// TestReview26PredicateFewExtensions: extension members within the budget
// are still read (and ignored), whatever their names hold.
func TestReview26PredicateFewExtensions(t *testing.T) {
	doc := []byte(`{"verifier":{"id":"https://v","https://x/\\\"{[:":{"a":[1,{"b":2}]}},"https://e/1":"x:y","https://e/2":[{"c":3}]}`)
	m, err := object("predicate", doc, "verifier")
	if err != nil || len(m) != 3 {
		t.Fatalf("object: %d members, %v", len(m), err)
	}
	if !strictjson.TooManyMembers(extensionFlood(MaxSize)) || strictjson.TooManyMembers(doc) {
		t.Fatal("TooManyMembers misjudged")
	}
}
