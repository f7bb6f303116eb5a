package gate_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy/gate"
)

// singleUse spends each token the first time it is verified, as a replay
// cache does.
type singleUse struct {
	mu    sync.Mutex
	spent map[string]bool
}

func (s *singleUse) Verify(ctx context.Context, raw string) (identity.Identity, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.spent[raw] {
		return identity.Identity{}, errors.New("token replayed")
	}
	s.spent[raw] = true
	return tokens.Verify(ctx, raw)
}

// A malformed request is refused before its job token is verified: with
// single-use tokens, verifying it spent the job's one deploy token on a
// typo. Each refusal is still audited, as an unauthenticated caller's.
func TestReview17MalformedRequestKeepsToken(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	sink := &memSink{}
	su := &singleUse{spent: map[string]bool{}}
	g, err := gate.New(su, gate.Verifiers{"https://slsa.dev/provenance/v1": provenanceVerifier(t)}, &allowVerified{}, sink,
		gate.WithRegistries("registry.example"), gate.WithLimits(gate.Limits{MaxBundles: 1}))
	if err != nil {
		t.Fatal(err)
	}
	tok := gate.NewToken(goodToken)
	b := bundle(t)
	bad := map[string]gate.Request{
		"no image, no bundles": {JobToken: tok},
		"image and bundles":    {JobToken: tok, Image: "registry.example/app:v1", Bundles: []json.RawMessage{b}},
		"image with a digest":  {JobToken: tok, Image: "registry.example/app:v1", Digest: artifactDigest},
		"bad reference":        {JobToken: tok, Image: "registry.example/App:v1"},
		"sha512 image digest":  {JobToken: tok, Image: "registry.example/app@sha512:" + strings.Repeat("a", 128)},
		"inline without name":  {JobToken: tok, Bundles: []json.RawMessage{b}, Digest: artifactDigest},
		"inline bad digest":    {JobToken: tok, Bundles: []json.RawMessage{b}, Name: "app", Digest: "md5:00"},
		"too many bundles":     {JobToken: tok, Bundles: []json.RawMessage{b, b}, Name: "app", Digest: artifactDigest},
		"unwanted third-party": {JobToken: tok, Image: "registry.example/app:v1", ThirdPartyVSAs: []json.RawMessage{b}},
	}
	for what, req := range bad {
		d, err := g.Decide(ctx, req)
		if d.Allowed || !errors.Is(err, gate.ErrBadRequest) {
			t.Errorf("%s: %s, %v; want ErrBadRequest", what, d, err)
		}
		if d.AuditID == "" {
			t.Errorf("%s: refusal not audited", what)
		}
	}
	for _, ev := range sink.all() {
		if ev.Outcome != audit.OutcomeDeny || ev.Actor.ID != "unauthenticated" {
			t.Errorf("refusal audited as %s by %q; want a deny by an unauthenticated caller", ev.Outcome, ev.Actor.ID)
		}
	}
	// The token is still unspent: the corrected request is decided.
	d, err := g.Decide(ctx, gate.Request{JobToken: tok, Bundles: []json.RawMessage{b}, Name: "app", Digest: artifactDigest})
	if err != nil || !d.Allowed {
		t.Fatalf("corrected request: %s, %v; want allowed with the unspent token", d, err)
	}
	// A request without a token is refused for that, whatever else it holds.
	if _, err := g.Decide(ctx, gate.Request{Image: "registry.example/App"}); !errors.Is(err, gate.ErrUnauthenticated) {
		t.Errorf("no token, bad image: %v; want ErrUnauthenticated", err)
	}
}
