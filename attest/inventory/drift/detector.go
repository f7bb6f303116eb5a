package drift

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/internal/clip"
)

// Audit vocabulary of drift events.
const (
	// Source is the audit Source of every drift event.
	Source = "ztci/attest/inventory/drift"
	// ActionAdvisory: an admitted artifact is affected by a vulnerability
	// advisory.
	ActionAdvisory = "inventory.drift.advisory"
	// ActionBuilderRevoked: an admitted artifact was built by a builder
	// that has since been revoked.
	ActionBuilderRevoked = "inventory.drift.builder_revoked"
	// ActionSignerRevoked: an admitted artifact's decision relied on an
	// attestation signed by a certificate SAN or a key that has since been
	// revoked.
	ActionSignerRevoked = "inventory.drift.signer_revoked"
)

// DefaultSeenLimit is the default bound of the seen-set (see
// [WithSeenLimit]).
const DefaultSeenLimit = 1 << 16

// maxListed bounds the packages, aliases and decision ids one event lists
// (the event says how many there are), keeping events far below
// audit.MaxEventSize.
const maxListed = 16

// Option configures [New].
type Option func(*config) error

type config struct {
	log       *slog.Logger
	observe   func(Change)
	now       func() time.Time
	seenLimit int
	// maxQueries bounds the distinct inventory queries of one call.
	maxQueries int
}

// WithLogger sets the diagnostics logger (default: silent). Skips and
// incomplete answers are logged at warn level; they are also in the
// [Report].
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrConfig)
		}
		c.log = l
		return nil
	}
}

// WithObserver calls f with every change once its audit event was
// written: the hook for a metric (a counter of drifted artifacts, a
// histogram of [Change.Latency], the MTTD). f runs synchronously in the
// detecting goroutine and must not block.
func WithObserver(f func(Change)) Option {
	return func(c *config) error {
		if f == nil {
			return fmt.Errorf("%w: nil observer", ErrConfig)
		}
		c.observe = f
		return nil
	}
}

// WithClock sets the clock that stamps events (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrConfig)
		}
		c.now = now
		return nil
	}
}

// WithSeenLimit bounds the seen-set: the (artifact, cause) pairs already
// reported, remembered so that a record delivered again emits nothing
// (default [DefaultSeenLimit]). When full, the oldest pair is forgotten; a
// forgotten pair reported again carries the same event id, so a sink that
// de-duplicates by id still records it once.
func WithSeenLimit(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: seen limit %d, want at least 1", ErrConfig, n)
		}
		c.seenLimit = n
		return nil
	}
}

// DefaultMaxQueries is the default of [WithMaxQueries].
const DefaultMaxQueries = 10_000

// WithMaxQueries bounds the distinct inventory queries one call runs
// (default [DefaultMaxQueries]): an advisory's (one per affected package
// and chunk of its versions) or an affected or under_investigation VEX
// statement's (one per product). Each query may return up to
// [inventory.MaxLimit] admissions, so a record or statement naming
// hundreds of thousands of packages or products could hold a call for
// hours. Identical queries of one call run once. Past the bound the rest
// are not run and the call returns [ErrTooManyQueries] (an
// [ErrIncomplete]): an advisory after emitting what the others found, a
// contrary VEX statement after being applied to every artifact (as a
// product the index cannot search), a not_affected or fixed statement
// lifting nothing.
func WithMaxQueries(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: max queries %d, want at least 1", ErrConfig, n)
		}
		c.maxQueries = n
		return nil
	}
}

// Detector finds the admitted artifacts a new advisory or revocation makes
// non-compliant and emits one audit event per artifact. It is safe for
// concurrent use.
type Detector struct {
	store inventory.Store
	sink  audit.Sink
	cfg   config

	mu      sync.Mutex
	seen    map[string]struct{}
	order   []string // ring of seen keys, oldest at head
	head    int
	pending map[string]struct{}
	// contrary sums up the contrary VEX statements applied, by artifact
	// and vulnerability id (bounded by the seen limit, oldest forgotten).
	contrary      map[string]*contraryMark
	contraryOrder []string
	contraryHead  int
}

