package ocibundle

import (
	"errors"
	"strings"
	"testing"
)

// TestParseManifestRefusesAmbiguousMembers: the bundle manifest is signed,
// but a manifest that repeats a member, or spells one in another case,
// names one layer to encoding/json (the last "layers", or "Layers" for
// "layers") and another to the tools a publisher or reviewer reads it
// with (the first, or only the exact name). The signed manifest must name
// one bundle to every reader, so such a manifest is refused.
func TestParseManifestRefusesAmbiguousMembers(t *testing.T) {
	t.Parallel()
	other := strings.Replace(seedLayer, "sha256:0000", "sha256:9999", 1)
	good := manifestSeed(MediaTypeManifest, seedConfig, seedLayer)
	for name, b := range map[string]string{
		"layers twice":   strings.Replace(good, `"layers":`, `"layers":[`+other+`],"layers":`, 1),
		"Layers":         strings.Replace(good, `"layers":[`, `"layers":[`+other+`],"Layers":[`, 1),
		"escaped layers": strings.Replace(good, `"layers":[`, `"layers":[`+other+`],"\u006cayers":[`, 1),
		"digest twice":   strings.Replace(good, `"digest":"sha256:0000`, `"digest":"sha256:9999999999999999999999999999999999999999999999999999999999999999","digest":"sha256:0000`, 1),
		"Digest":         strings.Replace(good, `"digest":"sha256:0000`, `"digest":"sha256:9999999999999999999999999999999999999999999999999999999999999999","Digest":"sha256:0000`, 1),
		"MediaType":      strings.Replace(good, `"mediaType":"application/vnd.oci.image.layer`, `"MediaType":"application/vnd.oci.image.layer`, 1),
		"not unicode":    strings.Replace(good, `"schemaVersion":2`, `"schemaVersion":2,"annotations":{"a":"`+"\xff"+`"}`, 1),
		"lone surrogate": strings.Replace(good, `"schemaVersion":2`, `"schemaVersion":2,"annotations":{"a":"\ud800"}`, 1),
	} {
		if _, err := parseManifest([]byte(b)); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: parseManifest = %v, want ErrFormat", name, err)
		}
	}
	if _, err := parseManifest([]byte(good)); err != nil {
		t.Fatalf("good manifest: %v", err)
	}
}
