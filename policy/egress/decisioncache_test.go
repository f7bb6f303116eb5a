package egress

import (
	"fmt"
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
	if len(c.items) != 2 || len(c.jobs) != 2 || c.all.Len() != 2 {
		t.Errorf("items %d, jobs %d, order %d; want 2, 2, 2", len(c.items), len(c.jobs), c.all.Len())
	}

	// The total bound drops the oldest of all, whoever's it is.
	c = newDecisionCache(10, 2)
	c.put(key(b, 0), Decision{Rule: "b0"}, exp)
	c.put(key(a, 0), Decision{Rule: "a0"}, exp)
	c.put(key(a, 1), Decision{Rule: "a1"}, exp)
	if _, _, seen := c.get(key(b, 0), now); seen || len(c.jobs) != 1 {
		t.Errorf("oldest kept at the total bound (jobs %d)", len(c.jobs))
	}

	// An expired decision is not fresh but still records the sighting.
	if _, fresh, seen := c.get(key(a, 0), exp); fresh || !seen {
		t.Errorf("at expiry: fresh %v, seen %v", fresh, seen)
	}
	c.put(key(a, 0), Decision{Rule: "a0'"}, exp.Add(time.Minute))
	if d, fresh, _ := c.get(key(a, 0), exp); !fresh || d.Rule != "a0'" || c.all.Len() != 2 {
		t.Errorf("replaced decision: %q fresh %v, %d items", d.Rule, fresh, c.all.Len())
	}
}
