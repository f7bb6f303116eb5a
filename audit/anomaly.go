package audit

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ztci/ztci/internal/clip"
)

// Anomaly rules and the actions of the events [Detector] raises.
const (
	RuleFirstSeen = "first_seen"
	RuleBurst     = "burst"
	RuleOffHours  = "off_hours"

	ActionAnomalyPrefix = "audit.anomaly."
	// SourceDetector is the Source of anomaly events; the detector ignores
	// events from this source, so it can watch a stream it feeds. Source is
	// the producer's word: a job able to write events into the stream a
	// Detector reads could label its own events with it and go unwatched.
	// Feed a Detector only from sinks that trusted code writes (the gate,
	// the broker, the proxy), never from a stream jobs may publish to.
	SourceDetector = "ztci/audit/ueba"

	AttrRule         = "rule"
	AttrTriggerEvent = "trigger_event_id"
	// AttrTruncated is "true" on an anomaly whose texts copied from its
	// trigger were cut to fit [MaxEventSize] (see [Detector]).
	AttrTruncated = "truncated"
	// AttrProfile is [ProfileRepository] on an anomaly of an identity
	// still in its learning period that its repository's profile raised
	// (see [Detector]); absent when the identity's own profile did.
	AttrProfile = "profile"
	// ProfileRepository is the [AttrProfile] of an anomaly raised by a
	// repository's profile.
	ProfileRepository = "repository"
	// ProfileOwner is the [AttrProfile] of a burst anomaly raised by the
	// profile of a repository owner (an organization, a namespace).
	ProfileOwner = "owner"
	// AttrEventTime is the trigger's own Time, on an anomaly of an event
	// whose Time lay more than [WithMaxClockSkew] from the detector's
	// clock and was clamped (the anomaly's Time is the clamped one).
	AttrEventTime = "event_time"

	// DefaultMaxClockSkew is how far from the detector's clock an event's
	// Time may lie before [Detector] clamps it (see [WithMaxClockSkew]).
	DefaultMaxClockSkew = time.Minute
	// repoBurstFactor and ownerBurstFactor scale WithBurst's count into
	// the default thresholds of repositories' and owners' bursts.
	repoBurstFactor  = 5
	ownerBurstFactor = 20
)

