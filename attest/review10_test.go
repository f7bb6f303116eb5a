package attest_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/identity"
)

// TestReview10ParametersFoldedLikeIdentity: a caller's parameter equal to
// one JobProvenance fills from the identity under case folding is refused
// like the exact name. encoding/json readers (slsa-verifier's) match names
// with Unicode simple folding and keep the last member, and the encoder
// sorts "ſource" (U+017F) after "source": such a reader took the caller's
// source for the identity's. "Workflow" and "Trigger" stood in for an
// identity that has no workflow or event.
func TestReview10ParametersFoldedLikeIdentity(t *testing.T) {
	t.Parallel()
	// The premise: the last of two folded-equal members wins in
	// encoding/json, and "ſource" is encoded after "source".
	enc, err := json.Marshal(map[string]string{"source": "identity", "ſource": "caller"})
	if err != nil {
		t.Fatal(err)
	}
	var read struct {
		Source string `json:"source"`
	}
	if err := json.Unmarshal(enc, &read); err != nil || read.Source != "caller" {
		t.Fatalf("premise: %s read as source %q (%v)", enc, read.Source, err)
	}

	bare := releaseJob
	bare.Claims.WorkflowRef, bare.Claims.Workflow, bare.Claims.Event = "", "", ""
	for _, k := range []string{"Source", "SOURCE", "ſource", "Ref", "REF", "Workflow", "wor\u212aflow", "Trigger"} {
		for name, job := range map[string]identity.Identity{"full identity": releaseJob, "identity without workflow or event": bare} {
			b := releaseBuild
			b.Parameters = map[string]any{k: "git+https://git.example/victim/app@refs/tags/v1"}
			if _, err := attest.JobProvenance(job, b); !errors.Is(err, attest.ErrJobProvenance) {
				t.Errorf("%s: parameter %q: err = %v, want ErrJobProvenance", name, k, err)
			}
		}
	}
	// Other names are the caller's.
	b := releaseBuild
	b.Parameters = map[string]any{"sources": "x", "inputs": map[string]any{"source": "y"}}
	if _, err := attest.JobProvenance(releaseJob, b); err != nil {
		t.Fatalf("unrelated parameters: %v", err)
	}
}

// TestReview10SourceURIWithAt: the source is stated "<uri>@<ref>" and
// verify splits it at the first '@' after the host. A source URI whose
// path held '@' ended with the identity's repository and so passed, yet
// read back as another repository:
// "git+https://git.example/victim/app@x/acme/app" as victim/app.
func TestReview10SourceURIWithAt(t *testing.T) {
	t.Parallel()
	for _, uri := range []string{
		"git+https://git.example/victim/app@x/acme/app",
		"git+https://git.example/victim/app@refs/tags/v1/acme/app",
		"git+https://git.example/victim/app%40x/acme/app",
		"git+ssh://git@git.example/victim@x/acme/app.git",
	} {
		b := releaseBuild
		b.SourceURI = uri
		if p, err := attest.JobProvenance(releaseJob, b); !errors.Is(err, attest.ErrJobProvenance) {
			t.Errorf("%s: err = %v, provenance %v; want ErrJobProvenance", uri, err, p != nil)
		}
	}
	b := releaseBuild
	b.SourceURI = "git+ssh://git@git.example/acme/app.git" // the '@' of an ssh user is not in the path
	if _, err := attest.JobProvenance(releaseJob, b); err != nil {
		t.Fatalf("ssh user: %v", err)
	}
}

// TestReview10SignOnlyWhatParses: Sign validated the Statement's rules but
// signed encodings ParseStatement (and so verify) refuses: two keys equal
// under case folding in a predicate map, a subject's annotations or its
// digest set. Such a bundle was produced, and readers that fold names took
// the later member. Sign now refuses it before the signer is called.
func TestReview10SignOnlyWhatParses(t *testing.T) {
	t.Parallel()
	digest := attest.DigestSet{"sha256": strings.Repeat("b", 64)}
	prov := func(params map[string]any) *attest.Provenance {
		return &attest.Provenance{
			BuildDefinition: attest.BuildDefinition{BuildType: "https://ci.example/build/v1", ExternalParameters: params},
			RunDetails:      attest.RunDetails{Builder: attest.Builder{ID: "https://ci.example/runners/hosted@v1"}},
		}
	}
	statement := func(sub attest.ResourceDescriptor, pred attest.Predicate) *attest.Statement {
		st, err := attest.NewStatement([]attest.ResourceDescriptor{sub}, pred)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	plain := attest.ResourceDescriptor{Name: "app", Digest: digest}
	for name, st := range map[string]*attest.Statement{
		"predicate map":       statement(plain, prov(map[string]any{"source": "a", "ſource": "b"})),
		"nested predicate":    statement(plain, prov(map[string]any{"inputs": map[string]any{"ref": "a", "REF": "b"}})),
		"subject annotations": statement(attest.ResourceDescriptor{Name: "app", Digest: digest, Annotations: map[string]any{"k": 1, "K": 2}}, prov(map[string]any{})),
		"digest set":          statement(attest.ResourceDescriptor{Name: "app", Digest: attest.DigestSet{"sha256": strings.Repeat("b", 64), "myHash": "b", "MYHASH": "c"}}, prov(map[string]any{})),
		"raw predicate": {Type: attest.StatementTypeV1, Subject: []attest.ResourceDescriptor{plain},
			PredicateType: "https://example.com/p", Predicate: json.RawMessage(`{"a":1,"A":2}`)},
		"raw predicate not UTF-8": {Type: attest.StatementTypeV1, Subject: []attest.ResourceDescriptor{plain},
			PredicateType: "https://example.com/p", Predicate: json.RawMessage("{\"a\":\"\xff\"}")},
	} {
		called := false
		signer := attest.SignerFunc(func(context.Context, string, []byte) ([]byte, error) {
			called = true
			return []byte("{}"), nil
		})
		if _, err := attest.Sign(t.Context(), signer, st); !errors.Is(err, attest.ErrInvalidStatement) || called {
			t.Errorf("%s: err = %v, signer called %v; want ErrInvalidStatement before signing", name, err, called)
		}
	}

	// What Sign signs, ParseStatement reads.
	var signed []byte
	signer := attest.SignerFunc(func(_ context.Context, _ string, payload []byte) ([]byte, error) {
		signed = payload
		return []byte("{}"), nil
	})
	if _, err := attest.Sign(t.Context(), signer, statement(plain, prov(map[string]any{"source": "a", "inputs": map[string]any{"Ref": "b"}}))); err != nil {
		t.Fatal(err)
	}
	if _, err := attest.ParseStatement(signed); err != nil {
		t.Fatalf("signed payload does not parse: %v", err)
	}
}