// New returns a Detector reading store and writing drift events to sink.
// Both are required.
func New(store inventory.Store, sink audit.Sink, opts ...Option) (*Detector, error) {
	if store == nil || sink == nil {
		return nil, fmt.Errorf("%w: a store and a sink are required", ErrConfig)
	}
	cfg := config{log: slog.New(slog.DiscardHandler), now: time.Now, seenLimit: DefaultSeenLimit, maxQueries: DefaultMaxQueries}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrConfig)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	return &Detector{store: store, sink: sink, cfg: cfg, seen: map[string]struct{}{}, pending: map[string]struct{}{}, contrary: map[string]*contraryMark{}}, nil
}

// Change is one admitted artifact that became non-compliant, as reported
// in an audit event.
type Change struct {
	// EventID is the audit event's id, derived from (action, digest,
	// cause): the same change always has the same id.
	EventID string
	// Action is [ActionAdvisory], [ActionBuilderRevoked] or
	// [ActionSignerRevoked].
	Action string
	// Cause is the advisory id, the revoked builder id, or "san:<SAN>" /
	// "key:<key id>" for a revoked signer.
	Cause string
	// Digest is the artifact.
	Digest string
	// Admissions are the artifact's matching admissions, newest first;
	// Admissions[0] is the decision the event names first.
	Admissions []inventory.Admission
	// Packages are the artifact's packages the advisory affects (none for
	// a revocation). A package with Unordered set may be affected: its
	// version could not be ordered.
	Packages []inventory.Package
	// Arrived is when the record arrived, Detected the event's time;
	// Latency = Detected − Arrived, the time to detection.
	Arrived, Detected time.Time
	Latency           time.Duration
}

// Report is the outcome of one detection.
type Report struct {
	// Cause is the change's cause (see [Change.Cause]).
	Cause string
	// Withdrawn is set for a withdrawn advisory: nothing was queried.
	Withdrawn bool
	// Changes are the artifacts reported now, one audit event each.
	Changes []Change
	// Already counts affected artifacts reported before for this cause
	// (in the seen-set, or being reported concurrently): no event now.
	Already int
	// Skipped are the parts of the advisory no query covered.
	Skipped []Skip
	// Unevaluated are the decision ids of admissions a policy revision
	// could not be re-run on, because the index did not keep their policy
	// input (see [Detector.PolicyRevision]).
	Unevaluated []string
	// Superseded counts the artifacts a not_affected or fixed statement
	// covers but does not lift: a contrary statement this Detector applied
	// (affected, under_investigation) is not older by both its timestamp
	// and its last change, as the deploy policy decides (see [Detector.VEX]).
	Superseded int
}

// Advisory detects the admitted artifacts advisory a affects and emits one
// [ActionAdvisory] event per artifact not reported before for a.ID.
// arrived is when the record reached the caller (zero: now); each change's
// Latency is measured from it.
//
// All queries run before any event is written: an inventory error returns
// [ErrStore] and emits nothing. A sink error returns [ErrAudit] with the
// report of the changes emitted before it; calling again emits the rest.
// An inventory answer cut at [inventory.MaxLimit], or an advisory needing
// more distinct queries than [WithMaxQueries] allows ([ErrTooManyQueries]),
// returns [ErrIncomplete] after emitting the changes it found. Skips are
// not errors: they are in the report and the log.
func (d *Detector) Advisory(ctx context.Context, a *Advisory, arrived time.Time) (Report, error) {
	if a == nil {
		return Report{}, fmt.Errorf("%w: nil advisory", ErrInvalidInput)
	}
	if arrived.IsZero() {
		arrived = d.cfg.now()
	}
	rep := Report{Cause: a.ID}
	if !a.Withdrawn.IsZero() {
		rep.Withdrawn = true
		d.cfg.log.InfoContext(ctx, "drift: advisory withdrawn, nothing to detect", "advisory", a.ID)
		return rep, nil
	}
	hits, skips, incomplete, err := d.advisoryHits(ctx, a)
	rep.Skipped = skips
	if err != nil {
		return rep, err
	}
	err = d.emit(ctx, &rep, ActionAdvisory, a.ID, hits, arrived, func(c Change) audit.Event { return advisoryEvent(a, c) })
	if err != nil {
		return rep, err
	}
	if incomplete != nil {
		d.cfg.log.WarnContext(ctx, "drift: advisory detection incomplete", "advisory", a.ID, "err", incomplete)
		return rep, incomplete
	}
	return rep, nil
}

