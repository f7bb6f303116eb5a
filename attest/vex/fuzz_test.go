package vex_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest/vex"
)

// FuzzParse: Parse never panics, every refusal wraps ErrInvalid, and what it
// accepts is written back (Predicate) to a document it reads the same.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		minimal(`{"vulnerability":{"name":"CVE-1","aliases":["GHSA-1"]},"status":"not_affected","justification":"component_not_present",` + product + `}`),
		minimal(`{"vulnerability":{"name":"CVE-1"},"status":"affected","action_statement":"upgrade","products":[{"@id":"x","hashes":{"sha-256":"` + alpine + `"},"subcomponents":[{"identifiers":{"purl":"pkg:apk/alpine/musl"}}]}]}`),
		stmt(vex.PredicateType, minimal(`{"vulnerability":{"name":"CVE-1"},"status":"fixed"}`)),
		minimal(`{"vulnerability":{"name":"CVE-1"},"status":"fixed","timestamp":"0000-01-01T00:00:00+01:00"}`),
		`{}`, `[`, `{"a":1,"a":2}`,
		// Element floods (strictjson.ErrTooManyElements).
		minimal(strings.Repeat("{},", 1000) + "{}"),
		minimal(`{"vulnerability":{"name":"CVE-1","aliases":[` + strings.Repeat(`"",`, 3000) + `""]},"status":"fixed"}`),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := vex.Parse(b)
		if err != nil {
			if !errors.Is(err, vex.ErrInvalid) {
				t.Fatalf("refusal %v does not wrap ErrInvalid", err)
			}
			return
		}
		out, err := vex.Predicate(*d).PredicateJSON()
		if err != nil {
			t.Fatalf("accepted but cannot write it: %v", err)
		}
		again, err := vex.Parse(out)
		if err != nil {
			t.Fatalf("cannot read what was written: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(again, d) {
			t.Fatalf("round trip changed the document\n got %+v\nwant %+v", again, d)
		}
	})
}

// FuzzParsePURL: ParsePURL never panics, refusals wrap ErrPURL, and a purl
// always matches itself.
func FuzzParsePURL(f *testing.F) {
	for _, s := range []string{
		"pkg:oci/alpine@sha256%3A" + alpine, "pkg:apk/alpine/musl@1.1.20-r4?arch=x86_64&distro=3.9.4",
		"pkg:npm/%40angular/core@1.0.0", "pkg:golang/golang.org/x/net@v0.1.0#http2", "pkg:a/b?x=1&x=2", "pkg:/", "pkg:a/b@",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := vex.ParsePURL(s); err != nil {
			if !errors.Is(err, vex.ErrPURL) {
				t.Fatalf("refusal %v does not wrap ErrPURL", err)
			}
			if vex.MatchPURL(s, s) {
				t.Fatalf("%q does not parse but matched", s)
			}
			return
		}
		if !vex.MatchPURL(s, s) {
			t.Fatalf("%q does not match itself", s)
		}
		// Review 32: the looser rule holds wherever the exact one does.
		if !vex.MayMatchPURL(s, s) {
			t.Fatalf("%q may not name itself", s)
		}
	})
}
