package svr

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/internal/strictjson"
	"github.com/ztci/ztci/internal/strictjson/strictjsontest"
)

// TestReview26PredicateMemberFlood: the schema check weighs arrays and
// maps but not the members of the predicate's own objects, which object
// decoded into a map of raw members: a predicate of MaxSize bytes of
// extension members cost about ten times its size before any rule ran.
// Now it is refused as too large, before the map is built.
func TestReview26PredicateMemberFlood(t *testing.T) {
	doc := strictjsontest.MemberFlood(`{"verifier":{"id":"https://v"}`, "https://a/", MaxSize)
	if _, err := ParsePredicate(doc); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("ParsePredicate: %v, want ErrTooLarge", err)
	}
	var err error
	got := strictjsontest.Allocated(func() { _, err = object("predicate", doc, "verifier") })
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
	if !strictjson.TooManyMembers(strictjsontest.MemberFlood(`{"verifier":{"id":"https://v"}`, "https://a/", MaxSize)) || strictjson.TooManyMembers(doc) {
		t.Fatal("TooManyMembers misjudged")
	}
}
