package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// review10Nested is depth levels of opener wrapped around a value and
// closed, a valid document for "[" and `{"a":`.
func review10Nested(opener, closer string, depth int) []byte {
	return []byte(strings.Repeat(opener, depth) + "0" + strings.Repeat(closer, depth))
}

// A document of nothing but '[' made the walk push one frame per byte:
// CheckUnvalidated, which internal/oci runs on a registry's manifest and
// the gate on a request body before any parse, allocated about 1.5 GiB for
// a 4 MiB manifest. The walk now stops at encoding/json's depth limit.
// Not parallel: it measures the process's allocation.
func TestReview10DeepNestingBounded(t *testing.T) {
	schema := SchemaOf(reflect.TypeFor[review9Doc]())
	for name, doc := range map[string][]byte{
		"arrays":  bytes.Repeat([]byte("["), 1<<20),
		"objects": bytes.Repeat([]byte(`{"a":`), 1<<20/5),
		"mixed":   bytes.Repeat([]byte(`[{"image":`), 1<<20/10),
	} {
		for check, run := range map[string]func([]byte) error{
			"CheckUnvalidated":        func(b []byte) error { return CheckUnvalidated(b) },
			"Schema.CheckUnvalidated": schema.CheckUnvalidated,
			"Check":                   func(b []byte) error { return Check(b) },
		} {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			err := run(doc)
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Errorf("%s of %d bytes of %s accepted", check, len(doc), name)
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 8<<20 {
				t.Errorf("%s of %d bytes of %s allocated %d MiB", check, len(doc), name, got>>20)
			}
		}
	}
}

// The bound is encoding/json's own (10000 levels), so the walk refuses
// exactly what every strict parse after it refuses: no valid document
// changes verdict, and the error of a deeper one is a syntax error as the
// fuzz targets expect.
func TestReview10DepthLimitIsEncodingJSONs(t *testing.T) {
	t.Parallel()
	schema := SchemaOf(reflect.TypeFor[review9Doc]())
	for _, o := range [][2]string{{"[", "]"}, {`{"a":`, "}"}} {
		ok, deep := review10Nested(o[0], o[1], maxDepth), review10Nested(o[0], o[1], maxDepth+1)
		if !json.Valid(ok) || json.Valid(deep) {
			t.Fatalf("encoding/json's limit moved: Valid(%d levels) = %v, Valid(%d levels) = %v",
				maxDepth, json.Valid(ok), maxDepth+1, json.Valid(deep))
		}
		for _, err := range []error{Check(ok), CheckUnvalidated(ok), CheckRepeats(ok), schema.Check(ok), schema.CheckUnvalidated(ok)} {
			if err != nil {
				t.Errorf("%s nested %d deep: %v", o[0], maxDepth, err)
			}
		}
		for _, err := range []error{CheckUnvalidated(deep), schema.CheckUnvalidated(deep)} {
			if !errors.Is(err, errInvalid) {
				t.Errorf("%s nested %d deep: %v, want an invalid-JSON error", o[0], maxDepth+1, err)
			}
		}
	}
}

// Inputs an attacker would try that were already handled, pinned here as
// they are checked today (the brief of the tenth review round).
func TestReview10CandidatesHeld(t *testing.T) {
	t.Parallel()
	for doc, refused := range map[string]bool{
		"\ufeff{\"a\":1}":          true, // a BOM: not JSON
		`{"a":1} {"a":2}`:          true, // trailing data
		"{\"a\":1}\u00a0":          true, // NBSP is not JSON whitespace
		"{\u2028\"a\":1}":          true, // nor is U+2028
		`{"a":01}`:                 true, // leading zero
		`{"\u0061":1,"a":2}`:       true, // equal once unescaped
		`{"a\/":1,"a/":2}`:         true,
		`{"\u212a":1,"k":2}`:       true,  // Kelvin sign folds to k
		`{"\u017f":1,"S":2}`:       true,  // long s folds to s
		`{"a":1e999999,"b":-0}`:    false, // numbers are the decoder's to refuse
		`{"a\u0000":1,"a":2}`:      false, // two names to every Unicode reader
		`{"\ufb00":1,"ff":2}`:      false, // full folding only: encoding/json keeps them apart
		` {"a":[1.0,{"b":true}]} `: false,
	} {
		err := Check([]byte(doc))
		if (err != nil) != refused {
			t.Errorf("Check(%q) = %v, want refused %v", doc, err, refused)
		}
	}
}
