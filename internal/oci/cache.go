package oci

import (
	"sync"
	"time"
)

// Cache is a bounded map with optional expiry and first-in-first-out
// eviction. It bounds both the number of entries and their total weight.
type Cache[V any] struct {
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

// NewCache returns a cache of at most max entries (0: caches nothing)
// that expire after ttl (0: never).
func NewCache[V any](max int, ttl time.Duration, now func() time.Time) *Cache[V] {
	return &Cache[V]{max: max, maxWeight: maxCacheWeight, ttl: ttl, now: now, m: map[string]cacheEntry[V]{}}
}

// Get returns the unexpired value for k.
func (c *Cache[V]) Get(k string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || (!e.expires.IsZero() && !c.now().Before(e.expires)) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// Put stores v under k; weight counts towards the byte bound, and a value
// heavier than the bound is not kept.
func (c *Cache[V]) Put(k string, v V, weight int) {
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
