package audit

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"
)

// Bursts were counted per identity only, and an identity's subject names
// the branch, environment or workflow: a job spread over many branches of
// one repository, or over many repositories of one owner, stayed under
// each identity's threshold however many events it emitted. Bursts are now
// also counted per repository and per owner, keyed by the verified claims
// (repository_id / repository_owner_id, else the repository name) within
// the issuer's scope.
func TestReview31OwnerBurst(t *testing.T) {
	t.Parallel()
	const gh = "https://token.actions.githubusercontent.com#"
	type src struct{ id, repo, repoID, ownerID string }
	cases := []struct {
		name    string
		actors  func(i int) src // the actor of the i-th event
		events  int
		profile string // the burst's AttrProfile, "" for none
	}{
		{"branches of one repository", func(i int) src {
			return src{fmt.Sprintf("%srepo:acme/app:ref:refs/heads/b%d", gh, i/4), "acme/app", "11", "9"}
		}, 30, "repository"},
		{"repositories of one owner", func(i int) src {
			return src{fmt.Sprintf("%srepo:acme/r%d:ref:refs/heads/main", gh, i/4), fmt.Sprintf("acme/r%d", i/4), fmt.Sprint(100 + i/4), "9"}
		}, 110, "owner"},
		{"repositories of one owner, names only", func(i int) src {
			return src{fmt.Sprintf("%srepo:acme/r%d:ref:refs/heads/main", gh, i/4), fmt.Sprintf("acme/r%d", i/4), "", ""}
		}, 110, "owner"},
		{"one owner id under two issuers", func(i int) src {
			iss := []string{"https://a.example#", "https://b.example#"}[i%2]
			return src{fmt.Sprintf("%srepo:acme/r%d", iss, i/8), fmt.Sprintf("acme/r%d", i/8), fmt.Sprint(100 + i/8), "9"}
		}, 180, ""},
		{"unrelated repositories", func(i int) src {
			return src{fmt.Sprintf("%srepo:r%d", gh, i/4), fmt.Sprintf("r%d", i/4), fmt.Sprint(100 + i/4), ""}
		}, 180, ""},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				rec := &recorder{}
				// Identity threshold 5: repository 25, owner 100 by default.
				d, err := NewDetector(rec, WithBurst(5, time.Minute), WithLearning(0), WithWorkingHours(0, 24, time.UTC))
				if err != nil {
					t.Fatal(err)
				}
				now := time.Now()
				for i := range tt.events {
					a := tt.actors(i)
					claims := map[string]string{"repository": a.repo}
					if a.repoID != "" {
						claims["repository_id"] = a.repoID
					}
					if a.ownerID != "" {
						claims["repository_owner_id"] = a.ownerID
					}
					e := Event{ID: fmt.Sprintf("e%d", i), Time: now.Add(time.Duration(i) * time.Millisecond), Source: "ztci/secrets",
						Action: "secrets.read", Outcome: OutcomeAllow, Actor: Actor{ID: a.id, Claims: claims}, Resource: "secret:x"}
					if err := d.Write(t.Context(), e); err != nil {
						t.Fatal(err)
					}
				}
				var got []string
				for _, a := range rec.events {
					if a.Attributes[AttrRule] == RuleBurst {
						got = append(got, a.Attributes[AttrProfile])
					}
				}
				switch {
				case tt.profile == "" && len(got) != 0:
					t.Errorf("bursts %q, want none", got)
				case tt.profile != "" && (len(got) != 1 || got[0] != tt.profile):
					t.Errorf("bursts of profiles %q, want one of %q", got, tt.profile)
				}
			})
		})
	}
}

// A repository's or owner's burst names one identity, which an Escalator
// quarantines (burst ranks high). Naming the identity whose event crossed
// the threshold would let one identity of an organization bring its count
// to the threshold and wait for another's event: that other identity,
// which acted once, would be quarantined. The burst names an identity that
// emitted the most of the window's events.
func TestReview31OwnerBurstNamesTopContributor(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		d, err := NewDetector(rec, WithBurst(50, time.Minute), WithOwnerBurst(20), WithLearning(0), WithWorkingHours(0, 24, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		const gh = "https://token.actions.githubusercontent.com#"
		write := func(i int, repo string) {
			t.Helper()
			e := Event{ID: fmt.Sprintf("e%d", i), Time: time.Now(), Source: "ztci/secrets", Action: "secrets.read", Outcome: OutcomeAllow,
				Actor:    Actor{ID: gh + "repo:acme/" + repo, Claims: map[string]string{"repository": "acme/" + repo, "repository_owner_id": "9"}},
				Resource: "secret:x"}
			if err := d.Write(t.Context(), e); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 20 {
			write(i, "attacker")
		}
		write(20, "victim") // the 21st event of the owner: past its threshold
		write(21, "attacker")
		var named []string
		for _, a := range rec.events {
			if a.Attributes[AttrRule] == RuleBurst {
				named = append(named, a.Actor.ID)
			}
		}
		if want := gh + "repo:acme/attacker"; len(named) != 1 || named[0] != want {
			t.Errorf("owner burst named %q, want only %q", named, want)
		}
	})
}
