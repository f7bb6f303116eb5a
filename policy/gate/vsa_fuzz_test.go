package gate

import (
	"testing"

	"github.com/ztci/ztci/attest/vsa"
)

// claimedVSA reads unverified bundles: it must not panic, and it claims the
// VSA type only for an in-toto DSSE payload that says so.
func FuzzClaimedVSA(f *testing.F) {
	f.Add(dsse(`{"predicateType":"https://slsa.dev/verification_summary/v1","predicate":{"verifier":{"id":"https://gates.example/a"}}}`))
	f.Add(dsse(`{"predicateType":"https://slsa.dev/verification_summary/v1","predicate":{"verifier":"https://gates.example/a"}}`))
	f.Add(dsse(`{"predicateType":"https://slsa.dev/provenance/v1","predicate":{}}`))
	f.Add([]byte(`{"dsseEnvelope":{"payloadType":"text/plain","payload":"e30="}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		pt, id := claimedVSA(b)
		if pt != claimedPredicateType(b) && pt != "" {
			t.Fatalf("claimedVSA reads type %q, claimedPredicateType %q", pt, claimedPredicateType(b))
		}
		if pt != vsa.PredicateType && id != "" {
			t.Fatalf("a verifier id %q claimed for predicate type %q", id, pt)
		}
	})
}
