package verify_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/ztci/ztci/verify"
)

// ambiguousBundles returns variants of a conformance DSSE bundle whose
// bundle JSON or signed in-toto statement a case-insensitive or
// last-repeat-wins reader would take differently from a strict one.
func ambiguousBundles(t testing.TB) (variants map[string][]byte, control []byte) {
	t.Helper()
	raw, err := os.ReadFile("testdata/conformance/happy-path-intoto-in-dsse-v3/bundle.sigstore.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		MediaType string          `json:"mediaType"`
		VM        json.RawMessage `json:"verificationMaterial"`
		DSSE      struct {
			Payload     string          `json:"payload"`
			PayloadType string          `json:"payloadType"`
			Signatures  json.RawMessage `json:"signatures"`
		} `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	payload, err := base64.StdEncoding.DecodeString(doc.DSSE.Payload)
	if err != nil {
		t.Fatal(err)
	}
	withPayload := func(p []byte) []byte {
		return []byte(`{"mediaType":"` + doc.MediaType + `","verificationMaterial":` + string(doc.VM) +
			`,"dsseEnvelope":{"payload":"` + base64.StdEncoding.EncodeToString(p) + `","payloadType":"` + doc.DSSE.PayloadType +
			`","signatures":` + string(doc.DSSE.Signatures) + `}}`)
	}
	replace := func(b []byte, old, new string) []byte {
		if !bytes.Contains(b, []byte(old)) {
			t.Fatalf("fixture lacks %q", old)
		}
		return bytes.Replace(b, []byte(old), []byte(new), 1)
	}
	return map[string][]byte{
		"bundle mediaType repeated":          replace(raw, `"mediaType"`, `"mediaType":"application/vnd.dev.sigstore.bundle+json;version=0.1","mediaType"`),
		"bundle MediaType beside mediaType":  replace(raw, `"mediaType"`, `"MediaType":"x","mediaType"`),
		"bundle escaped repeat":              replace(raw, `"dsseEnvelope"`, `"\u0064sseEnvelope":{},"dsseEnvelope"`),
		"statement _type repeated":           withPayload(replace(payload, `"_type"`, `"_type":"x","_type"`)),
		"statement PredicateType":            withPayload(replace(payload, `"predicateType"`, `"PredicateType":"https://evil.test/v1","predicateType"`)),
		"statement BuildDefinition alone":    withPayload(replace(payload, `"buildDefinition"`, `"BuildDefinition"`)),
		"statement nested case variant pair": withPayload(replace(payload, `"buildType"`, `"BUILDTYPE":"https://evil.test","buildType"`)),
		"statement subject digest repeated":  withPayload(replace(payload, `"sha256"`, `"sha256":"00","sha256"`)),
	}, withPayload(payload)
}

// TestAmbiguousBundleJSONRefused checks every ambiguous variant is refused
// with ErrAmbiguousJSON, by ValidateBundle where the bundle JSON itself is
// ambiguous and by Verify in every case, before any signature is looked
// at; and that the unmodified bundle rebuilt the same way is not.
func TestAmbiguousBundleJSONRefused(t *testing.T) {
	t.Parallel()
	trust, err := verify.PublicGood()
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.New(trust, verify.Expectation{Signer: verify.Identity{SAN: conformanceIdentity, Issuer: conformanceIssuer}}, verify.WithAnyPredicateTypeUnsafe())
	if err != nil {
		t.Fatal(err)
	}
	artifact, err := os.ReadFile("testdata/conformance/a.txt")
	if err != nil {
		t.Fatal(err)
	}
	variants, control := ambiguousBundles(t)
	if _, err := v.Verify(t.Context(), control, verify.ArtifactBytes(artifact)); err != nil {
		t.Fatalf("control bundle: %v", err)
	}
	for name, b := range variants {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if strings.HasPrefix(name, "bundle") {
				if _, err := verify.ValidateBundle(b); !errors.Is(err, verify.ErrAmbiguousJSON) {
					t.Fatalf("ValidateBundle = %v, want ErrAmbiguousJSON", err)
				}
			}
			_, err := v.Verify(t.Context(), b, verify.ArtifactBytes(artifact))
			if !errors.Is(err, verify.ErrAmbiguousJSON) || !errors.Is(err, verify.ErrMalformedBundle) {
				t.Fatalf("Verify = %v, want ErrAmbiguousJSON inside ErrMalformedBundle", err)
			}
		})
	}
}
