package egress

import (
	"container/list"
	"time"

	"github.com/ztci/ztci/identity"
)

// decisionCache holds decisions per (job, destination), bounded per job and
// in total, with every operation O(1): a job that asks for thousands of
// names (random subdomains are free) replaces its own oldest decisions and
// cannot push another job's out, which would re-run that job's policy
// and report its known destinations to WithFirstSeen as new ones.
// Not safe for concurrent use; the proxy holds cacheMu.
type decisionCache struct {
	perJob, total int
	items         map[cacheKey]*cacheItem
	jobs          map[identity.Identity]*list.List // a job's items, oldest first
	all           list.List                        // every item, oldest first
}

type cacheKey struct {
	job identity.Identity
	dst Destination
}

type cacheItem struct {
	key      cacheKey
	d        Decision
	exp      time.Time
	inAll    *list.Element
	inJob    *list.Element
	jobItems *list.List
}

func newDecisionCache(perJob, total int) *decisionCache {
	return &decisionCache{perJob: perJob, total: total, items: map[cacheKey]*cacheItem{}, jobs: map[identity.Identity]*list.List{}}
}

// get returns the decision for k if one is cached and not expired at now,
// and whether any entry for k, expired or not, was cached.
func (c *decisionCache) get(k cacheKey, now time.Time) (d Decision, fresh, seen bool) {
	it, ok := c.items[k]
	if !ok {
		return Decision{}, false, false
	}
	return it.d, now.Before(it.exp), true
}

// put caches d for k until exp, first dropping the job's oldest item if it
// holds perJob, then the oldest item of all if the cache holds total.
// Expired items are kept until the bounds drop them: they still record
// that the job has been seen asking for the destination.
func (c *decisionCache) put(k cacheKey, d Decision, exp time.Time) {
	if it, ok := c.items[k]; ok {
		c.remove(it)
	}
	if l := c.jobs[k.job]; l != nil && l.Len() >= c.perJob {
		c.remove(l.Front().Value.(*cacheItem))
	}
	if len(c.items) >= c.total {
		c.remove(c.all.Front().Value.(*cacheItem))
	}
	jobItems := c.jobs[k.job]
	if jobItems == nil {
		jobItems = list.New()
		c.jobs[k.job] = jobItems
	}
	it := &cacheItem{key: k, d: d, exp: exp, jobItems: jobItems}
	it.inAll = c.all.PushBack(it)
	it.inJob = jobItems.PushBack(it)
	c.items[k] = it
}

func (c *decisionCache) remove(it *cacheItem) {
	c.all.Remove(it.inAll)
	it.jobItems.Remove(it.inJob)
	if it.jobItems.Len() == 0 {
		delete(c.jobs, it.key.job)
	}
	delete(c.items, it.key)
}
