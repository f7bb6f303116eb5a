package attest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/inventory"
)

// TestReview16CustomHeldToKnownReaders: attest.Custom checked only that its
// bytes were one strict JSON object, whatever the predicate type. Under
// the SLSA provenance v1, SPDX or CycloneDX type it signed what the typed
// writers refuse and ztci's own readers then refuse too: a provenance
// naming two sources or spelling "ID" for the builder id (verify and
// ParseProvenance refuse it), an SBOM the admission index cannot read
// (the gate denies a deploy whose verified SBOM does not index). One
// Custom call made every deploy of the artifact fail closed, and a
// provenance whose "ID" encoding/json readers took for the builder id was
// signed as if it were one.
func TestReview16CustomHeldToKnownReaders(t *testing.T) {
	t.Parallel()
	const commit = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	sub := []attest.ResourceDescriptor{{Name: "a", Digest: attest.DigestSet{"sha256": strings.Repeat("0", 64)}}}
	refused := []struct {
		name, typ, doc string
		want           error
	}{
		{"two sources", attest.PredicateSLSAProvenanceV1, `{"buildDefinition":{"buildType":"https://t.example/b",
			"externalParameters":{"source":{"uri":"git+https://git.example/acme/app@refs/heads/main","digest":{"gitCommit":"` + commit + `"}}},
			"resolvedDependencies":[{"uri":"git+https://git.example/victim/app@refs/heads/main","digest":{"gitCommit":"` + commit + `"}}]},
			"runDetails":{"builder":{"id":"https://b.example"}}}`, attest.ErrProvenanceSources},
		{"builder ID", attest.PredicateSLSAProvenanceV1, `{"buildDefinition":{"buildType":"https://t.example/b","externalParameters":{}},
			"runDetails":{"builder":{"ID":"https://evil.example/builder"}}}`, attest.ErrMalformedJSON},
		{"no builder", attest.PredicateSLSAProvenanceV1, `{"buildDefinition":{"buildType":"https://t.example/b","externalParameters":{}}}`, attest.ErrRunDetailsRequired},
		{"CycloneDX 1.3", attest.PredicateCycloneDX, `{"bomFormat":"CycloneDX","specVersion":"1.3","components":[]}`, attest.ErrSBOMFormat},
		{"CycloneDX bad purl", attest.PredicateCycloneDX, `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"name":"x","purl":"npm/x@1"}]}`, attest.ErrSBOMFormat},
		{"SPDX version conflict", attest.PredicateSPDX + "/v2.3", `{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","packages":[{"name":"x","versionInfo":"2",
			"externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:npm/x@1"}]}]}`, inventory.ErrSBOMVersionConflict},
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := attest.NewKeySigner(key)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range refused {
		st, err := attest.NewStatement(sub, attest.Custom(c.typ, []byte(c.doc)))
		if !errors.Is(err, c.want) || !errors.Is(err, attest.ErrInvalidPredicate) {
			t.Errorf("%s: NewStatement = %v, want %v", c.name, err, c.want)
			if st != nil {
				if _, err := attest.Sign(context.Background(), s, st); err == nil {
					t.Errorf("%s: signed a predicate its own reader refuses", c.name)
				}
			}
		}
	}
	// What the readers accept still passes, and other types are unchanged.
	prov, err := (&attest.Provenance{
		BuildDefinition: attest.BuildDefinition{BuildType: "https://t.example/b", ExternalParameters: map[string]any{}},
		RunDetails:      attest.RunDetails{Builder: attest.Builder{ID: "https://b.example"}},
	}).PredicateJSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ typ, doc string }{
		{attest.PredicateSLSAProvenanceV1, string(prov)},
		{attest.PredicateCycloneDX, `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"name":"x","version":"1","purl":"pkg:npm/x@1"}]}`},
		{"https://example.com/tests/v1", `{"passed":true}`},
		{"https://slsa.dev/provenance/v0.2", `{}`},
	} {
		if _, err := attest.NewStatement(sub, attest.Custom(c.typ, []byte(c.doc))); err != nil {
			t.Errorf("Custom(%s) = %v", c.typ, err)
		}
	}
}
