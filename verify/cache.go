package verify

import (
	"container/list"
	"crypto/sha256"
	"sync"
)

// resultCache is a bounded LRU of successful results. Only successes are
// ever stored (Verify puts after every check passed), so a hit can never
// turn a failure into a success. Results are shared: treat them as
// read-only.
type resultCache struct {
	mu  sync.Mutex
	max int
	ll  *list.List
	m   map[[32]byte]*list.Element
}

type cacheEntry struct {
	key [32]byte
	res *Result
}

func newResultCache(n int) *resultCache {
	return &resultCache{max: n, ll: list.New(), m: make(map[[32]byte]*list.Element, n)}
}

func (c *resultCache) get(k [32]byte) (*Result, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok {
		return nil, false
	}
	c.ll.MoveToFront(e)
	return e.Value.(*cacheEntry).res, true
}

func (c *resultCache) put(k [32]byte, r *Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[k]; ok {
		e.Value.(*cacheEntry).res = r
		c.ll.MoveToFront(e)
		return
	}
	c.m[k] = c.ll.PushFront(&cacheEntry{key: k, res: r})
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

// cacheKey binds the expectation fingerprint, the artifact digest and the
// exact bundle bytes.
func cacheKey(fp [32]byte, art resolved, bundleJSON []byte) [32]byte {
	bd := sha256.Sum256(bundleJSON)
	h := sha256.New()
	h.Write(fp[:])
	h.Write([]byte(art.alg))
	h.Write([]byte{0})
	h.Write(art.digest)
	h.Write(bd[:])
	var k [32]byte
	h.Sum(k[:0])
	return k
}
