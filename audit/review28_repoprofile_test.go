package audit

import (
	"fmt"
	"testing"
	"time"
)

// A subject names the branch (or environment, or workflow), so a new branch
// is a new identity. Before, every identity learned on its own: a job
// pushed on a fresh branch of a known repository used, during its learning
// period, any secret or destination without an anomaly. An identity still
// learning is now judged against its repository's profile (keyed by the
// claims' scope and the repository id, else name), and the anomaly names
// the identity that acted.
func TestReview28RepoProfileJudgesNewBranch(t *testing.T) {
	t.Parallel()
	const (
		gha   = "https://token.actions.githubusercontent.com"
		other = "https://gitlab.example.com"
		learn = 5
	)
	main := Actor{ID: gha + "#repo:acme/app:ref:refs/heads/main", Kind: "job",
		Claims: map[string]string{"repository": "acme/app", "repository_id": "42"}}
	monday := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	saturday := time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)
	cases := []struct {
		name     string
		actor    Actor
		resource string
		at       time.Time
		want     string // rule raised, "" for none
	}{
		{"new branch, pair new to the repository", Actor{ID: gha + "#repo:acme/app:ref:refs/heads/x", Kind: "job",
			Claims: map[string]string{"repository": "acme/app", "repository_id": "42"}}, "secret:prod-signing-key", monday.Add(time.Second), RuleFirstSeen},
		{"new branch, renamed repository, same id", Actor{ID: gha + "#repo:acme/app2:ref:refs/heads/x", Kind: "job",
			Claims: map[string]string{"repository": "acme/app2", "repository_id": "42"}}, "secret:prod-signing-key", monday.Add(time.Second), RuleFirstSeen},
		{"new branch, pair the repository uses", Actor{ID: gha + "#repo:acme/app:ref:refs/heads/y", Kind: "job",
			Claims: map[string]string{"repository": "acme/app", "repository_id": "42"}}, "secret:db-password", monday.Add(time.Second), ""},
		{"new branch, off hours", Actor{ID: gha + "#repo:acme/app:ref:refs/heads/z", Kind: "job",
			Claims: map[string]string{"repository": "acme/app", "repository_id": "42"}}, "secret:db-password", saturday, RuleOffHours},
		{"another issuer's repository with the same id", Actor{ID: other + "#project_path:acme/app:ref_type:branch:ref:x", Kind: "job",
			Claims: map[string]string{"repository": "acme/app", "repository_id": "42"}}, "secret:prod-signing-key", monday.Add(time.Second), ""},
		{"no repository claims", Actor{ID: gha + "#repo:acme/app:ref:refs/heads/w", Kind: "job"}, "secret:prod-signing-key", monday.Add(time.Second), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			d, err := NewDetector(rec, WithLearning(learn), WithBurst(1000, time.Second), WithEventTimeTrustedUnsafe())
			if err != nil {
				t.Fatal(err)
			}
			for i := range 2 * learn {
				e := testEvent(i)
				e.Actor, e.Time = main, monday.Add(time.Duration(i)*time.Millisecond)
				if err := d.Write(t.Context(), e); err != nil {
					t.Fatal(err)
				}
			}
			if len(rec.events) != 0 {
				t.Fatalf("learning raised %v", rec.events)
			}
			e := testEvent(100)
			e.Actor, e.Resource, e.Time = tc.actor, tc.resource, tc.at
			if err := d.Write(t.Context(), e); err != nil {
				t.Fatal(err)
			}
			var got []Event
			for _, a := range rec.events {
				if a.Attributes[AttrRule] != RuleBurst {
					got = append(got, a)
				}
			}
			if tc.want == "" {
				if len(got) != 0 {
					t.Fatalf("raised %v, want none", got)
				}
				return
			}
			if len(got) != 1 || got[0].Attributes[AttrRule] != tc.want {
				t.Fatalf("raised %v, want one %s: a new branch learned on its own", got, tc.want)
			}
			if got[0].Actor.ID != tc.actor.ID || got[0].Attributes[AttrProfile] != ProfileRepository {
				t.Errorf("anomaly names %q (profile %q), want the branch identity %q and profile %q",
					got[0].Actor.ID, got[0].Attributes[AttrProfile], tc.actor.ID, ProfileRepository)
			}
		})
	}
}

// Evicting a learning identity (or pushing ever new branches) restarts the
// identity's learning, not its repository's: a flood of fresh ids displaces
// learning profiles first, so the repository's learned profile stays and
// still judges the branch that returns.
func TestReview28RepoProfileSurvivesIdentityFlood(t *testing.T) {
	t.Parallel()
	const maxIDs, learn = 20, 5
	rec := &recorder{}
	d, err := NewDetector(rec, WithMaxIdentities(maxIDs), WithLearning(learn), WithBurst(1000, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	write := func(actor, repo, resource string) {
		t.Helper()
		e := testEvent(i)
		i++
		e.Actor = Actor{ID: "spiffe://example.org/ci/" + actor, Kind: "workload", Claims: map[string]string{"repository_id": repo}}
		e.Resource = resource
		if err := d.Write(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	for range learn {
		write("main", "42", "secret:db-password")
	}
	for j := range 3 * maxIDs {
		write(fmt.Sprintf("flood-%d", j), fmt.Sprint(1000+j), "secret:db-password")
	}
	rec.events = nil
	write("branch-new", "42", "secret:prod-signing-key")
	if len(rec.events) != 1 || rec.events[0].Attributes[AttrProfile] != ProfileRepository {
		t.Fatalf("new branch after a flood of fresh ids raised %v, want a repository first_seen", rec.events)
	}
	if n := d.lru.Len(); n > maxIDs {
		t.Errorf("%d profiles kept, bound %d", n, maxIDs)
	}
}

// With WithMaxIdentities(1) the repository's profile must not evict the
// profile of the identity it is fetched beside, or no identity would ever
// learn.
func TestReview28RepoProfileKeepsIdentityAtBoundOne(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	d, err := NewDetector(rec, WithMaxIdentities(1), WithLearning(2), WithBurst(1000, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		e := testEvent(i)
		if i == 2 {
			e.Resource = "secret:new"
		}
		if err := d.Write(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	if len(rec.events) != 1 || rec.events[0].Attributes[AttrRule] != RuleFirstSeen {
		t.Fatalf("raised %v, want the learned identity's first_seen", rec.events)
	}
	if n := d.lru.Len(); n > 1 {
		t.Errorf("%d profiles kept, bound 1", n)
	}
}
