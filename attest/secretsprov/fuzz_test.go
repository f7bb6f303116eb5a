package secretsprov_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest/secretsprov"
)

// FuzzParse: Parse never panics, every refusal wraps ErrInvalid, and what
// it accepts writes back (PredicateJSON) to a document it reads the same.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{cred(""), cred(`,"LeaseID":"x"`), cred(`,"revokedOn":"2026-12-05T07:00:00Z"`),
		strings.Replace(cred(""), `"prod/x"`, `"prod/x\u0085"`, 1), strings.Replace(cred(""), `"vault"`, `"vault\u009b31m"`, 1), // Review 37: C1 controls
		`{"job":{},"credentials":[null]}`, `{"job":null}`, `{}`, `[`, `{"a":1,"a":2}`,
		// Review 32: an element flood, refused before decoding.
		`{"job":{"id":"j","identity":"i","ref":"r","refProtected":true},"credentials":[` + strings.Repeat("{},", 30000) + `{}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := secretsprov.Parse(b)
		if err != nil {
			if !errors.Is(err, secretsprov.ErrInvalid) {
				t.Fatalf("refusal %v does not wrap ErrInvalid", err)
			}
			return
		}
		out, err := p.PredicateJSON()
		if err != nil {
			t.Fatalf("accepted %q but cannot write it: %v", b, err)
		}
		again, err := secretsprov.Parse(out)
		if err != nil {
			t.Fatalf("cannot read back %s: %v", out, err)
		}
		if !reflect.DeepEqual(normalize(again), normalize(p)) {
			t.Fatalf("round trip changed %+v into %+v", p, again)
		}
	})
}
