package verify

import (
	"bytes"
	"container/list"
	"hash/maphash"
	"sync"
)

// maxCachedBundle bounds the bundles the result cache keeps (it stores their
// bytes to compare exactly on a hit); larger bundles are verified every time.
const maxCachedBundle = 256 << 10

// resultCache is a bounded LRU of successful results. Only successes are
// ever stored (Verify puts after every check passed), so a hit can never
// turn a failure into a success. Lookups hash with a per-cache random seed
// and then compare the artifact digest and the bundle bytes exactly, so a
// hash collision cannot return another bundle's result. Results are shared:
// treat them as read-only.
type resultCache struct {
	mu   sync.Mutex
	seed maphash.Seed
	max  int
	ll   *list.List
	m    map[uint64]*list.Element
}

type cacheEntry struct {
	key    uint64
	alg    string
	digest []byte
	bundle []byte
	res    *Result
}

func newResultCache(n int) *resultCache {
	return &resultCache{seed: maphash.MakeSeed(), max: n, ll: list.New(), m: make(map[uint64]*list.Element, n)}
}

func (c *resultCache) key(art resolved, bundleJSON []byte) uint64 {
	var h maphash.Hash
	h.SetSeed(c.seed)
	h.WriteString(art.alg)
	h.WriteByte(0)
	h.Write(art.digest)
	h.Write(bundleJSON)
	return h.Sum64()
}

func (c *resultCache) get(art resolved, bundleJSON []byte) (*Result, bool) {
	k := c.key(art, bundleJSON)
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok {
		return nil, false
	}
	ce := e.Value.(*cacheEntry)
	if ce.alg != art.alg || !bytes.Equal(ce.digest, art.digest) || !bytes.Equal(ce.bundle, bundleJSON) {
		return nil, false
	}
	c.ll.MoveToFront(e)
	return ce.res, true
}

func (c *resultCache) put(art resolved, bundleJSON []byte, r *Result) {
	if len(bundleJSON) > maxCachedBundle {
		return
	}
	k := c.key(art, bundleJSON)
	ce := &cacheEntry{key: k, alg: art.alg, digest: bytes.Clone(art.digest), bundle: bytes.Clone(bundleJSON), res: r}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[k]; ok {
		e.Value = ce
		c.ll.MoveToFront(e)
		return
	}
	c.m[k] = c.ll.PushFront(ce)
	for c.ll.Len() > c.max {
		old := c.ll.Back()
		c.ll.Remove(old)
		delete(c.m, old.Value.(*cacheEntry).key)
	}
}

func (c *resultCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}
