package audit

import (
	"errors"
	"testing"
	"time"
)

// TestReview34MarkCase: a mark on a repository by name compared its id byte
// for byte, so "repository:github-actions/Acme/App", as an operator typed
// it, did not cover a job whose token spells the repository "acme/app"
// (GitHub's and GitLab's names are case-insensitive): the kill switch, a
// deny-list, let the repository's jobs through. Repository and owner mark
// ids are folded (CanonicalMarkID) when marked, cleared and checked.
func TestReview34MarkCase(t *testing.T) {
	t.Parallel()
	job := Actor{ID: "https://token.actions.githubusercontent.com#repo:acme/app:ref:refs/heads/x", Kind: "job",
		Claims: map[string]string{"platform": "github-actions", "repository": "acme/app",
			"repository_id": "42", "repository_owner_id": "7"}}
	shouted := job
	shouted.Claims = map[string]string{"platform": "GitHub-Actions", "repository": "ACME/App", "repository_id": "42"}
	for _, tc := range []struct {
		name  string
		mark  string
		clear string
		actor Actor
	}{
		{"mark in another case than the token", "repository:github-actions/Acme/App", "repository:GITHUB-ACTIONS/acme/APP", job},
		{"token in another case than the mark", "repository:github-actions/acme/app", "repository:github-actions/aCmE/aPp", shouted},
		{"platform in another case", "repository_id:GitHub-Actions/42", "repository_id:github-ACTIONS/42", job},
		{"owner, platform in another case", "repository_owner_id:GITHUB-actions/7", "repository_owner_id:github-actions/7", job},
		{"kelvin sign", "repository:github-actions/\u212Aelvin/app", "repository:github-actions/KELVIN/APP",
			Actor{ID: "x", Claims: map[string]string{"platform": "github-actions", "repository": "kelvin/app"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ks, err := NewKillSwitch(&recorder{}, WithClock(func() time.Time { return testT0 }))
			if err != nil {
				t.Fatal(err)
			}
			if err := ks.Mark(t.Context(), tc.mark, "test", "operator", time.Time{}); err != nil {
				t.Fatal(err)
			}
			if !ActorCompromised(ks, tc.actor) {
				t.Fatalf("mark %q, job %v: allowed; want denied", tc.mark, tc.actor.Claims)
			}
			covered := false
			for _, id := range MarkIDs(tc.actor) {
				covered = covered || ks.Compromised(id)
			}
			if !covered {
				t.Fatalf("mark %q: no id of MarkIDs(%v) compromised", tc.mark, tc.actor.Claims)
			}
			if err := ks.Clear(t.Context(), tc.clear, "test", "operator"); err != nil {
				t.Fatalf("Clear(%q) of mark %q: %v", tc.clear, tc.mark, err)
			}
			if ActorCompromised(ks, tc.actor) {
				t.Fatalf("Clear(%q): job still denied", tc.clear)
			}
			if err := ks.Clear(t.Context(), tc.clear, "test", "operator"); !errors.Is(err, ErrNotMarked) {
				t.Fatalf("second Clear: %v, want ErrNotMarked", err)
			}
		})
	}
}

// TestReview34MarkCaseOthersByteForByte: only repository and owner mark
// ids are folded; an actor id (a SPIFFE ID path, an issuer#subject) is
// still compared byte for byte.
func TestReview34MarkCaseOthersByteForByte(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"spiffe://example.org/Job/App", "https://issuer.example#Repo:Acme/App", "repository-x:Acme"} {
		if got := CanonicalMarkID(id); got != id {
			t.Errorf("CanonicalMarkID(%q) = %q, want it unchanged", id, got)
		}
	}
	if got, want := CanonicalMarkID("repository:GitHub-Actions/Acme/App"), "repository:github-actions/acme/app"; got != want {
		t.Errorf("CanonicalMarkID = %q, want %q", got, want)
	}
	ks, err := NewKillSwitch(&recorder{}, WithClock(func() time.Time { return testT0 }))
	if err != nil {
		t.Fatal(err)
	}
	if err := ks.Mark(t.Context(), "spiffe://example.org/Job/App", "test", "operator", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if ks.Compromised("spiffe://example.org/job/app") {
		t.Error("a SPIFFE ID mark matched another path case")
	}
}
