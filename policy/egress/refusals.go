package egress

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/randid"
)

// maxHeldKinds bounds the kinds of refusal (destination and rule) a summary
// lists one by one, the most frequent (see heldKind); refusals of the
// others are counted together.
const maxHeldKinds = 8

// maxKindBytes bounds one kind in a summary: the destination is bounded by
// parsing, the rule name of a caller's Decider is not.
const maxKindBytes = 300

// refusalSource is whose refusals share a budget: an authenticated job's,
// or, before authentication, a client network's (see clientNet). overflow
// is the one budget the sources beyond Limits.MaxRefusalSources share.
type refusalSource struct {
	job      identity.Identity
	client   netip.Prefix
	overflow bool
}

// refusalBudget decides which refusals are audited one by one, so that a
// job cannot bury the audit trail (and fill its disk) under refusals: each
// source has a token bucket of Limits.RefusalBurst tokens, refilled by one
// per Limits.RefusalRefill, and a refusal beyond it is held: counted for
// the source's next summary instead. The budget decides only about the
// audit record, never about the request, which is refused either way.
type refusalBudget struct {
	burst      float64
	refill     time.Duration
	maxSources int

	mu      sync.Mutex
	buckets map[refusalSource]*refusalBucket
	closed  bool // the last summaries are written: from now on every refusal is audited on its own
}

type refusalBucket struct {
	tokens float64
	filled time.Time // when tokens was last brought up to date
	held   heldRefusals
}

// heldRefusals are the refusals of one source held back since its last
// summary.
type heldRefusals struct {
	count int
	since time.Time           // the first of them
	kinds map[string]heldKind // by refusalKind, at most maxHeldKinds keys
}

// heldKind counts one kind of refusal in a summary. The kinds are kept as
// the space-saving algorithm keeps the most frequent items of a stream in
// bounded space: a new kind, when the table is full, takes the place of the
// least counted one and inherits its count. Ranked by that count, a kind
// that makes up more than a maxHeldKinds-th of the refusals is always
// listed, however many decoys the job refused at first; counted exactly
// (the refusals since it was listed, the rest under "other kinds"), the
// summary claims nothing it did not see.
type heldKind struct {
	rank      int // the refusals of the kind, plus inherited
	inherited int // the count of the kind it replaced
}

// refusalSummary is one source's held refusals, to be audited as one event.
type refusalSummary struct {
	source refusalSource
	held   heldRefusals
}

func newRefusalBudget(l Limits) *refusalBudget {
	return &refusalBudget{
		burst: float64(l.RefusalBurst), refill: l.RefusalRefill, maxSources: l.MaxRefusalSources,
		buckets: map[refusalSource]*refusalBucket{},
	}
}

// take reports whether a refusal of src, of kind, is to be audited on its
// own; if not, it is held for src's next summary.
func (b *refusalBudget) take(src refusalSource, kind string, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return true
	}
	bk := b.bucketLocked(src, now)
	if bk.spend(now, b.burst, b.refill) {
		return true
	}
	bk.held.add(kind, now)
	return false
}

// hold counts a refusal that is never audited on its own: a connection
// closed as it is accepted, where waiting on the audit sink would stall the
// accept loop. After the last summaries no summary would carry it, so it is
// dropped: only a connection accepted in the instant [Proxy.Close] closes
// the listeners can meet that.
func (b *refusalBudget) hold(src refusalSource, kind string, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.bucketLocked(src, now).held.add(kind, now)
}

// bucketLocked returns src's bucket, a new full one if it has none, or the
// overflow bucket when as many sources as allowed have one; b.mu must be
// held.
func (b *refusalBudget) bucketLocked(src refusalSource, now time.Time) *refusalBucket {
	if bk, ok := b.buckets[src]; ok {
		return bk
	}
	if len(b.buckets) >= b.maxSources {
		src = refusalSource{overflow: true}
		if bk, ok := b.buckets[src]; ok {
			return bk
		}
	}
	bk := &refusalBucket{tokens: b.burst, filled: now}
	b.buckets[src] = bk
	return bk
}

// drain returns the held refusals of every source, and forgets the sources
// with none held whose bucket is full again (a new bucket would be the
// same), so that the table holds only recent sources. With last, no summary
// follows: every later refusal is audited on its own.
func (b *refusalBudget) drain(now time.Time, last bool) []refusalSummary {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = b.closed || last
	var out []refusalSummary
	for src, bk := range b.buckets {
		if bk.held.count > 0 {
			out = append(out, refusalSummary{source: src, held: bk.held})
			bk.held = heldRefusals{}
		}
		bk.fill(now, b.burst, b.refill)
		if bk.tokens >= b.burst {
			delete(b.buckets, src)
		}
	}
	return out
}

// spend brings the bucket up to date and takes a token if it has one.
func (bk *refusalBucket) spend(now time.Time, burst float64, refill time.Duration) bool {
	bk.fill(now, burst, refill)
	if bk.tokens < 1 {
		return false
	}
	bk.tokens--
	return true
}

