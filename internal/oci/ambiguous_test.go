package oci

import (
	"errors"
	"strings"
	"testing"
)

// TestParseRefusesAmbiguousManifests: a manifest or an index that repeats
// a member, or spells one in another case, names one subject or list to
// encoding/json (the last, or "Subject" for "subject") and another to
// registry clients that read the first or match exactly.
func TestParseRefusesAmbiguousManifests(t *testing.T) {
	t.Parallel()
	const other = `{"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":7}`
	m := manifestSeeds[0]
	for name, b := range map[string]string{
		"subject twice":   strings.Replace(m, `"subject":`, `"subject":`+other+`,"subject":`, 1),
		"Subject":         strings.Replace(m, `"subject":`, `"Subject":`, 1),
		"layers twice":    strings.Replace(m, `"layers":`, `"layers":[],"layers":`, 1),
		"escaped subject": strings.Replace(m, `"subject":`, `"subject":`+other+`,"\u0073ubject":`, 1),
	} {
		if _, err := ParseArtifact([]byte(b)); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseArtifact(%s) = %v, want ErrMalformed", name, err)
		}
	}
	ix := indexSeeds[1]
	for name, b := range map[string]string{
		"manifests twice": strings.Replace(ix, `"manifests":`, `"manifests":[],"manifests":`, 1),
		"Manifests":       strings.Replace(ix, `"manifests":`, `"Manifests":`, 1),
		"Digest":          strings.Replace(ix, `"digest":`, `"digest":"sha256:00","Digest":`, 1),
	} {
		if _, err := ParseIndex([]byte(b), 8); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseIndex(%s) = %v, want ErrMalformed", name, err)
		}
	}
	for _, s := range manifestSeeds[:2] {
		if _, err := ParseArtifact([]byte(s)); err != nil {
			t.Errorf("ParseArtifact(seed) = %v", err)
		}
	}
}