// Detector is a UEBA-lite stream processor: a [Sink] that learns, per
// identity (Actor.ID) and per repository (see below), which (action,
// resource) pairs it uses, how often and when, and writes an explainable
// anomaly event to its output sink when:
//
//   - first_seen: after its learning period (WithLearning events), the
//     identity uses an (action, resource) pair it never used before;
//   - burst: it emits more than N events within a sliding window
//     (WithBurst); raised once per burst, re-armed when the rate halves;
//   - off_hours: after learning, it acts outside working hours
//     (WithWorkingHours, Monday to Friday) although less than 5% of its
//     history was outside them (so nightly jobs are learned, not flagged).
//
// Time is the events' own Time, bounded by the detector's clock
// ([WithClock], default the wall clock): an event dated more than
// [WithMaxClockSkew] (default [DefaultMaxClockSkew]) before or after it is
// counted at that bound, and its anomalies carry the event's own time in
// [AttrEventTime]. So a producer or replica whose clock is skewed, or that
// lies, can neither date events where no window counts them (far past,
// far future) nor poison the windows of the events that follow; it can
// still shift an event by up to the skew, so a burst spread over 2 skews
// and a window is counted in at least (2 skew + window) / window parts.
// Events may arrive out of time order (replicas, redeliveries): within the
// bound, a burst is counted in the windows that hold each event in time
// order, so an event dated ahead or behind counts only where it falls. To
// replay history, give the detector a clock that returns when each event
// was stored (audit/natsanomaly uses the stream's timestamps, so a replay
// rebuilds the same baseline); [WithEventTimeTrustedUnsafe] removes the
// bound. Anomaly events
// carry the rule, the triggering event id and the evidence in Attributes and
// a one-sentence Reason; their ID is derived from the trigger and the rule,
// so replays de-duplicate. Memory is bounded: at most WithMaxIdentities
// profiles, identities' and repositories' together (those still learning
// evicted first, least recently seen first) of at most WithMaxPairs pairs,
// each identity and pair remembered as a fixed-size digest, whatever the
// length of the ids, actions and resources: some 64 bytes a pair, so a
// fleet of identities each using as many resources as it likes (an
// attacker's, requesting names it makes up) can hold WithMaxIdentities
// times WithMaxPairs times 64 bytes, about 6 GiB at the defaults, and each
// profile counting a burst holds up to its threshold's events (40 bytes
// each; an owner's, 2000 at the defaults); size the two to the memory the
// detector may take. An anomaly repeats parts of its
// trigger (the first_seen reason quotes the action and resource), so one of
// a large trigger could exceed [MaxEventSize] and no encoding sink would
// record it: such an anomaly keeps its id, Actor.ID, rule and trigger id,
// and the other texts it copies are cut to 1 KiB ([AttrTruncated] "true",
// claims dropped).
//
// Profiles are keyed by Actor.ID as the events carry it, so feed the
// detector events whose actor.id neither [HMAC] nor a [Sealer] has
// replaced: a sealed id differs in every event (no identity is ever
// learned, no burst ever counted), and a hashed one is what an [Escalator]
// would mark, which no compromise check asks about. Ids are compared byte
// for byte, with no Unicode normalisation, as compromise checks compare
// them: "josé" with U+00E9 and with e and U+0301 are two identities with two
// profiles (and two learning periods). Producers take Actor.ID from an
// authenticated identity, which an actor cannot respell (a SPIFFE ID is
// ASCII; an OIDC subject is its issuer's exact string); a vendor that
// builds ids from typed names must normalise them (NFC) before they reach
// events and checks.
//
// An identity still in its learning period is judged against its
// repository's profile, which every event whose Actor.Claims name a
// repository also feeds: where a CI platform puts names a repository
// chooses into the subject (a branch, an environment, a workflow), each new
// name is a new identity with its own learning period, and without this a
// job pushed on a new branch could use any secret or destination during
// it. A repository is keyed by the scope of its claims (the issuer of an
// "<issuer>#<subject>" Actor.ID, the trust domain of a SPIFFE ID) and its
// "repository_id" claim, else its "repository" claim, so that one issuer
// cannot speak for another's repositories. Such an identity's use of a
// pair its repository has never used is a first_seen anomaly, and its
// acting off hours when its repository rarely does is an off_hours one;
// both carry [AttrProfile] [ProfileRepository]. The anomaly names the
// identity that acted (which an [Escalator] marks), not the repository.
// Once the identity has learned, its own profile judges it. A new
// repository still has its learning period.
//
// Bursts are counted per identity, per repository and per repository
// owner (an organization, a namespace: the scope and the
// "repository_owner_id" claim, else the part of the "repository" claim
// before its last '/'), so that events spread over many branches,
// environments or workflows of a repository, or over many repositories
// of an owner, each identity under its threshold, are still a burst: a
// repository's threshold is [WithRepositoryBurst] (default 5 times
// WithBurst's count), an owner's [WithOwnerBurst] (default 20 times), in
// WithBurst's window. Such a burst is raised once per burst of the
// repository or owner, with [AttrProfile] [ProfileRepository] or
// [ProfileOwner] and an id ending in "/burst/repository" or
// "/burst/owner", as an anomaly of an identity that emitted at least as
// many of the window's events as any other, on its first event past the
// threshold: an [Escalator] quarantines it, so one identity must not
// bring the count to the threshold and let another's single event be
// named. Where every identity emitted as many (one event each, say), the
// identity whose event crossed the threshold is named. Repository and owner profiles count against
// WithMaxIdentities and are evicted like identities' (a learned one last);
// an identity that is evicted and returns learns again, judged by its
// repository meanwhile.
// Claims are trusted as the events carry them: feed the detector events
// whose producers take them from a verified token.
type Detector struct {
	out        Sink
	learn      int
	burstN     int
	burstWin   time.Duration
	workStart  int
	workEnd    int
	loc        *time.Location
	maxIDs     int
	maxPairs   int
	now        func() time.Time
	maxSkew    time.Duration // 0: event times trusted
	repoBurst  int
	ownerBurst int
	logger     *slog.Logger

	mu  sync.Mutex
	ids map[digest]*list.Element // of *profile, keyed by the digest of Actor.ID
	lru *list.List
	// learning holds, least recently seen last, the profiles still in
	// their learning period (each also in lru), which are evicted first:
	// a flood of fresh ids then displaces only other fresh ids, never the
	// learned profiles that make an identity's unusual actions anomalies.
	learning *list.List
}

