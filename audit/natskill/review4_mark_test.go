package natskill

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
)

// TestReview4DecodeMarkIsUnambiguous: a stored mark is read by every
// replica, and by whatever else reads the bucket. encoding/json kept the
// last of two "until" (or "id") members, read "UNTIL" as "until", and
// dec.More let a stray '}' or ']' after the value through, so a value
// that another reader takes for a lapsed mark (or another id) was a live
// mark to the switch. Each is now an invalid entry (ErrCorrupt: the switch
// fails closed until it is removed).
func TestReview4DecodeMarkIsUnambiguous(t *testing.T) {
	t.Parallel()
	const base = `"kind":"job","reason":"r","by":"b","since":"2026-01-01T00:00:00Z"`
	k := key(KindJob, "a")
	good := `{` + base + `,"id":"a","until":"2099-01-01T00:00:00Z"}`
	if _, err := decodeMark(k, []byte(good)); err != nil {
		t.Fatalf("well-formed mark refused: %v", err)
	}
	for name, v := range map[string]string{
		"until twice":       `{` + base + `,"id":"a","until":"2026-01-02T00:00:00Z","until":"2099-01-01T00:00:00Z"}`,
		"id twice":          `{` + base + `,"id":"b","id":"a"}`,
		"until in capitals": `{` + base + `,"id":"a","UNTIL":"2099-01-01T00:00:00Z"}`,
		"Id":                `{` + base + `,"Id":"a"}`,
		"escaped id twice":  `{` + base + `,"id":"b","\u0069d":"a"}`,
		"stray brace":       `{` + base + `,"id":"a"}}`,
		"stray bracket":     `{` + base + `,"id":"a"}]`,
	} {
		if m, err := decodeMark(k, []byte(v)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: decodeMark = %+v, %v; want ErrCorrupt", name, m, err)
		}
	}
}

// TestReview4MarkRefusesIDNotUTF8: a detector event naming an id that is
// not UTF-8 was stored as JSON with U+FFFD in the id, under the key of
// the id as given; every replica then read a mark stored under another
// key and denied every identity of the fleet. Write now refuses it before
// touching the bucket (the switch here has none: reaching it would panic).
func TestReview4MarkRefusesIDNotUTF8(t *testing.T) {
	t.Parallel()
	const odd = "spiffe://example.org/ci/job\xff"
	m := Mark{Kind: KindJob, Mark: audit.Mark{ID: odd, Reason: "r", By: "b", Since: time.Unix(1, 0)}}
	v, err := encodeMark(m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeMark(key(KindJob, odd), v); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("the stored form of the id still reads back: %v", err)
	}
	s := &Switch{}
	e := audit.Event{
		ID: "d-1", Time: time.Unix(1, 0), Source: "detector", Action: audit.ActionCompromiseDetected,
		Outcome: audit.OutcomeSuccess, Actor: audit.Actor{ID: "falco"},
		Attributes: map[string]string{audit.AttrCompromisedID: odd},
	}
	err = s.Write(t.Context(), e)
	if !errors.Is(err, ErrConfig) || strings.Contains(err.Error(), "\xff") {
		t.Fatalf("Write naming an id that is not UTF-8 = %v, want ErrConfig without the id", err)
	}
}
