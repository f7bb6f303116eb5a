package policy_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestReview21CompiledPolicy: OPA's loader reads a bundle's policy.wasm,
// plan.json / plan.pb and a protobuf .manifest.pb, and a .manifest's
// "wasm" entrypoints, none of which ztci evaluates: a reviewer read a
// compiled policy the engine ignored, or OPA (elsewhere) evaluated one a
// reviewer of the Rego never read. Each is refused, in a tarball and in a
// directory, naming the file.
func TestReview21CompiledPolicy(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct{ file, body, want string }{
		"policy.wasm":         {"policy.wasm", "\x00asm\x01\x00\x00\x00", `"policy.wasm"`},
		"nested policy.wasm":  {"gate/policy.wasm", "\x00asm\x01\x00\x00\x00", `"gate/policy.wasm"`},
		"other wasm":          {"gate/Deny.WASM", "\x00asm\x01\x00\x00\x00", `"gate/Deny.WASM"`},
		"plan.json":           {"plan.json", `{"static": {}, "plans": {"plans": []}, "funcs": {"funcs": []}}`, `"plan.json"`},
		"plan.pb":             {"plan.pb", "\x0a\x00", `"plan.pb"`},
		"manifest.pb":         {".manifest.pb", "\x0a\x02r1", `".manifest.pb"`},
		"manifest wasm":       {".manifest", `{"revision": "r1", "wasm": [{"entrypoint": "ztci/main/decision", "module": "/policy.wasm"}]}`, `"wasm"`},
		"manifest empty wasm": {".manifest", `{"revision": "r1", "wasm": [{}]}`, `"wasm"`},
		"manifest plan":       {".manifest", `{"revision": "r1", "plan": "/plan.json"}`, `"plan"`},
	} {
		files := map[string]string{"gate/gate.rego": gate, c.file: c.body}
		tgz := orderedTarball(t, [2]string{"gate/gate.rego", gate}, [2]string{c.file, c.body})
		loads := map[string]func() (*policy.Bundle, error){
			"tarball": func() (*policy.Bundle, error) { return policy.ReadBundle(bytes.NewReader(tgz)) },
			"Dir":     func() (*policy.Bundle, error) { return policy.Dir(review21Dir(t, files)).Load(t.Context()) },
			"FS":      func() (*policy.Bundle, error) { return policy.FS(review21MapFS(files)).Load(t.Context()) },
		}
		for src, load := range loads {
			b, err := load()
			if !errors.Is(err, policy.ErrLoad) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s, %s: got %+v, %v; want ErrLoad naming %s", src, name, b, err, c.want)
			}
		}
	}
}

// TestReview21CompiledPolicyOrdinary: a Rego bundle, with a manifest whose
// wasm member is absent, null or empty, still loads.
func TestReview21CompiledPolicyOrdinary(t *testing.T) {
	t.Parallel()
	for _, manifest := range []string{`{"revision": "r1"}`, `{"revision": "r1", "wasm": []}`, `{"revision": "r1", "wasm": null}`} {
		files := map[string]string{"gate/gate.rego": gate, "gate/data.json": `{"repos": ["acme/app"]}`, ".manifest": manifest}
		tgz := orderedTarball(t, [2]string{"gate/gate.rego", gate}, [2]string{"gate/data.json", files["gate/data.json"]}, [2]string{".manifest", manifest})
		for src, load := range map[string]func() (*policy.Bundle, error){
			"tarball": func() (*policy.Bundle, error) { return policy.ReadBundle(bytes.NewReader(tgz)) },
			"Dir":     func() (*policy.Bundle, error) { return policy.Dir(review21Dir(t, files)).Load(t.Context()) },
		} {
			b, err := load()
			if err != nil || b.Revision != "r1" || len(b.Modules) != 1 {
				t.Errorf("%s, %s: got %+v, %v; want it loaded at r1", src, manifest, b, err)
			}
		}
	}
}