// advisoryHits runs the queries of advisory a and groups the admissions
// they find by artifact; skips are logged. An inventory error is [ErrStore].
// incomplete is non-nil when the hits may miss admissions: an answer cut
// at the limit ([ErrIncomplete]), or more distinct queries than the
// Detector runs in one call ([ErrTooManyQueries]).
func (d *Detector) advisoryHits(ctx context.Context, a *Advisory) (h *hits, skips []Skip, incomplete, err error) {
	qs, skips := a.Queries()
	for _, s := range skips {
		d.cfg.log.WarnContext(ctx, "drift: part of an advisory not matched", "advisory", a.ID, "skip", s.String())
	}
	h = newHits()
	truncated := false
	run := newQuerySet(d.cfg.maxQueries)
	for _, q := range qs {
		_, fresh, ok := run.add(q)
		if !ok {
			break
		}
		if !fresh {
			continue // an identical query ran already: same answer
		}
		res, err := d.store.Query(ctx, q)
		if err != nil {
			return nil, skips, nil, fmt.Errorf("%w: advisory %s: %w", ErrStore, a.ID, err)
		}
		truncated = truncated || res.Truncated
		for _, adm := range res.Admissions {
			h.add(adm)
		}
	}
	switch {
	case run.full:
		d.cfg.log.WarnContext(ctx, "drift: too many inventory queries, advisory not fully searched", "advisory", a.ID, "max_queries", d.cfg.maxQueries)
		incomplete = fmt.Errorf("%w: advisory %s needs more than %d queries", ErrTooManyQueries, a.ID, d.cfg.maxQueries)
	case truncated:
		incomplete = fmt.Errorf("%w: advisory %s", ErrIncomplete, a.ID)
	}
	return h, skips, incomplete, nil
}

// querySet is the distinct inventory queries of one call, at most max of
// them ([WithMaxQueries]).
type querySet struct {
	max  int
	n    int // distinct queries entered
	seen map[string]int
	full bool // a query past max was refused
}

func newQuerySet(limit int) *querySet { return &querySet{max: limit, seen: map[string]int{}} }

// add enters q and returns its index among the distinct queries entered;
// fresh when no identical query was entered before. ok is false when q is
// new and max distinct queries were entered already (full is then set).
func (s *querySet) add(q inventory.Query) (i int, fresh, ok bool) {
	b, err := json.Marshal(q) // strings, slices of them, a bool, an int: cannot fail
	if err == nil {
		if i, dup := s.seen[string(b)]; dup {
			return i, false, true
		}
	}
	if s.n >= s.max {
		s.full = true
		return -1, false, false
	}
	i, s.n = s.n, s.n+1
	if err == nil {
		s.seen[string(b)] = i
	}
	return i, true, true
}

// Revocation says a builder may no longer be trusted.
type Revocation struct {
	// Builder is the SLSA builder id as the gate recorded it. An id
	// without "@" also names that builder at every "@<ref>" (a
	// slsa-github-generator workflow at any tag), as the gate's builder
	// revocation matches it ([inventory.BuilderSelects]). Required.
	Builder string
	// Since limits the revocation to admissions at or after it (zero:
	// every admission). An artifact admitted before Since was built
	// before Since, so a revocation effective from a known compromise
	// time leaves it out.
	Since time.Time
	// Reason is a non-secret sentence for the audit event.
	Reason string
}

// RevokedBuilder detects the admitted artifacts built by r.Builder (at
// any "@<ref>" when it names none, as the gate's mark revokes it) and
// emits one [ActionBuilderRevoked] event per artifact not reported before
// for that builder, under the same error contract as [Detector.Advisory].
func (d *Detector) RevokedBuilder(ctx context.Context, r Revocation, arrived time.Time) (Report, error) {
	q := inventory.Query{Builder: r.Builder, Limit: inventory.MaxLimit}
	if _, err := inventory.Compile(q); r.Builder == "" || err != nil {
		return Report{}, fmt.Errorf("%w: a revocation needs a builder id (printable, at most %d bytes)", ErrInvalidInput, inventory.MaxFieldLen)
	}
	if !printable(r.Reason, inventory.MaxFieldLen) {
		return Report{}, fmt.Errorf("%w: revocation reason not printable or longer than %d bytes", ErrInvalidInput, inventory.MaxFieldLen)
	}
	return d.revoked(ctx, q, r.Since, ActionBuilderRevoked, r.Builder, "builder "+strconv.Quote(clip.String(r.Builder, 64)), arrived,
		func(c Change) audit.Event { return revocationEvent(r, c) })
}