// digest stands for an identity or an (action, resource) pair in the
// detector's memory. Keeping the strings themselves would let the size of
// the events, not their number, decide the detector's memory: an identity
// that requests a thousand distinct 64 KiB resources pinned 64 MiB, and
// WithMaxIdentities such identities that many times over. A 128-bit prefix
// of SHA-256 is fixed-size and collision-resistant, so no event can make
// two different pairs (or identities) share a profile entry.
type digest [16]byte

// digestOf hashes its parts length-prefixed, so that ("ab", "c") and
// ("a", "bc") differ.
func digestOf(parts ...string) digest {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	var d digest
	copy(d[:], h.Sum(nil))
	return d
}

type profile struct {
	id       digest
	seen     int
	offHours int
	pairs    map[digest]struct{} // of (action, resource)
	recent   []stamp             // the latest events, at most burst threshold + 1, oldest first
	inBurst  bool
	lel      *list.Element // in Detector.learning while learning, else nil
}

// stamp is an event in a profile's burst count: its time, and the
// identity that emitted it (a repository's or owner's burst names the
// identity that emitted the most of it).
type stamp struct {
	at  time.Time
	who digest
}

// NewDetector returns a detector writing anomalies to out. Options:
// [WithLearning], [WithBurst], [WithWorkingHours], [WithMaxIdentities],
// [WithMaxPairs], [WithClock], [WithMaxClockSkew],
// [WithEventTimeTrustedUnsafe], [WithRepositoryBurst], [WithOwnerBurst],
// [WithLogger].
func NewDetector(out Sink, opts ...Option) (*Detector, error) {
	if out == nil {
		return nil, fmt.Errorf("audit: NewDetector: nil output sink")
	}
	o, err := build(forDetector, opts)
	if err != nil {
		return nil, err
	}
	repoBurst, ownerBurst := o.repoBurst, o.ownerBurst
	if repoBurst == 0 {
		repoBurst = o.burstCount * repoBurstFactor
	}
	if ownerBurst == 0 {
		ownerBurst = o.burstCount * ownerBurstFactor
	}
	return &Detector{
		out: out, learn: o.learnEvents, burstN: o.burstCount, burstWin: o.burstWindow,
		workStart: o.workStart, workEnd: o.workEnd, loc: o.location, maxIDs: o.maxIdentities, maxPairs: o.maxPairs,
		now: o.now, maxSkew: o.maxSkew, repoBurst: repoBurst, ownerBurst: ownerBurst, logger: o.logger,
		ids: map[digest]*list.Element{}, lru: list.New(), learning: list.New(),
	}, nil
}

// WithMaxClockSkew sets how far from the detector's clock ([WithClock]) an
// event's Time may lie (default [DefaultMaxClockSkew]): [NewDetector]
// counts an event dated earlier or later at that bound, so that a skewed
// or lying producer cannot date events where no burst window counts them.
// Allow for the time events take to reach the detector.
func WithMaxClockSkew(d time.Duration) Option {
	return Option{"WithMaxClockSkew", forDetector, func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("want d > 0, got %v", d)
		}
		o.maxSkew = d
		return nil
	}}
}

// WithEventTimeTrustedUnsafe makes [NewDetector] take events' times as
// they come, however far from its clock: a producer (or replica) whose
// clock is skewed, or that lies, can then date its events where no burst
// window counts them and hide the bursts of others. Only for replaying a
// history whose times are trusted and whose storage times are lost.
func WithEventTimeTrustedUnsafe() Option {
	return Option{"WithEventTimeTrustedUnsafe", forDetector, func(o *options) error {
		o.maxSkew = 0
		return nil
	}}
}

// WithRepositoryBurst makes [NewDetector] raise a burst anomaly when the
// identities of one repository together emit more than count events
// within WithBurst's window (default 5 times WithBurst's count).
func WithRepositoryBurst(count int) Option {
	return Option{"WithRepositoryBurst", forDetector, func(o *options) error {
		if count < 1 {
			return fmt.Errorf("want count >= 1, got %d", count)
		}
		o.repoBurst = count
		return nil
	}}
}

// WithOwnerBurst makes [NewDetector] raise a burst anomaly when the
// identities of the repositories of one owner (an organization, a
// namespace) together emit more than count events within WithBurst's
// window (default 20 times WithBurst's count).
func WithOwnerBurst(count int) Option {
	return Option{"WithOwnerBurst", forDetector, func(o *options) error {
		if count < 1 {
			return fmt.Errorf("want count >= 1, got %d", count)
		}
		o.ownerBurst = count
		return nil
	}}
}