// fill adds the tokens refilled since the bucket was last filled. A clock
// that steps back adds none until it has passed that time again.
func (bk *refusalBucket) fill(now time.Time, burst float64, refill time.Duration) {
	if !now.After(bk.filled) {
		return
	}
	bk.tokens = min(burst, bk.tokens+float64(now.Sub(bk.filled))/float64(refill))
	bk.filled = now
}

func (h *heldRefusals) add(kind string, now time.Time) {
	if h.count == 0 {
		h.since, h.kinds = now, map[string]heldKind{}
	}
	h.count++
	if k, ok := h.kinds[kind]; ok || len(h.kinds) < maxHeldKinds {
		k.rank++
		h.kinds[kind] = k
		return
	}
	least, rank := "", 0
	for k, v := range h.kinds {
		if least == "" || v.rank < rank || v.rank == rank && k < least {
			least, rank = k, v.rank
		}
	}
	delete(h.kinds, least)
	h.kinds[kind] = heldKind{rank: rank + 1, inherited: rank}
}

// exact returns the refusals of a kind counted since it was listed.
func (k heldKind) exact() int { return k.rank - k.inherited }

// describe lists the held refusals by kind, the most frequent first:
// "exfil.example:443 egress.default_deny (120); other kinds (3)".
func (h heldRefusals) describe() string {
	kinds := slices.Collect(maps.Keys(h.kinds))
	slices.SortFunc(kinds, func(a, b string) int {
		return cmp.Or(cmp.Compare(h.kinds[b].exact(), h.kinds[a].exact()), strings.Compare(a, b))
	})
	parts := make([]string, 0, len(kinds)+1)
	others := h.count
	for _, k := range kinds {
		n := h.kinds[k].exact()
		parts = append(parts, fmt.Sprintf("%s (%d)", k, n))
		others -= n
	}
	if others > 0 {
		parts = append(parts, fmt.Sprintf("other kinds (%d)", others))
	}
	return strings.Join(parts, "; ")
}

// refusalKind is what a summary counts the refusal ev records as: its
// destination and its rule, or its reason when no rule refused it
// (credentials that did not verify, a bad destination).
func refusalKind(ev audit.Event) string {
	return kindOf(strings.TrimPrefix(ev.Resource, "egress:"), cmp.Or(ev.Attributes[AttrRule], ev.Reason))
}

// kindOf is the kind of a refusal of dst ("" if none was read) for why.
func kindOf(dst, why string) string {
	return clip.String(cmp.Or(dst, "no destination")+" "+why, maxKindBytes)
}

// auditRefusal writes ev, the record of refusing rq, unless rq's source has
// spent its budget: then ev is only counted for the source's next summary.
// Either way rq is refused: the budget bounds the audit trail, not what a
// job may do.
func (p *Proxy) auditRefusal(ctx context.Context, rq request, ev audit.Event) {
	src := refusalSource{job: rq.job}
	if rq.job.IsZero() {
		src = refusalSource{client: clientNet(rq.client)}
	}
	if p.refusals.take(src, refusalKind(ev), p.cfg.now()) {
		p.audit(ctx, ev)
	}
}

// writeSummaries audits the refusals held since the last summaries, one
// [ActionRefusalsSuppressed] event per source; last: see
// refusalBudget.drain.
func (p *Proxy) writeSummaries(last bool) {
	for _, s := range p.refusals.drain(p.cfg.now(), last) {
		ctx, cancel := context.WithTimeout(context.Background(), p.cfg.limits.ConnectTimeout)
		p.audit(ctx, p.summaryEvent(s))
		cancel()
	}
}

func (p *Proxy) summaryEvent(s refusalSummary) audit.Event {
	ev := audit.Event{
		ID: randid.New(), Time: p.cfg.now().UTC(), Source: AuditSource, Action: ActionRefusalsSuppressed,
		Outcome: audit.OutcomeDeny,
		Attributes: map[string]string{
			AttrSuppressed: strconv.Itoa(s.held.count),
			AttrSince:      s.held.since.UTC().Format(time.RFC3339Nano),
			AttrRefused:    s.held.describe(),
		},
	}
	var whose string
	switch src := s.source; {
	case src.overflow:
		ev.Actor = audit.Actor{ID: AuditSource, Kind: "service"}
		whose = fmt.Sprintf("jobs and clients beyond the %d with a budget of their own", p.cfg.limits.MaxRefusalSources)
	case src.job.IsZero():
		ev.Actor = audit.Actor{ID: unauthenticated}
		ev.Attributes[AttrClient] = clientString(src.client)
		whose = "unauthenticated clients in " + clientString(src.client)
	default:
		setActor(&ev, src.job)
		whose = "job " + src.job.ID()
	}
	ev.Reason = fmt.Sprintf("%d further refusals of %s were not audited one by one", s.held.count, whose)
	return ev
}
