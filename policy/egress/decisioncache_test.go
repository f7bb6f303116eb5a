package egress

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ztci/ztci/identity"
)

func TestDecisionCacheBounds(t *testing.T) {
	now := time.Unix(1e9, 0)
	exp := now.Add(time.Minute)
	a := identity.Identity{Issuer: "https://ci.example", Subject: "a"}
	b := identity.Identity{Issuer: "https://ci.example", Subject: "b"}
	key := func(job identity.Identity, i int) cacheKey {
		return cacheKey{job, Destination{Host: fmt.Sprintf("h%d.example", i), Port: 443}}
	}
	c := newDecisionCache(1, 3)
	c.put(key(b, 0), Decision{Rule: "b0"}, exp)
	for i := range 5 {
		c.put(key(a, i), Decision{Rule: "a"}, exp)
	}
	if _, _, seen := c.get(key(a, 3), now); seen {
		t.Error("job a holds more than its one decision")
	}
	if d, fresh, _ := c.get(key(a, 4), now); !fresh || d.Rule != "a" {
		t.Error("job a's newest decision was dropped")
	}
	if d, fresh, _ := c.get(key(b, 0), now); !fresh || d.Rule != "b0" {
		t.Error("job a pushed job b's decision out")
	}
	if len(c.items) != 2 || len(c.jobs) != 2 {
		t.Errorf("items %d, jobs %d; want 2, 2", len(c.items), len(c.jobs))
	}

	// The total bound drops the oldest decision of the job holding the
	// most, the asking job's own on a tie: no longer the oldest of all
	// (b0), which let jobs holding more push out one holding less.
	c = newDecisionCache(10, 2)
	c.put(key(b, 0), Decision{Rule: "b0"}, exp)
	c.put(key(a, 0), Decision{Rule: "a0"}, exp)
	c.put(key(a, 1), Decision{Rule: "a1"}, exp)
	if _, _, seen := c.get(key(b, 0), now); !seen || len(c.jobs) != 2 {
		t.Errorf("job b's only decision dropped at the total bound (jobs %d)", len(c.jobs))
	}
	if _, _, seen := c.get(key(a, 0), now); seen {
		t.Error("job a's oldest kept at the total bound")
	}

	// An expired decision is not fresh but still records the sighting.
	if _, fresh, seen := c.get(key(a, 1), exp); fresh || !seen {
		t.Errorf("at expiry: fresh %v, seen %v", fresh, seen)
	}
	c.put(key(a, 1), Decision{Rule: "a1'"}, exp.Add(time.Minute))
	if d, fresh, _ := c.get(key(a, 1), exp); !fresh || d.Rule != "a1'" || len(c.items) != 2 {
		t.Errorf("replaced decision: %q fresh %v, %d items", d.Rule, fresh, len(c.items))
	}
}

// TestDecisionCacheBookkeeping checks the size index against the jobs'
// lists after every put of a random sequence, and that a put at the total
// bound drops a decision of a job holding the most.
func TestDecisionCacheBookkeeping(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	c := newDecisionCache(7, 20)
	jobs := make([]identity.Identity, 6)
	for i := range jobs {
		jobs[i] = identity.Identity{Issuer: "https://ci.example", Subject: fmt.Sprint(i)}
	}
	exp := time.Unix(1e9, 0)
	for n := range 5000 {
		job := jobs[rng.IntN(len(jobs))]
		if rng.IntN(3) == 0 {
			job = jobs[0] // one job asks most
		}
		k := cacheKey{job, Destination{Host: fmt.Sprintf("h%d.example", rng.IntN(12)), Port: 443}}
		before := map[identity.Identity]int{}
		most := 0
		for j, d := range c.jobs {
			before[j] = d.items.Len()
			most = max(most, d.items.Len())
		}
		_, _, had := c.get(k, exp)
		c.put(k, Decision{}, exp)
		for j, was := range before {
			now := 0
			if d := c.jobs[j]; d != nil {
				now = d.items.Len()
			}
			if now < was && j != job && was < most {
				t.Fatalf("put %d: job %s lost a decision holding %d, fewer than %d", n, j.Subject, was, most)
			}
		}
		if _, _, seen := c.get(k, exp); !seen {
			t.Fatalf("put %d (had %v): decision not cached", n, had)
		}
		checkSizes(t, c)
	}
}

func checkSizes(t *testing.T, c *decisionCache) {
	t.Helper()
	total, most := 0, 0
	for j, d := range c.jobs {
		n := d.items.Len()
		if n == 0 || n > c.perJob || d.job != j || d.inSize == nil || d.inSize.Value != d {
			t.Fatalf("job %s: %d items, indexed %v", j.Subject, n, d.inSize != nil)
		}
		found := false
		for e := c.bySize[n].Front(); e != nil; e = e.Next() {
			found = found || e.Value == d
		}
		if !found {
			t.Fatalf("job %s not in bySize[%d]", j.Subject, n)
		}
		total += n
		most = max(most, n)
	}
	indexed := 0
	for n, l := range c.bySize {
		if l.Len() == 0 || n <= 0 {
			t.Fatalf("bySize[%d] holds %d jobs", n, l.Len())
		}
		indexed += l.Len()
	}
	if total != len(c.items) || total > c.total || most != c.most || indexed != len(c.jobs) {
		t.Fatalf("items %d of %d (map %d), most %d (kept %d), indexed %d of %d jobs", total, c.total, len(c.items), most, c.most, indexed, len(c.jobs))
	}
}
