package attest

import (
	"encoding/json"
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
		s, err := ParseStatement(b)
		if err != nil {
			if s != nil {
				t.Fatal("statement returned with error")
			}
			if !errors.Is(err, ErrInvalidStatement) {
				t.Fatalf("error outside the hierarchy: %v", err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("parsed statement does not validate: %v", err)
		}
		out, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		s2, err := ParseStatement(out)
		if err != nil {
			t.Fatalf("re-encoded statement rejected: %v\n%s", err, out)
		}
		if s2.Type != s.Type || s2.PredicateType != s.PredicateType || len(s2.Subject) != len(s.Subject) {
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