// WithLearning sets how many events of an identity [NewDetector] observes
// before raising first_seen and off_hours anomalies for it (default 20).
func WithLearning(events int) Option {
	return Option{"WithLearning", forDetector, func(o *options) error {
		if events < 0 {
			return fmt.Errorf("want events >= 0, got %d", events)
		}
		o.learnEvents = events
		return nil
	}}
}

// WithBurst makes [NewDetector] raise a burst anomaly when an identity emits
// more than count events within window (default 100 per minute).
func WithBurst(count int, window time.Duration) Option {
	return Option{"WithBurst", forDetector, func(o *options) error {
		if count < 1 || window <= 0 {
			return fmt.Errorf("want count >= 1 and window > 0, got %d, %v", count, window)
		}
		o.burstCount, o.burstWindow = count, window
		return nil
	}}
}

// WithWorkingHours sets [NewDetector]'s working hours: Monday to Friday,
// from hour start (inclusive) to hour end (exclusive) in loc (default 7–19
// UTC).
func WithWorkingHours(start, end int, loc *time.Location) Option {
	return Option{"WithWorkingHours", forDetector, func(o *options) error {
		if start < 0 || end > 24 || start >= end || loc == nil {
			return fmt.Errorf("want 0 <= start < end <= 24 and a location, got %d, %d", start, end)
		}
		o.workStart, o.workEnd, o.location = start, end, loc
		return nil
	}}
}

// WithMaxIdentities bounds the profiles [NewDetector] keeps, identities'
// and repositories' together (default 100000). When it is reached, the
// least recently seen profile still in its learning period is evicted, or,
// if every profile is learned, the least recently seen one; an evicted
// identity is relearned if it returns, judged by its repository's profile
// meanwhile. So events under many fresh ids (one per branch, say) displace
// each other, not the learned profiles: evicting one of those takes as
// many learned profiles, WithLearning events each.
func WithMaxIdentities(n int) Option {
	return Option{"WithMaxIdentities", forDetector, func(o *options) error {
		if n < 1 {
			return fmt.Errorf("want n >= 1, got %d", n)
		}
		o.maxIdentities = n
		return nil
	}}
}

// WithMaxPairs bounds the (action, resource) pairs [NewDetector] remembers
// per identity (default 1000); beyond it, new pairs are still reported but
// not remembered.
func WithMaxPairs(n int) Option {
	return Option{"WithMaxPairs", forDetector, func(o *options) error {
		if n < 1 {
			return fmt.Errorf("want n >= 1, got %d", n)
		}
		o.maxPairs = n
		return nil
	}}
}

// Write observes e and writes any anomalies to the output sink. It returns
// the output sink's error, if any. Events from [SourceDetector] are ignored.
func (d *Detector) Write(ctx context.Context, e Event) error {
	if e.Source == SourceDetector {
		return nil
	}
	if err := e.Validate(); err != nil {
		return err
	}
	anomalies := d.observe(e)
	for _, a := range anomalies {
		if err := d.out.Write(ctx, a); err != nil {
			return fmt.Errorf("audit: detector: %w", err)
		}
	}
	return nil
}

