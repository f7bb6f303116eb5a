package oci

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/ztci/ztci/internal/strictjson"
	"github.com/ztci/ztci/internal/strictjson/strictjsontest"
)

// FuzzReview9CheckArtifactJSON checks CheckArtifactJSON, which a signed
// policy bundle's manifest is read through since today, against
// encoding/json's tokenizer and against ParseArtifact. Properties: it never
// panics; a refusal is a syntax error, strictjson.ErrNotUnicode or
// strictjson.ErrAmbiguous; what it accepts is valid JSON read as Unicode
// text with no two members of one object equal under case folding and no
// manifest member spelt in another case at its place (strictjsontest.Read); on
// valid JSON it agrees with ParseArtifact's own check: a manifest
// ParseArtifact accepts, it accepts.
func FuzzReview9CheckArtifactJSON(f *testing.F) {
	const d = `"sha256:0000000000000000000000000000000000000000000000000000000000000000"`
	for _, s := range []string{
		`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.ztci.policy.bundle.v1","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":` + d + `,"size":2},"layers":[{"mediaType":"application/vnd.ztci.policy.layer.v1.tar+gzip","digest":` + d + `,"size":10,"annotations":{"org.opencontainers.image.title":"policy.tar.gz"}}],"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":` + d + `,"size":1},"annotations":{"a":"b"}}`,
		`{"schemaVersion":2,"layers":[],"Layers":[{"digest":` + d + `}]}`,
		`{"schemaVersion":2,"subject":{"digest":` + d + `},"subject":{"digest":"sha256:1"}}`,
		`{"schemaVersion":2,"config":{"mediaType":"a","MediaType":"b"}}`,
		`{"schemaVersion":2,"annotations":{"k":"1","K":"2"}}`,
		`{"schemaVersion":2,"annotations":{"k":"\udc00"}}`,
		`{"schemaVersion":2,"layers":[{"platform":{"os":"linux","OS":"windows"}}]}`,
		"{\"schemaVersion\":2,\"artifactType\":\"a\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := CheckArtifactJSON(b)
		var syntax *json.SyntaxError
		if err != nil && !errors.As(err, &syntax) && !errors.Is(err, strictjson.ErrNotUnicode) && !errors.Is(err, strictjson.ErrAmbiguous) {
			t.Fatalf("untyped refusal %T: %v", err, err)
		}
		valid := json.Valid(b)
		if err == nil {
			if !valid {
				t.Fatalf("accepted %q, which is not JSON", b)
			}
			r := strictjsontest.Read(b, reflect.TypeFor[ArtifactManifest]())
			if r.Ambiguous() {
				t.Fatalf("accepted an ambiguous manifest (%+v): %q", r, b)
			}
		}
		if !valid {
			return
		}
		_, perr := ParseArtifact(b)
		if perr == nil && err != nil {
			t.Fatalf("ParseArtifact accepts %q, CheckArtifactJSON refuses it: %v", b, err)
		}
		if perr != nil && !errors.Is(perr, ErrMalformed) {
			t.Fatalf("ParseArtifact error outside ErrMalformed: %v", perr)
		}
	})
}
