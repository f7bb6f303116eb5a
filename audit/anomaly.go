package audit

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
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
	// events from this source, so it can watch a stream it feeds.
	SourceDetector = "ztci/audit/ueba"

	AttrRule         = "rule"
	AttrTriggerEvent = "trigger_event_id"
	// AttrTruncated is "true" on an anomaly whose texts copied from its
	// trigger were cut to fit [MaxEventSize] (see [Detector]).
	AttrTruncated = "truncated"
)

// Detector is a UEBA-lite stream processor: a [Sink] that learns, per
// identity (Actor.ID), which (action, resource) pairs it uses, how often and
// when, and writes an explainable anomaly event to its output sink when:
//
//   - first_seen: after its learning period (WithLearning events), the
//     identity uses an (action, resource) pair it never used before;
//   - burst: it emits more than N events within a sliding window
//     (WithBurst); raised once per burst, re-armed when the rate halves;
//   - off_hours: after learning, it acts outside working hours
//     (WithWorkingHours, Monday to Friday) although less than 5% of its
//     history was outside them (so nightly jobs are learned, not flagged).
//
// Time is the events' own Time: the detector has no clock of its own and is
// deterministic for a given stream, so it can replay history. Anomaly events
// carry the rule, the triggering event id and the evidence in Attributes and
// a one-sentence Reason; their ID is derived from the trigger and the rule,
// so replays de-duplicate. Memory is bounded: at most WithMaxIdentities
// profiles (those still learning evicted first, least recently seen
// first) of at most WithMaxPairs pairs,
// each identity and pair remembered as a fixed-size digest, whatever the
// length of the ids, actions and resources: some 64 bytes a pair, so a
// fleet of identities each using as many resources as it likes (an
// attacker's, requesting names it makes up) can hold WithMaxIdentities
// times WithMaxPairs times 64 bytes, about 6 GiB at the defaults; size
// the two to the memory the detector may take. An anomaly repeats parts of its
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
// A profile is an identity's, not its repository's: where a CI platform
// puts names a repository chooses into the subject (a branch, an
// environment, a workflow), each new name is a new identity, with its own
// learning period (no first_seen or off_hours anomaly for its first
// WithLearning events) and its own burst count. The detector does not see
// that many such identities act for one repository; bind gates and
// brokers to subjects that a repository cannot mint at will (protected
// refs, protected environments) where that matters.
type Detector struct {
	out       Sink
	learn     int
	burstN    int
	burstWin  time.Duration
	workStart int
	workEnd   int
	loc       *time.Location
	maxIDs    int
	maxPairs  int

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
	recent   []time.Time         // timestamps within the burst window, oldest first
	inBurst  bool
	lel      *list.Element // in Detector.learning while learning, else nil
}

