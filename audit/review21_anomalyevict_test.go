package audit

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// A learned identity's profile is what makes its next unusual action an
// anomaly. Before, profiles were evicted purely least recently seen, so an
// attacker able to emit one cheap event each under WithMaxIdentities
// fresh actor ids (CI identities are cheap: one per branch or workflow)
// pushed a learned identity out; it came back in its learning period, and
// its first use of a new (action, resource) pair, off hours, raised
// nothing. Identities still learning are now evicted first: fresh ids only
// displace each other, and displacing a learned profile takes as many
// learned ones.
func TestReview21FreshIdentitiesDoNotEvictLearnedProfiles(t *testing.T) {
	t.Parallel()
	const maxIDs, learn = 50, 5
	rec := &recorder{}
	d, err := NewDetector(rec, WithMaxIdentities(maxIDs), WithLearning(learn), WithBurst(1000, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	write := func(actor, resource string) {
		t.Helper()
		e := testEvent(i)
		i++
		e.Time = testT0
		e.Actor.ID, e.Resource = actor, resource
		if err := d.Write(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	const victim = "spiffe://example.org/ci/deploy"
	for range learn {
		write(victim, "secret:db-password")
	}
	for j := range 3 * maxIDs {
		write(fmt.Sprintf("spiffe://example.org/ci/branch-%d", j), "secret:db-password")
	}
	rec.events = nil
	write(victim, "secret:prod-signing-key")
	var rules []string
	for _, a := range rec.events {
		rules = append(rules, a.Attributes[AttrRule])
	}
	if !strings.Contains(strings.Join(rules, ","), RuleFirstSeen) {
		t.Fatalf("learned identity's first use of a new pair after a flood of %d fresh ids raised %v, want first_seen: "+
			"its profile was evicted and it is learning again", 3*maxIDs, rules)
	}
	if n := d.lru.Len(); n > maxIDs {
		t.Errorf("%d profiles kept, bound %d", n, maxIDs)
	}
}

// With every slot held by a learned identity, a new one still gets a
// profile: the least recently seen learned one goes, as before.
func TestReview21EvictsLearnedWhenNoneIsLearning(t *testing.T) {
	t.Parallel()
	d, err := NewDetector(&recorder{}, WithMaxIdentities(2), WithLearning(1))
	if err != nil {
		t.Fatal(err)
	}
	for j := range 4 {
		e := testEvent(j)
		e.Actor.ID = fmt.Sprintf("id-%d", j)
		if err := d.Write(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	if d.lru.Len() != 2 || len(d.ids) != 2 || d.learning.Len() != 0 {
		t.Fatalf("profiles %d, index %d, learning %d; want 2, 2, 0", d.lru.Len(), len(d.ids), d.learning.Len())
	}
	if _, ok := d.ids[digestOf("id-3")]; !ok {
		t.Error("newest identity not kept")
	}
}
