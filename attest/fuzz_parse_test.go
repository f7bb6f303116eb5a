package attest

import (
	"encoding/json"
	"errors"
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

// inHierarchy reports whether err wraps one of the parse sentinels.
func inHierarchy(err error) bool {
	return errors.Is(err, ErrInvalidStatement) || errors.Is(err, ErrInvalidDigest) || errors.Is(err, ErrInvalidPredicate)
}

func FuzzParseProvenance(f *testing.F) {
	addValidateCases(f, "SLSAProvenanceV1Predicate")
	f.Add([]byte(`{"buildDefinition":{"buildType":"x","externalParameters":{}},"runDetails":{"builder":{"id":"x"},"metadata":{"startedOn":"2026-01-02T00:00:00Z","finishedOn":"2026-01-01T00:00:00Z"}}}`))
	f.Add([]byte(`{"buildDefinition":{},"buildDefinition":{}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseProvenance(b)
		if err != nil {
			if p != nil {
				t.Fatal("provenance returned with an error")
			}
			if !inHierarchy(err) {
				t.Fatalf("error outside the hierarchy: %v", err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("parsed provenance does not validate: %v", err)
		}
		out, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseProvenance(out); err != nil {
			t.Fatalf("re-encoded provenance rejected: %v\n%s", err, out)
		}
	})
}

func FuzzParseResourceDescriptor(f *testing.F) {
	addValidateCases(f, "ResourceDescriptor")
	f.Add([]byte(`{"name":"a","digest":{"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}`))
	f.Add([]byte(`{"uri":"https://example.com","digest":{"sha256":"E3B0"}}`))
	f.Add([]byte(`{"name":"a","Name":"b"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rd, err := ParseResourceDescriptor(b)
		if err != nil {
			if rd != nil {
				t.Fatal("descriptor returned with an error")
			}
			if !inHierarchy(err) {
				t.Fatalf("error outside the hierarchy: %v", err)
			}
			return
		}
		if err := rd.Validate(); err != nil {
			t.Fatalf("parsed descriptor does not validate: %v", err)
		}
		out, err := json.Marshal(rd)
		if err != nil {
			t.Fatal(err)
		}
		rd2, err := ParseResourceDescriptor(out)
		if err != nil {
			t.Fatalf("re-encoded descriptor rejected: %v\n%s", err, out)
		}
		if rd2.Name != rd.Name || rd2.URI != rd.URI || len(rd2.Digest) != len(rd.Digest) {
			t.Fatal("round trip changed the descriptor")
		}
	})
}
