package registry

import (
	"sync"
	"time"
)

// cache is a bounded map with optional expiry and first-in-first-out
// eviction. It bounds both the number of entries and their total weight.
type cache[V any] struct {
	mu        sync.Mutex
	max       int
	maxWeight int
	ttl       time.Duration
	now       func() time.Time
	m         map[string]cacheEntry[V]
	order     []string
	weight    int
}

type cacheEntry[V any] struct {
	v       V
	expires time.Time // zero: never
	weight  int
}

// maxCacheWeight bounds the bytes of cached artifacts and bundles.
const maxCacheWeight = 64 << 20

func newCache[V any](max int, ttl time.Duration, now func() time.Time) *cache[V] {
	return &cache[V]{max: max, maxWeight: maxCacheWeight, ttl: ttl, now: now, m: map[string]cacheEntry[V]{}}
}

func (c *cache[V]) get(k string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || (!e.expires.IsZero() && !c.now().Before(e.expires)) {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (c *cache[V]) put(k string, v V, weight int) {
	if c.max == 0 || weight > c.maxWeight {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[k]; ok {
		c.weight -= old.weight
	} else {
		c.order = append(c.order, k)
	}
	e := cacheEntry[V]{v: v, weight: weight}
	if c.ttl > 0 {
		e.expires = c.now().Add(c.ttl)
	}
	c.m[k] = e
	c.weight += weight
	for len(c.m) > c.max || c.weight > c.maxWeight {
		oldest := c.order[0]
		c.order = c.order[1:]
		if e, ok := c.m[oldest]; ok {
			c.weight -= e.weight
			delete(c.m, oldest)
		}
	}
}