// SignerRevocation says a signing identity may no longer be trusted.
// Exactly one of SAN and KeyID is set, matched as the gate's revocation
// lists match (gate.Revocations Signers and Keys): a certificate's subject
// alternative name whatever its issuer, or a keyed signature's key id as
// the gate records it (the verify.KeyFingerprint of the key that verified
// the bundle), byte for byte.
type SignerRevocation struct {
	// SAN is the revoked certificate identity.
	SAN string
	// KeyID is the revoked key's id: its verify.KeyFingerprint, as the
	// gate records admissions.
	KeyID string
	// Since limits the revocation to admissions at or after it (zero:
	// every admission): an attestation a decision relied on was signed
	// before the decision.
	Since time.Time
	// Reason is a non-secret sentence for the audit event.
	Reason string
}

// cause is the revocation's cause: "san:<SAN>" or "key:<key id>", so a SAN
// and a key id with the same text are different causes.
func (r SignerRevocation) cause() string {
	if r.SAN != "" {
		return "san:" + r.SAN
	}
	return "key:" + r.KeyID
}

// RevokedSigner detects the admitted artifacts whose decision relied on an
// attestation signed by r's SAN or key (as the index recorded the
// decision's signers, inventory.Admission.Signers) and emits one
// [ActionSignerRevoked] event per artifact not reported before for that
// signer, under the same error contract as [Detector.Advisory]. Report.Cause
// is "san:<SAN>" or "key:<key id>". Admissions recorded before the index
// kept signers list none and are not found: the report cannot say they
// are unaffected.
func (d *Detector) RevokedSigner(ctx context.Context, r SignerRevocation, arrived time.Time) (Report, error) {
	q := inventory.Query{Signer: r.SAN, KeyID: r.KeyID, Limit: inventory.MaxLimit}
	if _, err := inventory.Compile(q); (r.SAN == "") == (r.KeyID == "") || err != nil {
		return Report{}, fmt.Errorf("%w: a signer revocation needs exactly one of a SAN and a key id (printable, at most %d bytes)", ErrInvalidInput, inventory.MaxFieldLen)
	}
	if !printable(r.Reason, inventory.MaxFieldLen) {
		return Report{}, fmt.Errorf("%w: revocation reason not printable or longer than %d bytes", ErrInvalidInput, inventory.MaxFieldLen)
	}
	cause := r.cause()
	return d.revoked(ctx, q, r.Since, ActionSignerRevoked, cause, "signer "+strconv.Quote(clip.String(cause, 64)), arrived,
		func(c Change) audit.Event { return signerRevocationEvent(r, c) })
}

// revoked runs the query of a revocation and emits one event per artifact
// admitted at or after since.
func (d *Detector) revoked(ctx context.Context, q inventory.Query, since time.Time, action, cause, what string, arrived time.Time, event func(Change) audit.Event) (Report, error) {
	if arrived.IsZero() {
		arrived = d.cfg.now()
	}
	rep := Report{Cause: cause}
	res, err := d.store.Query(ctx, q)
	if err != nil {
		return Report{Cause: cause}, fmt.Errorf("%w: %s: %w", ErrStore, what, err)
	}
	hits := newHits()
	for _, adm := range res.Admissions {
		if adm.Time.Before(since) {
			continue
		}
		adm.Packages = nil // a revocation concerns the build or signature, not the contents
		hits.add(adm)
	}
	if err := d.emit(ctx, &rep, action, cause, hits, arrived, event); err != nil {
		return rep, err
	}
	if res.Truncated {
		d.cfg.log.WarnContext(ctx, "drift: inventory answer truncated", "cause", cause)
		return rep, fmt.Errorf("%w: %s", ErrIncomplete, what)
	}
	return rep, nil
}

