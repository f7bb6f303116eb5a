package attest

import (
	"errors"
	"testing"
)

func FuzzParseStatement(f *testing.F) {
	f.Add([]byte(validStatement))
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"x","predicate":{}}`))
	f.Add([]byte(`{"_type":"x","_type":"y"}`))
	for _, c := range inTotoCases(f) {
		f.Add([]byte(c.JSON))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, again := parseProperty(t, b, ParseStatement, ErrInvalidStatement)
		if s != nil && (again.Type != s.Type || again.PredicateType != s.PredicateType || len(again.Subject) != len(s.Subject)) {
			t.Fatal("round trip changed the statement")
		}
	})
}

func FuzzParseDigest(f *testing.F) {
	for _, s := range []string{
		"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"gitCommit:a1234567b1234567c1234567d1234567e1234567",
		"sha512:", ":", "md4:00", "sha256:E3B0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDigest(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidDigest) {
				t.Fatalf("error outside the hierarchy: %v", err)
			}
			return
		}
		if d.String() != s {
			t.Fatalf("String() = %q, want %q", d.String(), s)
		}
		if err := d.Set().Validate(); err != nil {
			t.Fatalf("parsed digest does not validate as a set: %v", err)
		}
	})
}
