package policy_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ztci/ztci/internal/strictjson"
	"github.com/ztci/ztci/policy"
)

// TestReview15ManifestCase: OPA's loader decodes a bundle's .manifest into
// its bundle.Manifest struct with encoding/json (v1/bundle/bundle.go,
// util.NewJSONDecoder(&buf).Decode(&bundle.Manifest)), which matches
// member names case-insensitively, with Unicode simple folding, and keeps
// the last. A .manifest holding "revision" and "Revision" (or "reviſion")
// loaded the second as the revision every decision names, while the
// publisher's and a reviewer's tools (jq, Python) read the first; a lone
// "REVISION" was a revision to OPA and no member to them. The check
// refused only exact repeats.
func TestReview15ManifestCase(t *testing.T) {
	t.Parallel()
	mod := [2]string{"gate/gate.rego", gate}
	for name, manifest := range map[string]string{
		"case pair":    `{"revision": "reviewed", "Revision": "other"}`,
		"folded pair":  "{\"revision\": \"reviewed\", \"revi\u017fion\": \"other\"}",
		"escaped fold": `{"revision": "reviewed", "revi\u017fion": "other"}`,
		"lone variant": `{"REVISION": "other"}`,
		"roots fold":   "{\"revision\": \"r\", \"root\u017f\": [\"gate\"]}",
		"wasm module":  `{"revision": "r", "wasm": [{"entrypoint": "gate/decision", "module": "m.wasm", "Module": "n.wasm"}]}`,
	} {
		raw := orderedTarball(t, mod, [2]string{".manifest", manifest})
		b, err := policy.ReadBundle(bytes.NewReader(raw))
		var me *strictjson.MemberError
		if !errors.Is(err, policy.ErrLoad) || !errors.As(err, &me) {
			t.Errorf("%s: got %+v, %v; want ErrLoad naming the member", name, b, err)
		}
	}
	// What OPA reads by exact name is unchanged: the manifest opa build
	// writes, and metadata (a map to OPA, read by exact key) whose keys
	// differ only in case.
	for name, manifest := range map[string]string{
		"opa build": `{"revision":"2026-11-22.1","roots":["gate"],"rego_version":1}`,
		"metadata":  `{"revision": "r", "metadata": {"Team": "a", "team": "b"}}`,
	} {
		raw := orderedTarball(t, mod, [2]string{".manifest", manifest})
		if b, err := policy.ReadBundle(bytes.NewReader(raw)); err != nil || b.Revision == "" {
			t.Errorf("%s: got %+v, %v; want the bundle", name, b, err)
		}
	}
}
