package gate_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/ztci/ztci/policy/gate"
)

// TestReview31RepositoryMark: the gate asked Revocations.Jobs about the
// job's identity id only, so a mark on the job's repository let every job
// of the repository through. A mark on any of the job's mark ids
// (audit.MarkIDs) revokes it. The test identity's claims name no
// platform, so its repository's mark id has an empty one.
func TestReview31RepositoryMark(t *testing.T) {
	t.Parallel()
	req := gate.Request{JobToken: gate.NewToken(goodToken), Bundles: []json.RawMessage{bundle(t)}, Name: "a.txt", Digest: artifactDigest}
	for _, tc := range []struct {
		name    string
		mark    string
		revoked bool
	}{
		{"the job's repository", "repository:/acme/app", true},
		{"another repository", "repository:/acme/other", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			jobs := &marks{}
			jobs.mark(tc.mark)
			g := newGate(t, &allowVerified{}, &memSink{}, gate.WithRevocations(gate.Revocations{Jobs: jobs}))
			d, err := g.Decide(t.Context(), req)
			if err != nil {
				t.Fatal(err)
			}
			if got := !d.Allowed && slices.Equal(d.Rules(), []string{gate.RuleJobRevoked}); got != tc.revoked {
				t.Fatalf("Decide with %q marked = %+v; want revoked %v", tc.mark, d, tc.revoked)
			}
		})
	}
}
