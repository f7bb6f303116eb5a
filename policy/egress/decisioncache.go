package egress

import (
	"container/list"
	"time"

	"github.com/ztci/ztci/identity"
)

// decisionCache holds decisions per (job, destination), bounded per job and
// in total, with every operation O(1). A job at its bound replaces its own
// oldest decision; when the cache is full, the oldest decision of the job
// holding the most is dropped (the asking job's own if it holds as many as
// any). So no job can push out another job's decisions while it holds more
// than that job: neither one asking for thousands of names (random
// subdomains are free) nor several jobs of one attacker (a build matrix)
// together, which under "oldest of all" would re-run other jobs' policy
// and report their known destinations to WithFirstSeen as new ones.
// Not safe for concurrent use; the proxy holds cacheMu.
type decisionCache struct {
	perJob, total int
	items         map[cacheKey]*cacheItem
	jobs          map[identity.Identity]*jobDecisions
	// bySize[n] lists the jobs holding n decisions; most is the largest n
	// with a job. A job's size moves by one at a time, so most does too.
	bySize map[int]*list.List
	most   int
}

// jobDecisions is one job's cached decisions, oldest first.
type jobDecisions struct {
	job    identity.Identity
	items  list.List
	inSize *list.Element // in bySize[items.Len()]
}

type cacheKey struct {
	job identity.Identity
	dst Destination
}

type cacheItem struct {
	key   cacheKey
	d     Decision
	exp   time.Time
	inJob *list.Element
	owner *jobDecisions
}

func newDecisionCache(perJob, total int) *decisionCache {
	return &decisionCache{
		perJob: perJob, total: total, items: map[cacheKey]*cacheItem{},
		jobs: map[identity.Identity]*jobDecisions{}, bySize: map[int]*list.List{},
	}
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
// holds perJob, then, if the cache holds total, the oldest item of the job
// holding the most. Expired items are kept until the bounds drop them:
// they still record that the job has been seen asking for the destination.
func (c *decisionCache) put(k cacheKey, d Decision, exp time.Time) {
	if it, ok := c.items[k]; ok {
		c.remove(it)
	}
	own := c.jobs[k.job]
	if own != nil && own.items.Len() >= c.perJob {
		c.remove(own.items.Front().Value.(*cacheItem))
	}
	if len(c.items) >= c.total {
		c.remove(c.evictee(k.job).items.Front().Value.(*cacheItem))
	}
	own = c.jobs[k.job]
	if own == nil {
		own = &jobDecisions{job: k.job}
		c.jobs[k.job] = own
	}
	it := &cacheItem{key: k, d: d, exp: exp, owner: own}
	it.inJob = own.items.PushBack(it)
	c.items[k] = it
	c.resized(own, own.items.Len()-1)
}

// evictee returns the job whose oldest decision makes room for one of job:
// job itself if it holds as many as any (after the put it would hold the
// most), else one holding the most. The cache is full, so one exists.
func (c *decisionCache) evictee(job identity.Identity) *jobDecisions {
	if own := c.jobs[job]; own != nil && own.items.Len() >= c.most {
		return own
	}
	return c.bySize[c.most].Front().Value.(*jobDecisions)
}

func (c *decisionCache) remove(it *cacheItem) {
	j := it.owner
	j.items.Remove(it.inJob)
	delete(c.items, it.key)
	c.resized(j, j.items.Len()+1)
	if j.items.Len() == 0 {
		delete(c.jobs, j.job)
	}
}

// resized moves j from bySize[was] to bySize[its size now] (none at 0),
// keeping most.
func (c *decisionCache) resized(j *jobDecisions, was int) {
	if j.inSize != nil {
		l := c.bySize[was]
		l.Remove(j.inSize)
		j.inSize = nil
		if l.Len() == 0 {
			delete(c.bySize, was)
		}
	}
	n := j.items.Len()
	if n > 0 {
		l := c.bySize[n]
		if l == nil {
			l = list.New()
			c.bySize[n] = l
		}
		j.inSize = l.PushBack(j)
	}
	switch {
	case n > c.most:
		c.most = n
	case was == c.most && c.bySize[was] == nil:
		c.most = n // was-1: j is there, or no job is left
	}
}