// NewDetector returns a detector writing anomalies to out. Options:
// [WithLearning], [WithBurst], [WithWorkingHours], [WithMaxIdentities],
// [WithMaxPairs], [WithLogger].
func NewDetector(out Sink, opts ...Option) (*Detector, error) {
	if out == nil {
		return nil, fmt.Errorf("audit: NewDetector: nil output sink")
	}
	o, err := build(forDetector, opts)
	if err != nil {
		return nil, err
	}
	return &Detector{
		out: out, learn: o.learnEvents, burstN: o.burstCount, burstWin: o.burstWindow,
		workStart: o.workStart, workEnd: o.workEnd, loc: o.location, maxIDs: o.maxIdentities, maxPairs: o.maxPairs,
		ids: map[digest]*list.Element{}, lru: list.New(), learning: list.New(),
	}, nil
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

// WithMaxIdentities bounds the profiles [NewDetector] keeps (default
// 100000). When it is reached, the least recently seen identity still in
// its learning period is evicted, or, if every profile is learned, the
// least recently seen one; an evicted identity is relearned if it returns.
// So events under many fresh ids (one per branch, say) displace each
// other, not the learned profiles: evicting one of those takes as many
// learned identities, WithLearning events each.
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
	p := d.profile(e.Actor.ID)
	var out []Event
	learned := p.seen >= d.learn
	detail := map[string]string{}

	// first_seen
	k := digestOf(e.Action, e.Resource)
	if _, ok := p.pairs[k]; !ok {
		if learned {
			out = append(out, d.anomaly(e, RuleFirstSeen,
				fmt.Sprintf("%s used action %q on resource %q for the first time in %d events", e.Actor.ID, e.Action, e.Resource, p.seen),
				map[string]string{"known_pairs": strconv.Itoa(len(p.pairs)), "history_events": strconv.Itoa(p.seen)}))
		}
		if len(p.pairs) < d.maxPairs {
			p.pairs[k] = struct{}{}
		}
	}

	// burst
	cut := e.Time.Add(-d.burstWin)
	i := 0
	for i < len(p.recent) && !p.recent[i].After(cut) {
		i++
	}
	p.recent = append(p.recent[:0], p.recent[i:]...)
	if len(p.recent) > d.burstN { // keep the window bounded
		p.recent = p.recent[len(p.recent)-d.burstN:]
	}
	p.recent = append(p.recent, e.Time)
	switch n := len(p.recent); {
	case n > d.burstN && !p.inBurst:
		p.inBurst = true
		out = append(out, d.anomaly(e, RuleBurst,
			fmt.Sprintf("%s emitted more than %d events within %v", e.Actor.ID, d.burstN, d.burstWin),
			map[string]string{"window": d.burstWin.String(), "threshold": strconv.Itoa(d.burstN), "first_in_window": p.recent[0].UTC().Format(time.RFC3339Nano)}))
	case n <= max(d.burstN/2, 1):
		// Re-armed once the rate has halved; at least when the event is
		// alone in its window, or with WithBurst(1, w) (half of one is
		// zero, and the window always holds the event) an identity that
		// burst once would never be reported again.
		p.inBurst = false
	}

	// off_hours
	t := e.Time.In(d.loc)
	off := t.Weekday() == time.Saturday || t.Weekday() == time.Sunday || t.Hour() < d.workStart || t.Hour() >= d.workEnd
	if off {
		if learned && p.offHours*20 < p.seen {
			detail["local_time"] = t.Format("Mon 15:04 MST")
			detail["working_hours"] = fmt.Sprintf("Mon-Fri %02d:00-%02d:00 %s", d.workStart, d.workEnd, d.loc)
			detail["off_hours_history"] = fmt.Sprintf("%d/%d", p.offHours, p.seen)
			out = append(out, d.anomaly(e, RuleOffHours,
				fmt.Sprintf("%s acted at %s, outside working hours; %d of its %d earlier events were", e.Actor.ID, t.Format("Mon 15:04 MST"), p.offHours, p.seen),
				detail))
		}
		p.offHours++
	}
	p.seen++
	if p.lel != nil && p.seen >= d.learn {
		d.learning.Remove(p.lel)
		p.lel = nil
	}
	return out
}

func (d *Detector) profile(actor string) *profile {
	id := digestOf(actor)
	if el, ok := d.ids[id]; ok {
		d.lru.MoveToFront(el)
		p := el.Value.(*profile)
		if p.lel != nil {
			d.learning.MoveToFront(p.lel)
		}
		return p
	}
	if d.lru.Len() >= d.maxIDs {
		d.evict()
	}
	p := &profile{id: id, pairs: map[digest]struct{}{}}
	d.ids[id] = d.lru.PushFront(p)
	if d.learn > 0 {
		p.lel = d.learning.PushFront(p)
	}
	return p
}

// evict drops the least recently seen profile still learning or, when
// none is, the least recently seen one.
func (d *Detector) evict() {
	var p *profile
	if el := d.learning.Back(); el != nil {
		p = el.Value.(*profile)
		d.learning.Remove(el)
	} else {
		p = d.lru.Back().Value.(*profile)
	}
	d.lru.Remove(d.ids[p.id])
	delete(d.ids, p.id)
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
