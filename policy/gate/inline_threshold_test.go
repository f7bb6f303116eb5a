package gate_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/verify/image"
)

// TestInlineBundlesMeetTheSignerThreshold: a gate that requires two
// distinct signers of an image (image.WithThreshold) requires them of
// inline bundles too. A job could otherwise fetch an image's attestations
// itself and send one signer's bundle inline, naming the image's
// repository and digest, and be allowed on one signer.
func TestInlineBundlesMeetTheSignerThreshold(t *testing.T) {
	req := gate.Request{JobToken: gate.NewToken(goodToken), Bundles: []json.RawMessage{bundle(t), bundle(t)},
		Name: "registry.example/acme/app", Digest: artifactDigest}
	for _, tc := range []struct {
		threshold int
		allowed   bool
	}{{1, true}, {2, false}} {
		g := newGate(t, &allowVerified{}, &memSink{}, gate.WithImageOptions(image.WithThreshold(tc.threshold)))
		d, err := g.Decide(t.Context(), req)
		if err != nil || d.Allowed != tc.allowed || d.Verified != tc.allowed {
			t.Errorf("threshold %d: Decide = allowed %v, verified %v, %v; want allowed and verified %v (one signer, twice)",
				tc.threshold, d.Allowed, d.Verified, err, tc.allowed)
		}
	}
}

// TestImagesOnlyRefusesInlineBundles: WithImagesOnly refuses inline
// bundles as a bad request, audited, and still decides images.
func TestImagesOnlyRefusesInlineBundles(t *testing.T) {
	sink := &memSink{}
	g := newGate(t, &allowVerified{}, sink, gate.WithImagesOnly())
	d, err := g.Decide(t.Context(), gate.Request{JobToken: gate.NewToken(goodToken), Bundles: []json.RawMessage{bundle(t)},
		Name: "registry.example/acme/app", Digest: artifactDigest})
	if !errors.Is(err, gate.ErrBadRequest) || d.Allowed {
		t.Fatalf("Decide(inline) = %+v, %v; want ErrBadRequest", d, err)
	}
	if n := len(sink.events); n != 1 || sink.events[0].Outcome != audit.OutcomeDeny {
		t.Fatalf("audit events = %+v; want one deny", sink.events)
	}
}

// TestInlineArtifactNameIsOneName: an inline artifact's name that would
// not read as one name in the decision, its audit event or a text log is a
// bad request: '@' (it makes "name@digest" name another digest), a line
// break, an invisible character, invalid UTF-8, an oversized name.
func TestInlineArtifactNameIsOneName(t *testing.T) {
	g := newGate(t, &allowVerified{}, &memSink{})
	for _, name := range []string{"", "app@sha256:" + strings.Repeat("0", 64), "app\nallow", "app\u202e", "app\xff", strings.Repeat("a", 513)} {
		d, err := g.Decide(t.Context(), gate.Request{JobToken: gate.NewToken(goodToken), Bundles: []json.RawMessage{bundle(t)}, Name: name, Digest: artifactDigest})
		if !errors.Is(err, gate.ErrBadRequest) || d.Allowed {
			t.Errorf("Decide(name %q) = allowed %v, %v; want ErrBadRequest", name, d.Allowed, err)
		}
	}
	if d, err := g.Decide(t.Context(), gate.Request{JobToken: gate.NewToken(goodToken), Bundles: []json.RawMessage{bundle(t)}, Name: "dist/app-1.0 (linux).tar.gz", Digest: artifactDigest}); err != nil || !d.Allowed {
		t.Errorf("Decide(a file name) = %+v, %v; want allowed", d, err)
	}
}