func (d *Detector) observe(e Event) []Event {
	d.mu.Lock()
	defer d.mu.Unlock()
	// The event's time, bounded by the detector's clock: a producer's
	// clock is not trusted to place events where windows count them.
	eventTime := e.Time
	clamped := false
	if d.maxSkew > 0 {
		ref := d.now()
		switch lo, hi := ref.Add(-d.maxSkew), ref.Add(d.maxSkew); {
		case e.Time.Before(lo):
			e.Time, clamped = lo, true
		case e.Time.After(hi):
			e.Time, clamped = hi, true
		}
		if clamped {
			d.logger.Warn("audit detector: event time outside the clock skew bound, clamped",
				"event", clip.Quote(e.ID, 256), "actor", clip.Quote(e.Actor.ID, 256), "source", clip.Quote(e.Source, 256),
				"event_time", eventTime, "reference", ref, "max_skew", d.maxSkew)
		}
	}
	who := digestOf(e.Actor.ID)
	p := d.profile(who)
	// The repository's profile judges an identity still in its learning
	// period: a new branch (a new subject) of a known repository is a new
	// identity, not a new repository.
	var r, w *profile
	scope, repo, owner := repositoryKey(e.Actor)
	if repo != "" {
		r = d.profile(digestOf("repository", scope, repo), p)
	}
	if owner != "" {
		w = d.profile(digestOf("owner", scope, owner), p, r)
	}
	var out []Event
	raise := func(rule, reason string, attrs map[string]string) Event {
		if clamped {
			attrs[AttrEventTime] = eventTime.UTC().Format(time.RFC3339Nano)
		}
		return d.anomaly(e, rule, reason, attrs)
	}
	learned := p.seen >= d.learn
	repoJudges := !learned && r != nil && r.seen >= d.learn
	detail := map[string]string{}

	// first_seen
	k := digestOf(e.Action, e.Resource)
	_, idKnows := p.pairs[k]
	repoKnows := true
	if r != nil {
		_, repoKnows = r.pairs[k]
	}
	switch {
	case idKnows:
	case learned:
		out = append(out, raise(RuleFirstSeen,
			fmt.Sprintf("%s used action %q on resource %q for the first time in %d events", e.Actor.ID, e.Action, e.Resource, p.seen),
			map[string]string{"known_pairs": strconv.Itoa(len(p.pairs)), "history_events": strconv.Itoa(p.seen)}))
	case repoJudges && !repoKnows:
		out = append(out, raise(RuleFirstSeen,
			fmt.Sprintf("%s, new to its repository, used action %q on resource %q, which the repository had not used in %d events", e.Actor.ID, e.Action, e.Resource, r.seen),
			map[string]string{AttrProfile: ProfileRepository, "known_pairs": strconv.Itoa(len(r.pairs)), "history_events": strconv.Itoa(r.seen)}))
	}
	if !idKnows && len(p.pairs) < d.maxPairs {
		p.pairs[k] = struct{}{}
	}
	if r != nil && !repoKnows && len(r.pairs) < d.maxPairs {
		r.pairs[k] = struct{}{}
	}

	// burst: per identity, and per repository and owner, so that events
	// spread over an owner's repositories or a repository's branches
	// (identities) are counted together.
	if n, firstIn, hit := d.burst(p, e.Time, who, d.burstN); hit {
		out = append(out, raise(RuleBurst,
			fmt.Sprintf("%s emitted more than %d events within %v", e.Actor.ID, d.burstN, d.burstWin),
			map[string]string{"window": d.burstWin.String(), "threshold": strconv.Itoa(d.burstN), "first_in_window": firstIn.UTC().Format(time.RFC3339Nano), "events_in_window": strconv.Itoa(n)}))
	}
	for _, g := range []struct {
		q       *profile
		n       int
		profile string
	}{{r, d.repoBurst, ProfileRepository}, {w, d.ownerBurst, ProfileOwner}} {
		if g.q == nil {
			continue
		}
		if n, firstIn, hit := d.burst(g.q, e.Time, who, g.n); hit {
			a := raise(RuleBurst,
				fmt.Sprintf("%s took its %s past %d events within %v", e.Actor.ID, g.profile, g.n, d.burstWin),
				map[string]string{AttrProfile: g.profile, "window": d.burstWin.String(), "threshold": strconv.Itoa(g.n), "first_in_window": firstIn.UTC().Format(time.RFC3339Nano), "events_in_window": strconv.Itoa(n)})
			a.ID += "/" + g.profile
			out = append(out, a)
		}
	}

	// off_hours
	t := e.Time.In(d.loc)
	off := t.Weekday() == time.Saturday || t.Weekday() == time.Sunday || t.Hour() < d.workStart || t.Hour() >= d.workEnd
	if off {
		// judge is the history the event is compared with: the identity's
		// once learned, its repository's while the identity learns.
		judge := p
		if repoJudges {
			judge = r
		}
		if (learned || repoJudges) && judge.offHours*20 < judge.seen {
			detail["local_time"] = t.Format("Mon 15:04 MST")
			detail["working_hours"] = fmt.Sprintf("Mon-Fri %02d:00-%02d:00 %s", d.workStart, d.workEnd, d.loc)
			detail["off_hours_history"] = fmt.Sprintf("%d/%d", judge.offHours, judge.seen)
			whose := "its"
			if repoJudges {
				detail[AttrProfile] = ProfileRepository
				whose = "its repository's"
			}
			out = append(out, raise(RuleOffHours,
				fmt.Sprintf("%s acted at %s, outside working hours; %d of %s %d earlier events were", e.Actor.ID, t.Format("Mon 15:04 MST"), judge.offHours, whose, judge.seen),
				detail))
		}
		p.offHours++
		if r != nil {
			r.offHours++
		}
	}
	for _, q := range []*profile{p, r, w} {
		if q == nil {
			continue
		}
		q.seen++
		if q.lel != nil && q.seen >= d.learn {
			d.learning.Remove(q.lel)
			q.lel = nil
		}
	}
	return out
}

