package gate_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy/gate"
)

// TestReview27SlotsBoundRepositoryAndOwner: a job's identity is its
// subject, and a subject names the branch (or environment) the pipeline
// author chose. Before, each new branch of one repository was a new job
// with MaxInFlightPerJob slots of its own, so one repository could hold
// every slot of the gate. Its jobs now share the repository's bound, and
// its owner's repositories the owner's; another owner is still decided.
func TestReview27SlotsBoundRepositoryAndOwner(t *testing.T) {
	t.Parallel()
	// Tokens are "<owner>/<repo>@<branch>"; the subject varies with the branch.
	ids := identity.TokenVerifierFunc(func(_ context.Context, raw string) (identity.Identity, error) {
		repo, branch, _ := strings.Cut(raw, "@")
		return identity.Identity{Issuer: "https://ci.example", Subject: "repo:" + repo + ":ref:refs/heads/" + branch,
			Claims: identity.Claims{Repository: repo, Ref: "refs/heads/" + branch, RefProtected: true, RunID: "7"}}, nil
	})
	for _, tc := range []struct {
		name   string
		limits gate.Limits
		held   []string // decisions held in flight
		busy   string   // then refused
		free   string   // while this one is decided
	}{
		{name: "repository", limits: gate.Limits{MaxInFlightPerJob: 1, MaxInFlightPerRepository: 2, MaxInFlightPerOwner: 8},
			held: []string{"acme/app@b1", "acme/app@b2"}, busy: "acme/app@b3", free: "acme/other@b1"},
		{name: "owner", limits: gate.Limits{MaxInFlightPerJob: 1, MaxInFlightPerRepository: 1, MaxInFlightPerOwner: 2},
			held: []string{"acme/r1@main", "acme/r2@main"}, busy: "acme/r3@main", free: "other/r1@main"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := &heldPolicy{entered: make(chan struct{}, 8), release: make(chan struct{})}
			g, err := gate.New(ids, gate.Verifiers{"https://slsa.dev/provenance/v1": provenanceVerifier(t)}, p, &memSink{},
				gate.WithLimits(tc.limits))
			if err != nil {
				t.Fatal(err)
			}
			req := func(tok string) gate.Request {
				return gate.Request{JobToken: gate.NewToken(tok), Bundles: []json.RawMessage{bundle(t)}, Name: "a.txt", Digest: artifactDigest}
			}
			held := make(chan error, len(tc.held))
			for _, tok := range tc.held {
				go func() { _, err := g.Decide(t.Context(), req(tok)); held <- err }()
				<-p.entered
			}
			busy := make(chan error, 1)
			go func() { _, err := g.Decide(t.Context(), req(tc.busy)); busy <- err }()
			select {
			case err := <-busy:
				if !errors.Is(err, gate.ErrJobBusy) {
					t.Fatalf("%s while %v are in flight: %v, want ErrJobBusy", tc.busy, tc.held, err)
				}
			case <-p.entered:
				close(p.release)
				t.Fatalf("%s while %v are in flight was decided, want ErrJobBusy", tc.busy, tc.held)
			}
			free := make(chan error, 1)
			go func() { _, err := g.Decide(t.Context(), req(tc.free)); free <- err }()
			<-p.entered
			close(p.release)
			if err := <-free; err != nil {
				t.Fatalf("%s: %v", tc.free, err)
			}
			for range tc.held {
				if err := <-held; err != nil {
					t.Fatalf("held decision: %v", err)
				}
			}
			// The slots came back.
			if d, err := g.Decide(t.Context(), req(tc.busy)); err != nil || !d.Allowed {
				t.Fatalf("%s after the others ended: %+v, %v", tc.busy, d, err)
			}
		})
	}
}

// TestReview27SlotBoundsOrdered: a repository bound under the job bound
// (or an owner bound under the repository bound) is refused; left unset,
// they follow a raised job bound.
func TestReview27SlotBoundsOrdered(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		limits gate.Limits
		ok     bool
	}{
		{name: "defaults", ok: true},
		{name: "raised job bound lifts the defaults", limits: gate.Limits{MaxInFlightPerJob: 64}, ok: true},
		{name: "repository under job", limits: gate.Limits{MaxInFlightPerJob: 8, MaxInFlightPerRepository: 4}},
		{name: "owner under repository", limits: gate.Limits{MaxInFlightPerRepository: 20, MaxInFlightPerOwner: 17}},
		{name: "negative", limits: gate.Limits{MaxInFlightPerOwner: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := gate.New(tokens, gate.Verifiers{"https://slsa.dev/provenance/v1": provenanceVerifier(t)}, &allowVerified{}, &memSink{},
				gate.WithLimits(tc.limits))
			if tc.ok && err != nil || !tc.ok && !errors.Is(err, gate.ErrConfig) {
				t.Fatalf("New: %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
