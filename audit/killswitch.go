package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ztci/ztci/internal/randid"
)

// Actions of the kill switch.
const (
	// ActionCompromiseDetected is the action of events from an external
	// detector (e.g. a runtime-security alert) that [KillSwitch.Write]
	// acts on. The event names the identity in Attributes[AttrCompromisedID]
	// and may bound the mark with Attributes[AttrExpires] (RFC 3339).
	ActionCompromiseDetected = "security.compromise.detected"
	// ActionKillSwitchMark is audited when an identity is marked.
	ActionKillSwitchMark = "audit.killswitch.mark"
	// ActionKillSwitchClear is audited when a mark is lifted.
	ActionKillSwitchClear = "audit.killswitch.clear"

	AttrCompromisedID = "compromised_id"
	AttrExpires       = "expires"
)

// SourceKillSwitch is the Source of the kill switch's own events.
const SourceKillSwitch = "ztci/audit/killswitch"

// Mark records why and until when an identity is considered compromised.
type Mark struct {
	ID     string
	Reason string
	// By is who marked it: the detector's actor id or the operator.
	By    string
	Since time.Time
	// Until is when the mark lapses; zero means never.
	Until time.Time
}

// KillSwitch is a [CompromiseChecker] fed by a detector. Marking an identity
// takes effect before it is audited (denying is the safe side); lifting a
// mark takes effect only once it is audited. Every change is written to the
// audit sink given to [NewKillSwitch].
//
// KillSwitch is also a [Sink]: connect a detector's event stream to it, and
// every [ActionCompromiseDetected] event marks its identity; other events are
// ignored. The detector is trusted: whoever can write to the switch can deny
// any identity.
type KillSwitch struct {
	audit  Sink
	now    func() time.Time
	logger *slog.Logger

	mu    sync.RWMutex
	marks map[string]held
	gen   uint64 // numbers every write of a mark, for Clear's compare-and-delete
}

// held is a mark and the number of the write that last set (or re-asserted)
// it: a Clear deletes only the mark it read and audited.
type held struct {
	Mark
	gen uint64
}

var _ CompromiseChecker = (*KillSwitch)(nil)

// NewKillSwitch returns an empty kill switch auditing to audit. Options:
// [WithClock], [WithLogger].
func NewKillSwitch(audit Sink, opts ...Option) (*KillSwitch, error) {
	if audit == nil {
		return nil, fmt.Errorf("audit: NewKillSwitch: nil audit sink")
	}
	o, err := build(forKillSwitch, opts)
	if err != nil {
		return nil, err
	}
	return &KillSwitch{audit: audit, now: o.now, logger: o.logger, marks: map[string]held{}}, nil
}

// Compromised reports whether id is marked and the mark has not lapsed. A
// repository or owner mark id is matched without regard to case
// ([CanonicalMarkID]).
func (k *KillSwitch) Compromised(id string) bool {
	k.mu.RLock()
	m, ok := k.marks[CanonicalMarkID(id)]
	k.mu.RUnlock()
	return ok && (m.Until.IsZero() || k.now().Before(m.Until))
}