// burst records the event of who at t0 in q's recent events and reports
// whether it starts a burst of more than limit events in a window: n is
// the most events in a window holding t0, firstIn the first of them.
// recent is kept in time order and the windows that count are those that
// hold the event, whatever order events arrive in: events from replicas
// whose clocks disagree neither count in windows they are not in nor pin
// the ones they arrive among (an event dated an hour ahead, kept first,
// once made any limit later events a burst, however slow). The latest
// event drops what its window leaves out, which keeps the memory of a
// steady stream small; the rest is bounded to limit+1 entries, those
// farthest in time from the event going first. A burst is raised once,
// and re-armed once the rate has halved.
//
// A repository's or owner's burst is raised on an event of an identity
// that emitted at least as many of the window's events as any other (the
// event that crosses the threshold waits otherwise): the anomaly names
// that identity, which an [Escalator] may quarantine, and another
// identity of the repository or owner must not be named for a burst
// someone else made by acting once at the wrong moment.
func (d *Detector) burst(q *profile, t0 time.Time, who digest, limit int) (n int, firstIn time.Time, hit bool) {
	j := sort.Search(len(q.recent), func(i int) bool { return q.recent[i].at.After(t0) })
	q.recent = slices.Insert(q.recent, j, stamp{t0, who})
	lo := sort.Search(j, func(i int) bool { return q.recent[i].at.After(t0.Add(-d.burstWin)) })
	// n is the most events in a window that holds the event: one that
	// starts at an event in (t0-burstWin, t0], [bi, bk) in recent.
	firstIn = t0
	bi, bk := j, j+1
	for i, k := lo, j; i <= j; i++ {
		end := q.recent[i].at.Add(d.burstWin)
		for k < len(q.recent) && q.recent[k].at.Before(end) {
			k++
		}
		if k-i > n {
			n, firstIn, bi, bk = k-i, q.recent[i].at, i, k
		}
	}
	top := n > limit && !q.inBurst && topContributor(q.recent[bi:bk], who)
	if j == len(q.recent)-1 { // the latest event: what its window left out is stale
		q.recent = slices.Delete(q.recent, 0, lo)
	}
	for len(q.recent) > limit+1 {
		if t0.Sub(q.recent[0].at) >= q.recent[len(q.recent)-1].at.Sub(t0) {
			q.recent = slices.Delete(q.recent, 0, 1)
		} else {
			q.recent = q.recent[:len(q.recent)-1]
		}
	}
	switch {
	case top:
		q.inBurst = true
		return n, firstIn, true
	case n <= max(limit/2, 1):
		// Re-armed once the rate has halved; at least when the event is
		// alone in its window, or with WithBurst(1, w) (half of one is
		// zero, and the window always holds the event) an identity that
		// burst once would never be reported again.
		q.inBurst = false
	}
	return n, firstIn, false
}

// topContributor reports whether who emitted at least as many of window's
// events as any other identity.
func topContributor(window []stamp, who digest) bool {
	counts := make(map[digest]int, len(window))
	most := 0
	for _, s := range window {
		counts[s.who]++
		most = max(most, counts[s.who])
	}
	return counts[who] == most
}

// repositoryKey returns what keys the repository and owner profiles of an
// event's actor: the scope its claims come from (the issuer, the part of
// an "<issuer>#<subject>" id before its first '#', which an issuer URL
// cannot hold; the trust domain of a SPIFFE ID), the platform's immutable
// repository id, or its name when the claims carry no id, and the
// owner's immutable id ("repository_owner_id", which claims normalise
// GitLab's namespace_id to), or the repository name's part before its
// last '/'. repo or owner is empty when the claims name none.
func repositoryKey(a Actor) (scope, repo, owner string) {
	name := a.Claims["repository"]
	switch {
	case a.Claims["repository_id"] != "":
		repo = "id:" + a.Claims["repository_id"]
	case name != "":
		repo = "name:" + name
	}
	switch i := strings.LastIndexByte(name, '/'); {
	case a.Claims["repository_owner_id"] != "":
		owner = "id:" + a.Claims["repository_owner_id"]
	case i > 0:
		owner = "name:" + name[:i]
	}
	scope, _, _ = strings.Cut(a.ID, "#")
	if rest, isSPIFFE := strings.CutPrefix(a.ID, "spiffe://"); isSPIFFE {
		td, _, _ := strings.Cut(rest, "/")
		scope = "spiffe://" + td
	}
	return scope, repo, owner
}

