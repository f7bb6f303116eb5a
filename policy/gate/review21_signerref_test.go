package gate_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ztci/ztci/policy/gate"
)

// TestReview21SignerRevokedAtEveryRef: a CI workflow's certificate SAN
// names the ref it ran at (".../beacon.yml@refs/heads/main"), and a
// SANRegexp trusts it at every ref, so an operator revoking a compromised
// workflow marks the workflow. Compared byte for byte, that mark denied
// nothing: the attacker signed at any ref not listed. A mark on the
// workflow revokes it at every ref, as for builders; an email SAN is not
// revoked by its local part.
func TestReview21SignerRevokedAtEveryRef(t *testing.T) {
	t.Parallel()
	base, _, ok := strings.Cut(conformanceSAN, "@")
	if !ok {
		t.Fatalf("the conformance SAN %q has no @ref", conformanceSAN)
	}
	req := gate.Request{JobToken: gate.NewToken(goodToken), Bundles: []json.RawMessage{bundle(t)}, Name: "a.txt", Digest: artifactDigest}
	for _, tc := range []struct {
		mark    string
		revoked bool
	}{
		{conformanceSAN, true},
		{base, true},
		{base + "@refs/heads/other", false},
		{"https://github.com", false},
	} {
		m := &marks{}
		m.mark(tc.mark)
		g := newGate(t, &allowVerified{}, &memSink{}, gate.WithRevocations(gate.Revocations{Signers: m}))
		d, err := g.Decide(t.Context(), req)
		if err != nil {
			t.Fatalf("mark %q: %v", tc.mark, err)
		}
		if d.Allowed == tc.revoked {
			t.Fatalf("mark %q: %s %+v; want revoked %v", tc.mark, d, d.Attestations, tc.revoked)
		}
		if tc.revoked && (len(d.Attestations) != 1 || !strings.Contains(d.Attestations[0].Error, gate.ErrRevoked.Error())) {
			t.Fatalf("mark %q: attestations %+v; want the bundle refused as revoked", tc.mark, d.Attestations)
		}
	}
}
