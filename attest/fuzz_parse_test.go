package attest

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
)

// addValidateCases seeds f with the in-toto validation vectors of one kind.
func addValidateCases(f *testing.F, kind string) {
	f.Helper()
	for _, c := range inTotoCases(f) {
		if c.Type == kind {
			f.Add([]byte(c.JSON))
		}
	}
}

// parseProperty is what every parse target of the package checks: a
// refusal returns nil and an error under one of sentinels, and what
// is accepted validates and is accepted again once re-encoded. It returns
// both parses (nil, nil for a refusal) for the target's own comparisons.
func parseProperty[T any, P interface {
	*T
	Validate() error
}](t *testing.T, b []byte, parse func([]byte) (P, error), sentinels ...error) (first, again P) {
	t.Helper()
	first, err := parse(b)
	if err != nil {
		if first != nil {
			t.Fatalf("%T returned with an error", first)
		}
		if !slices.ContainsFunc(sentinels, func(s error) bool { return errors.Is(err, s) }) {
			t.Fatalf("error outside %v: %v", sentinels, err)
		}
		return nil, nil
	}
	if err := first.Validate(); err != nil {
		t.Fatalf("parsed %T does not validate: %v", first, err)
	}
	out, err := json.Marshal(first)
	if err != nil {
		t.Fatal(err)
	}
	if again, err = parse(out); err != nil {
		t.Fatalf("re-encoded %T rejected: %v\n%s", first, err, out)
	}
	return first, again
}

func FuzzParseProvenance(f *testing.F) {
	addValidateCases(f, "SLSAProvenanceV1Predicate")
	f.Add([]byte(`{"buildDefinition":{"buildType":"x","externalParameters":{}},"runDetails":{"builder":{"id":"x"},"metadata":{"startedOn":"2026-01-02T00:00:00Z","finishedOn":"2026-01-01T00:00:00Z"}}}`))
	f.Add([]byte(`{"buildDefinition":{},"buildDefinition":{}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, again := parseProperty(t, b, ParseProvenance, ErrInvalidPredicate, ErrInvalidStatement, ErrInvalidDigest)
		if p != nil && again.BuildDefinition.BuildType != p.BuildDefinition.BuildType {
			t.Fatal("round trip changed the provenance")
		}
	})
}

func FuzzParseResourceDescriptor(f *testing.F) {
	addValidateCases(f, "ResourceDescriptor")
	f.Add([]byte(`{"name":"a","digest":{"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}`))
	f.Add([]byte(`{"uri":"https://example.com","digest":{"sha256":"E3B0"}}`))
	f.Add([]byte(`{"name":"a","Name":"b"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rd, again := parseProperty(t, b, ParseResourceDescriptor, ErrInvalidStatement, ErrInvalidDigest)
		if rd != nil && (again.Name != rd.Name || again.URI != rd.URI || len(again.Digest) != len(rd.Digest)) {
			t.Fatal("round trip changed the descriptor")
		}
	})
}
