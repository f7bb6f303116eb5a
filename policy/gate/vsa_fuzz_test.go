package gate

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/ztci/ztci/attest"
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

// summaryFacts reads the policy input a summary carries for each input: it
// must not panic, must refuse what encoding/json would read differently
// from its exact spelling (a member in another case, an unknown member),
// and what it accepts is of the predicate type the input names, for the
// manifest the input names (a non-empty string, or no manifest when the
// annotation is absent).
func FuzzSummaryFacts(f *testing.F) {
	const pt = "https://slsa.dev/provenance/v1"
	const caseVariant = `{"predicate_type":"https://slsa.dev/provenance/v1","Signer":{"san":"s"}}`
	const unknown = `{"predicate_type":"https://slsa.dev/provenance/v1","unknown":1}`
	const good = `{"predicate_type":"https://slsa.dev/provenance/v1"}`
	f.Add(`{"predicate_type":"https://slsa.dev/provenance/v1","signer":{"san":"s","issuer":"i","claims":{}},"provenance":{"builder_id":"b","build_type":"t","source_repository":"r","source_ref":"refs/heads/main","source_digest":"d"}}`, "")
	f.Add(`{"predicate_type":"https://slsa.dev/provenance/v1","signer":{"san":"s","issuer":"i","claims":{}},"secrets_provenance":{"job":{},"credentials":[{"lease_id":"l","compromised":false}]}}`, `"sha256:00"`)
	f.Add(caseVariant, "")
	f.Add(unknown, "")
	f.Add(`{"predicate_type":"https://in-toto.io/attestation/vulns/v0.1"}`, "")
	f.Add(`["predicate_type"]`, "")
	f.Add(`null`, "")
	f.Add(good, `["sha256:00"]`)
	f.Add(good, `""`)
	f.Add(good, `null`)
	f.Fuzz(func(t *testing.T, facts, manifest string) {
		var v, m any
		if json.Unmarshal([]byte(facts), &v) != nil {
			return
		}
		ann := map[string]any{vsa.AnnotationPredicateType: pt, vsa.AnnotationPolicyInput: v}
		if manifest != "" {
			if json.Unmarshal([]byte(manifest), &m) != nil {
				return
			}
			ann[VSAAnnotationManifest] = m
		}
		s := &vsa.Summary{InputAttestations: []attest.ResourceDescriptor{{Digest: attest.DigestSet{"sha256": "00"}, Annotations: ann}}}
		got, err := summaryFacts(s)
		if err != nil {
			if !errors.Is(err, ErrVSAPolicyInput) {
				t.Fatalf("error %v does not wrap ErrVSAPolicyInput", err)
			}
			return
		}
		if len(got) != 1 || got[0].att.PredicateType != pt {
			t.Fatalf("accepted %+v for an input of type %s", got, pt)
		}
		if facts == caseVariant || facts == unknown {
			t.Fatalf("accepted %s", facts)
		}
		if ms, _ := m.(string); got[0].manifest != ms || (manifest != "" && ms == "") {
			t.Fatalf("manifest %q read from the annotation %s", got[0].manifest, manifest)
		}
	})
}
