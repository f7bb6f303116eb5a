package attest

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"testing"
)

// A signed statement of `"subject":[{},{},…]` is refused before it is
// decoded, for a few times its size at most.
func TestReview25StatementElementFlood(t *testing.T) {
	flood := bytes.Repeat([]byte("{},"), 8<<20/3)
	doc := []byte(`{"_type":"https://in-toto.io/Statement/v1","predicateType":"p","predicate":{},"subject":[`)
	doc = append(append(doc, flood...), `{}]}`...)
	for name, parse := range map[string]func() error{
		"statement": func() error { _, err := ParseStatement(doc); return err },
		"descriptor": func() error {
			_, err := ParseResourceDescriptor([]byte(`{"name":"x","annotations":{"a":[` + strings.Repeat("{},", 8<<20/3) + `{}]}}`))
			return err
		},
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		err := parse()
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("%s: err = %v, want ErrTooLarge", name, err)
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > 4*uint64(len(doc)) {
			t.Errorf("%s: allocated %d bytes for a %d-byte document", name, got, len(doc))
		}
	}
}
