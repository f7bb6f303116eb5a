package natskill

import (
	"errors"
	"strings"
	"testing"
)

// TestReview17DecodeMarkQuotesNothing: a bucket value that is not a mark
// is logged with its key and decodeMark's error, which quoted what it
// found (an unknown or repeated member's name, a time as written).
func TestReview17DecodeMarkQuotesNothing(t *testing.T) {
	t.Parallel()
	const c = "CANARY-s3cr3t"
	const base = `"kind":"job","id":"a","reason":"r","by":"b"`
	k := key(KindJob, "a")
	for name, v := range map[string]string{
		"unknown member":  `{` + base + `,"since":"2026-01-01T00:00:00Z","` + c + `":1}`,
		"repeated member": `{` + base + `,"since":"2026-01-01T00:00:00Z","` + c + `":1,"` + c + `":2}`,
		"time":            `{` + base + `,"since":"` + c + `"}`,
		"syntax":          `{` + base + `,"` + c,
	} {
		_, err := decodeMark(k, []byte(v))
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%s: decodeMark = %v, want ErrCorrupt", name, err)
		}
		if strings.Contains(err.Error(), c) {
			t.Errorf("%s: error quotes the value: %q", name, err)
		}
	}
}