// Marks returns the current marks, sorted by id; lapsed marks may be
// included until the next Mark prunes them.
func (k *KillSwitch) Marks() []Mark {
	k.mu.RLock()
	defer k.mu.RUnlock()
	out := make([]Mark, 0, len(k.marks))
	for _, h := range k.marks {
		out = append(out, h.Mark)
	}
	slices.SortFunc(out, func(a, b Mark) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Mark marks id compromised for reason until until (zero: no expiry), by
// actor by. The mark is effective when Mark returns, even with an error: the
// error reports that the change could not be audited. The exception is an
// until that is not after the switch's clock: that mark would deny nobody,
// so it is refused with [ErrMarkLapsed], and nothing is set or audited.
//
// Mark never shortens a mark in force: a live mark that lasts at least as
// long (or has no expiry) is kept as it is, and the audit event names its
// expiry. Only [KillSwitch.Clear] lifts a mark, so an automatic, bounded
// quarantine ([Escalator]) cannot turn an operator's permanent mark into a
// temporary one. An id that no check could match ([CheckMarkID]: whitespace
// around it, an uppercase SPIFFE trust domain, a SPIFFE ID that SPIFFE
// libraries do not parse, a repository mark id whose prefix is not in
// lower case or that lacks the platform and slash, ...) is refused with a
// [FieldError]: ids are
// compared byte for byte, and such a mark would deny nobody. A repository
// or owner mark id ([MarkRepository], ...) is stored as [CanonicalMarkID]
// returns it: "repository:github-actions/Acme/App" denies the jobs of
// acme/app, and [KillSwitch.Marks] lists it in lower case.
func (k *KillSwitch) Mark(ctx context.Context, id, reason, by string, until time.Time) error {
	if err := CheckMarkID(id); err != nil {
		return err
	}
	return k.mark(ctx, id, reason, by, until)
}

// mark is Mark without [CheckMarkID]: [KillSwitch.Write] marks the id a
// detector saw in the audit stream, which is the id as checkers see it
// however odd it looks, and refusing it would let an identity with an odd
// id escape quarantine.
func (k *KillSwitch) mark(ctx context.Context, id, reason, by string, until time.Time) error {
	if id == "" || reason == "" || by == "" {
		return &FieldError{Field: "mark", Want: "non-empty id, reason and by", Got: id}
	}
	id = CanonicalMarkID(id)
	now := k.now()
	if !until.IsZero() && !now.Before(until) {
		// Compromised would be false from the start: auditing it as a
		// mark would record a quarantine that never denied anyone.
		return fmt.Errorf("%w: mark of %q until %s, now %s", ErrMarkLapsed, id,
			until.UTC().Format(time.RFC3339Nano), now.UTC().Format(time.RFC3339Nano))
	}
	m := Mark{ID: id, Reason: reason, By: by, Since: now, Until: until}
	k.mu.Lock()
	for other, om := range k.marks { // drop lapsed marks: the map stays bounded by live ones
		if !om.Until.IsZero() && !now.Before(om.Until) {
			delete(k.marks, other)
		}
	}
	if old, ok := k.marks[id]; ok && (old.Until.IsZero() || (!until.IsZero() && !old.Until.Before(until))) {
		m = old.Mark // live (lapsed ones were dropped above) and lasts at least as long
	}
	// A kept mark is re-asserted (and audited) too: a clear that read it
	// before must not lift it.
	k.gen++
	k.marks[id] = held{Mark: m, gen: k.gen}
	k.mu.Unlock()
	k.logger.WarnContext(ctx, "audit kill switch: identity marked compromised", "id", id, "by", by)
	attrs := map[string]string{AttrCompromisedID: id}
	if !m.Until.IsZero() {
		attrs[AttrExpires] = m.Until.UTC().Format(time.RFC3339Nano)
	}
	if err := k.audit.Write(ctx, k.event(now, ActionKillSwitchMark, by, reason, attrs)); err != nil {
		return fmt.Errorf("audit: kill switch: mark of %q is in effect but was not audited: %w", id, err)
	}
	return nil
}

// Clear lifts the mark on id (lapsed or not). It is audited first; if the
// audit fails, the mark stays and the error is returned.
//
// An id that holds no mark is refused with [ErrNotMarked], and nothing is
// audited. Clear lifts only the mark it read: when id is marked again (or
// cleared by another caller) while the clear is being audited, that mark is
// kept, a second event with [OutcomeFailure] records that the audited clear
// did not happen, and the error matches [ErrMarkChanged]. A repository or
// owner mark id is cleared in any case, as it is marked ([CanonicalMarkID]).
func (k *KillSwitch) Clear(ctx context.Context, id, reason, by string) error {
	if id == "" || reason == "" || by == "" {
		return &FieldError{Field: "clear", Want: "non-empty id, reason and by", Got: id}
	}
	id = CanonicalMarkID(id)
	now := k.now()
	k.mu.RLock()
	read, ok := k.marks[id]
	k.mu.RUnlock()
	if !ok {
		return fmt.Errorf("%w: %q", ErrNotMarked, id)
	}
	attrs := map[string]string{AttrCompromisedID: id}
	if err := k.audit.Write(ctx, k.event(now, ActionKillSwitchClear, by, reason, attrs)); err != nil {
		return fmt.Errorf("audit: kill switch: mark of %q kept, clearing could not be audited: %w", id, err)
	}
	k.mu.Lock()
	cur, ok := k.marks[id]
	lifted := ok && cur.gen == read.gen
	if lifted {
		delete(k.marks, id)
	}
	k.mu.Unlock()
	if lifted {
		return nil
	}
	return clearNotDone(ctx, k.audit, k.event(k.now(), ActionKillSwitchClear, by, reason, attrs),
		fmt.Errorf("%w: %q was marked again or cleared by another caller", ErrMarkChanged, id))
}

// clearNotDone records that a clear which was audited did not happen: it
// writes e (a new event like the clear's) with [OutcomeFailure] and why in
// its Reason, so that the log does not leave a lift standing that did not
// take place, and returns why, joined with the audit error if that write
// fails.
func clearNotDone(ctx context.Context, sink Sink, e Event, why error) error {
	e.Outcome = OutcomeFailure
	e.Reason = "not cleared (" + why.Error() + "); reason given: " + e.Reason
	if err := sink.Write(ctx, e); err != nil {
		return errors.Join(why, fmt.Errorf("audit: kill switch: the failed clear could not be audited: %w", err))
	}
	return why
}

// Write handles a detector event: an [ActionCompromiseDetected] event marks
// Attributes[AttrCompromisedID] (reason: the event's Reason or its id;
// expiry: Attributes[AttrExpires]); other actions are ignored. A malformed
// detector event is an error and marks nothing. An event whose expiry has
// already passed (a replay) marks nothing, audits nothing and returns nil,
// as an [Escalator] does for a lapsed anomaly.
func (k *KillSwitch) Write(ctx context.Context, e Event) error {
	if e.Action != ActionCompromiseDetected {
		return nil
	}
	if err := e.Validate(); err != nil {
		return err
	}
	id := e.Attributes[AttrCompromisedID]
	if id == "" {
		return &FieldError{Field: "attributes." + AttrCompromisedID, Want: "the compromised identity"}
	}
	var until time.Time
	if s, ok := e.Attributes[AttrExpires]; ok {
		t, err := ParseExpires(s)
		if err != nil {
			return err
		}
		until = t
	}
	reason := e.Reason
	if reason == "" {
		reason = "detector event " + e.ID
	}
	err := k.mark(ctx, id, reason, e.Actor.ID, until)
	if errors.Is(err, ErrMarkLapsed) {
		// A replayed or late detector event: its mark would be inert, and
		// refusing it would fail the stream that carries it.
		k.logger.InfoContext(ctx, "audit kill switch: detector event's mark already lapsed, not marking", "event", e.ID)
		return nil
	}
	return err
}

// CheckMarkID refuses an identity that a kill switch could mark but no
// check would ever match, so that a mark that protects nothing is an error
// rather than a success: ids are compared byte for byte, and the ids that
// gates and brokers ask about (SPIFFE IDs, "<issuer>#<subject>", key ids)
// never carry leading or trailing whitespace, control or invisible
// (format) characters, or invalid UTF-8, a SPIFFE ID's scheme and trust
// domain are always lowercase, and a SPIFFE ID is always one that SPIFFE
// libraries parse (no trailing slash, empty or dot segment, port, query,
// percent-encoding or character outside ASCII). A mark for
// "spiffe://Example.org/x", "spiffe://example.org/x " or
// "spiffe://example.org/x/" would be audited as in force while
// spiffe://example.org/x went on being allowed. Likewise a repository or
// owner mark id ([MarkRepository], ...) must be one [MarkIDs] can emit:
// "Repository:github-actions/acme/app" (a prefix in another case),
// "repository: github-actions/acme/app" (whitespace after the prefix or
// around the slash after the platform), "repository_id:42" (no platform
// and slash) or "repository:github-actions/" (no value) matched no job.
// A missing platform that leaves a slash ("repository:acme/app") is not
// detected: platforms are not a closed list. [KillSwitch.Mark] and
// natskill's Switch.Mark (the operator's entry points) apply it; their
// Write methods do not, since a detector's event names an id exactly as
// it appeared in the audit stream, and refusing an odd one would let that
// identity escape quarantine.
func CheckMarkID(id string) error {
	bad := func(why string) error {
		return &FieldError{Field: "mark id", Want: "an identity as checkers see it (" + why + ")", Got: id}
	}
	switch {
	case id == "":
		return bad("non-empty")
	case !utf8.ValidString(id):
		return bad("valid UTF-8")
	case strings.TrimFunc(id, unicode.IsSpace) != id:
		return bad("no leading or trailing whitespace")
	case strings.ContainsFunc(id, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }):
		return bad("no control or invisible characters")
	}
	if why := repositoryMarkIDSyntax(id); why != "" {
		return bad(why)
	}
	if len(id) >= len("spiffe://") && strings.EqualFold(id[:len("spiffe://")], "spiffe://") {
		td, _, _ := strings.Cut(id[len("spiffe://"):], "/")
		if id[:len("spiffe://")] != "spiffe://" || td != strings.ToLower(td) {
			return bad("a SPIFFE ID's scheme and trust domain in lowercase")
		}
		if !spiffeIDSyntax(id[len("spiffe://"):]) {
			return bad("a SPIFFE ID: a trust domain, and path segments that are neither empty, \".\" nor \"..\", " +
				"of ASCII letters, digits, '.', '-' and '_', without a trailing slash, port, query, fragment or percent-encoding")
		}
	}
	return nil
}

// repositoryMarkIDSyntax returns why id, when it begins with
// [MarkRepository], [MarkRepositoryID] or [MarkRepositoryOwnerID] in any
// case, is not one [MarkIDs] can emit, or "" when it is (or has no such
// prefix). MarkIDs emits the prefix in lower case (which [CanonicalMarkID]
// does not fold), then the platform, a slash and the claim's non-empty
// value, so an id with a prefix in another case, without a slash followed
// by something, or with whitespace after the prefix or on either side of
// the first slash (where a platform name or a repository name, id or owner
// id would begin or end with whitespace) matches no job. The platform may
// be empty ("repository:/acme/app") and is not checked against a list:
// the platform of a job token minted by identity/oidc is the vendor's.
func repositoryMarkIDSyntax(id string) string {
	for _, c := range markClaims {
		if len(id) < len(c.prefix) || !strings.EqualFold(id[:len(c.prefix)], c.prefix) {
			continue
		}
		if id[:len(c.prefix)] != c.prefix {
			return "the prefix " + strconv.Quote(c.prefix) + " in lower case"
		}
		platform, value, ok := strings.Cut(id[len(c.prefix):], "/")
		if !ok || value == "" {
			return "after " + strconv.Quote(c.prefix) + " a platform, a slash and a non-empty name or number"
		}
		if strings.TrimFunc(platform, unicode.IsSpace) != platform ||
			strings.TrimLeftFunc(value, unicode.IsSpace) != value {
			return "no whitespace after " + strconv.Quote(c.prefix) + " or around the slash after the platform"
		}
		return ""
	}
	return ""
}

// spiffeIDSyntax reports whether rest, a SPIFFE ID after its "spiffe://",
// is one that SPIFFE libraries parse (go-spiffe's spiffeid.FromString,
// which gates and brokers use, and which yields the id checkers compare
// byte for byte): a non-empty trust domain and a path of non-empty
// segments other than "." and "..", without a trailing slash (SPIFFE-ID
// standard, sections 2.1 and 2.2). It also takes the characters go-spiffe
// takes when built for backward compatibility (sub-delimiters, '~', and
// ':', '@', '[' and ']' in the path), so that no mark a checker could
// match is refused; anything else — a port or user info in the trust
// domain, '%', '?', '#', a space, a character outside ASCII — no
// checker ever sees in a SPIFFE ID.
func spiffeIDSyntax(rest string) bool {
	td, path, hasPath := strings.Cut(rest, "/")
	if td == "" {
		return false
	}
	for i := 0; i < len(td); i++ {
		if c := td[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' ||
			c == '~' || strings.IndexByte("!$&'()*+,;=", c) >= 0) {
			return false
		}
	}
	if !hasPath {
		return true
	}
	for seg := range strings.SplitSeq(path, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
		for i := 0; i < len(seg); i++ {
			if c := seg[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
				c == '.' || c == '-' || c == '_' || c == '~' || strings.IndexByte("!$&'()*+,;=:@[]", c) >= 0) {
				return false
			}
		}
	}
	return true
}

// ParseExpires parses the [AttrExpires] attribute of a compromise event:
// an RFC 3339 time. The zero time (0001-01-01T00:00:00Z) is refused: a
// mark's zero Until means "never lapses", so accepting it would turn the
// earliest possible expiry into a permanent mark.
func ParseExpires(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.IsZero() {
		// Not s: it is a detector event's, from the audit stream.
		return time.Time{}, &FieldError{Field: "attributes." + AttrExpires, Want: "RFC 3339 time after year 1", Got: otherText(len(s))}
	}
	return t, nil
}

func (k *KillSwitch) event(now time.Time, action, by, reason string, attrs map[string]string) Event {
	return Event{
		ID:         randid.New(),
		Time:       now.UTC(),
		Source:     SourceKillSwitch,
		Action:     action,
		Outcome:    OutcomeSuccess,
		Actor:      Actor{ID: by},
		Resource:   attrs[AttrCompromisedID],
		Reason:     reason,
		Attributes: attrs,
	}
}