// profile returns the profile keyed id, made (learning) if there is none.
// Making one may evict another, never one of keep: nil if those are the
// only profiles that could go (WithMaxIdentities(1)), so that the
// repository's and owner's profiles never evict the identity's they are
// fetched beside.
func (d *Detector) profile(id digest, keep ...*profile) *profile {
	if el, ok := d.ids[id]; ok {
		d.lru.MoveToFront(el)
		p := el.Value.(*profile)
		if p.lel != nil {
			d.learning.MoveToFront(p.lel)
		}
		return p
	}
	if d.lru.Len() >= d.maxIDs && !d.evict(keep) {
		return nil
	}
	p := &profile{id: id, pairs: map[digest]struct{}{}}
	d.ids[id] = d.lru.PushFront(p)
	if d.learn > 0 {
		p.lel = d.learning.PushFront(p)
	}
	return p
}

// evict drops the least recently seen profile still learning or, when
// none is, the least recently seen one; never one of keep. It reports
// whether it dropped one.
func (d *Detector) evict(keep []*profile) bool {
	pick := func(l *list.List) *list.Element {
		for el := l.Back(); el != nil; el = el.Prev() {
			if !slices.Contains(keep, el.Value.(*profile)) {
				return el
			}
		}
		return nil
	}
	var p *profile
	if el := pick(d.learning); el != nil {
		p = el.Value.(*profile)
		d.learning.Remove(el)
		p.lel = nil
	} else if el := pick(d.lru); el != nil {
		p = el.Value.(*profile)
	} else {
		return false
	}
	d.lru.Remove(d.ids[p.id])
	delete(d.ids, p.id)
	return true
}

func (d *Detector) anomaly(trigger Event, rule, reason string, attrs map[string]string) Event {
	a := map[string]string{AttrRule: rule, AttrTriggerEvent: trigger.ID, "trigger_action": trigger.Action}
	for k, v := range attrs {
		a[k] = v
	}
	return fitAnomaly(Event{
		ID:          trigger.ID + "/" + rule,
		Time:        trigger.Time,
		Source:      SourceDetector,
		Action:      ActionAnomalyPrefix + rule,
		Outcome:     OutcomeSuccess,
		Actor:       trigger.Actor,
		Resource:    trigger.Resource,
		Reason:      reason,
		Correlation: trigger.Correlation,
		Attributes:  a,
	})
}

// anomalyTextCap bounds each text an oversized anomaly copies from its
// trigger.
const anomalyTextCap = 1 << 10

// fitAnomaly returns a, or, when a does not encode within [MaxEventSize],
// a with the texts it copies from its trigger cut to anomalyTextCap bytes
// and its claims dropped: what the escalator and an operator need (its id,
// Actor.ID, rule and trigger id) is kept whole. Encoding escapes a byte to
// at most 6, so the cut parts add at most a few tens of KiB to the id and
// Actor.ID the trigger already held within the limit.
func fitAnomaly(a Event) Event {
	if _, err := Encode(a); err == nil {
		return a
	}
	a.Reason = capText(a.Reason)
	a.Resource = capText(a.Resource)
	a.Actor = Actor{ID: a.Actor.ID, Kind: capText(a.Actor.Kind)}
	a.Correlation = Correlation{JobID: capText(a.Correlation.JobID), RunID: capText(a.Correlation.RunID), TraceID: capText(a.Correlation.TraceID)}
	attrs := make(map[string]string, len(a.Attributes)+1)
	for k, v := range a.Attributes {
		if k != AttrRule && k != AttrTriggerEvent {
			v = capText(v)
		}
		attrs[k] = v
	}
	attrs[AttrTruncated] = "true"
	a.Attributes = attrs
	return a
}

// capText cuts s to at most anomalyTextCap bytes on a rune boundary,
// marking the cut with an ellipsis.
func capText(s string) string {
	if len(s) <= anomalyTextCap {
		return s
	}
	return clip.String(s, anomalyTextCap-len("…"))
}