// hits groups matching admissions by artifact, in first-seen order.
type hits struct {
	order     []string
	by        map[string]*Change
	decisions map[string]bool // decision ids added
}

func newHits() *hits { return &hits{by: map[string]*Change{}, decisions: map[string]bool{}} }

func (h *hits) add(a inventory.Admission) {
	c, ok := h.by[a.Digest]
	if !ok {
		c = &Change{Digest: a.Digest}
		h.by[a.Digest] = c
		h.order = append(h.order, a.Digest)
	}
	// Queries of one advisory may return the same admission twice (two
	// chunks of its versions); decision ids are unique in the index.
	if !h.decisions[a.DecisionID] {
		h.decisions[a.DecisionID] = true
		c.Admissions = append(c.Admissions, a)
	}
	for _, p := range a.Packages {
		if !slices.Contains(c.Packages, p) {
			c.Packages = append(c.Packages, p)
		}
	}
}

// emit writes one event per artifact of h not yet reported for cause.
func (d *Detector) emit(ctx context.Context, rep *Report, action, cause string, h *hits, arrived time.Time, event func(Change) audit.Event) error {
	return d.emitKeyed(ctx, rep, action, cause, cause, h, arrived, event)
}

// emitKeyed is emit with the event ids derived from key instead of cause.
func (d *Detector) emitKeyed(ctx context.Context, rep *Report, action, cause, key string, h *hits, arrived time.Time, event func(Change) audit.Event) error {
	for _, digest := range h.order {
		c := *h.by[digest]
		slices.SortStableFunc(c.Admissions, func(a, b inventory.Admission) int {
			if n := b.Time.Compare(a.Time); n != 0 {
				return n
			}
			return strings.Compare(a.DecisionID, b.DecisionID)
		})
		c.Action, c.Cause, c.Arrived = action, cause, arrived
		c.EventID = eventID(action, digest, key)
		if !d.reserve(c.EventID) {
			rep.Already++
			continue
		}
		c.Detected = d.cfg.now().UTC()
		c.Latency = c.Detected.Sub(arrived)
		ev := event(c)
		if err := d.sink.Write(ctx, ev); err != nil {
			d.release(c.EventID, false)
			return fmt.Errorf("%w: %s %s: %w", ErrAudit, action, digest, err)
		}
		d.release(c.EventID, true)
		rep.Changes = append(rep.Changes, c)
		if d.cfg.observe != nil {
			d.cfg.observe(c)
		}
	}
	return nil
}

// reserve claims key for reporting; false when it was reported before or
// is being reported now.
func (d *Detector) reserve(key string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.seen[key]; ok {
		return false
	}
	if _, ok := d.pending[key]; ok {
		return false
	}
	d.pending[key] = struct{}{}
	return true
}

// release ends a reservation; reported keys enter the bounded seen-set.
func (d *Detector) release(key string, reported bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.pending, key)
	if !reported {
		return
	}
	if len(d.order) < d.cfg.seenLimit {
		d.order = append(d.order, key)
	} else {
		delete(d.seen, d.order[d.head])
		d.order[d.head] = key
		d.head = (d.head + 1) % len(d.order)
	}
	d.seen[key] = struct{}{}
}

// markSeen enters key into the seen-set unless it is there or being
// reported now.
func (d *Detector) markSeen(key string) {
	if d.reserve(key) {
		d.release(key, true)
	}
}

// eventID is the deterministic id of a change, so every replica and every
// retry names the same change alike.
func eventID(action, digest, cause string) string {
	h := sha256.Sum256([]byte(action + "\x00" + digest + "\x00" + cause))
	return "drift-" + hex.EncodeToString(h[:16])
}

func baseEvent(action string, c Change) audit.Event {
	a := c.Admissions[0]
	attrs := map[string]string{
		"decision_id": a.DecisionID,
		"admitted_at": a.Time.Format(time.RFC3339Nano),
		"arrived_at":  c.Arrived.UTC().Format(time.RFC3339Nano),
		"mttd_ns":     strconv.FormatInt(c.Latency.Nanoseconds(), 10),
	}
	for k, v := range map[string]string{"image": a.Image, "builder": strings.Join(a.Builders, " "), "job": a.Job} {
		if v != "" {
			attrs[k] = v
		}
	}
	if len(c.Admissions) > 1 {
		ids := make([]string, 0, min(len(c.Admissions), maxListed))
		for _, b := range c.Admissions[:min(len(c.Admissions), maxListed)] {
			ids = append(ids, b.DecisionID)
		}
		attrs["decision_ids"] = strings.Join(ids, " ")
		attrs["decisions"] = strconv.Itoa(len(c.Admissions))
	}
	return audit.Event{
		ID: c.EventID, Time: c.Detected, Source: Source, Action: action, Outcome: audit.OutcomeFailure,
		Actor:    audit.Actor{ID: Source, Kind: "service"},
		Resource: c.Digest, PolicyRevision: a.PolicyRevision, Violations: []string{c.Cause},
		Attributes: attrs,
	}
}

func advisoryEvent(adv *Advisory, c Change) audit.Event {
	e := baseEvent(ActionAdvisory, c)
	e.Attributes["advisory_id"] = adv.ID
	e.Attributes["advisory_modified"] = adv.Modified.Format(time.RFC3339Nano)
	if len(adv.Aliases) > 0 {
		e.Attributes["advisory_aliases"] = strings.Join(adv.Aliases[:min(len(adv.Aliases), maxListed)], " ")
	}
	if adv.DatabaseSeverity != "" {
		e.Attributes["severity"] = adv.DatabaseSeverity
	}
	if len(adv.Severity) > 0 {
		e.Attributes["severity_"+strings.ToLower(adv.Severity[0].Type)] = adv.Severity[0].Score
	}
	purls := make([]string, 0, min(len(c.Packages), maxListed))
	unordered := false
	for i, p := range c.Packages {
		unordered = unordered || p.Unordered
		if i < maxListed {
			purls = append(purls, p.PURL)
		}
	}
	e.Attributes["packages"] = strings.Join(purls, " ")
	if len(c.Packages) > maxListed {
		e.Attributes["packages_total"] = strconv.Itoa(len(c.Packages))
	}
	if unordered {
		e.Attributes["unordered_version"] = "true"
	}
	e.Reason = fmt.Sprintf("admitted by decision %s; affected by advisory %s", c.Admissions[0].DecisionID, adv.ID)
	if len(purls) > 0 {
		e.Reason += " (" + purls[0] + ")"
	}
	return e
}

func revocationEvent(r Revocation, c Change) audit.Event {
	e := baseEvent(ActionBuilderRevoked, c)
	if !r.Since.IsZero() {
		e.Attributes["revoked_since"] = r.Since.UTC().Format(time.RFC3339Nano)
	}
	e.Reason = fmt.Sprintf("admitted by decision %s; built by revoked builder %s", c.Admissions[0].DecisionID, r.Builder)
	if r.Reason != "" {
		e.Reason += ": " + r.Reason
	}
	return e
}

func signerRevocationEvent(r SignerRevocation, c Change) audit.Event {
	e := baseEvent(ActionSignerRevoked, c)
	if !r.Since.IsZero() {
		e.Attributes["revoked_since"] = r.Since.UTC().Format(time.RFC3339Nano)
	}
	what := "key " + r.KeyID
	if r.SAN != "" {
		e.Attributes["revoked_san"] = r.SAN
		what = "signer " + r.SAN
		// The issuers that vouched for the SAN in this admission: the
		// revocation matches the SAN whatever its issuer, as the gate's.
		var issuers []string
		for _, sg := range c.Admissions[0].Signers {
			if sg.SAN == r.SAN && sg.Issuer != "" && !slices.Contains(issuers, sg.Issuer) && len(issuers) < maxListed {
				issuers = append(issuers, sg.Issuer)
			}
		}
		if len(issuers) > 0 {
			e.Attributes["signer_issuers"] = strings.Join(issuers, " ")
		}
	} else {
		e.Attributes["revoked_key_id"] = r.KeyID
	}
	e.Reason = fmt.Sprintf("admitted by decision %s; relied on an attestation signed by revoked %s", c.Admissions[0].DecisionID, what)
	if r.Reason != "" {
		e.Reason += ": " + r.Reason
	}
	return e
}
