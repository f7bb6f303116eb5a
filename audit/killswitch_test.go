package audit

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// recorder is a Sink that keeps events and can be made to fail.
type recorder struct {
	mu     sync.Mutex
	events []Event
	fail   error
}

func (r *recorder) Write(_ context.Context, e Event) error {
	if err := e.Validate(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.events = append(r.events, e)
	return nil
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func detectorEvent(id string, attrs map[string]string) Event {
	return Event{ID: id, Time: testT0, Source: "falco", Action: ActionCompromiseDetected, Outcome: OutcomeSuccess,
		Actor: Actor{ID: "falco/runtime", Kind: "service"}, Reason: "shell spawned in build container", Attributes: attrs}
}

func TestKillSwitch(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	clk := &clock{t: testT0}
	ks, err := NewKillSwitch(rec, WithClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	var _ CompromiseChecker = ks
	const victim = "spiffe://example.org/ci/runner"
	if ks.Compromised(victim) {
		t.Fatal("compromised before any event")
	}
	// Unrelated events are ignored.
	if err := ks.Write(t.Context(), testEvent(1)); err != nil || ks.Compromised(victim) {
		t.Fatalf("unrelated event: %v", err)
	}
	// A detector event marks the identity, with expiry, and is audited.
	err = ks.Write(t.Context(), detectorEvent("d1", map[string]string{
		AttrCompromisedID: victim, AttrExpires: testT0.Add(time.Hour).Format(time.RFC3339),
	}))
	if err != nil || !ks.Compromised(victim) {
		t.Fatalf("after detector event: %v, compromised=%v", err, ks.Compromised(victim))
	}
	if len(rec.events) != 1 || rec.events[0].Action != ActionKillSwitchMark || rec.events[0].Actor.ID != "falco/runtime" ||
		rec.events[0].Resource != victim || rec.events[0].Reason != "shell spawned in build container" {
		t.Fatalf("audit events %+v", rec.events)
	}
	if m := ks.Marks(); len(m) != 1 || m[0].Until != testT0.Add(time.Hour) {
		t.Errorf("marks %+v", m)
	}
	clk.add(time.Hour)
	if ks.Compromised(victim) {
		t.Error("mark did not lapse at its expiry")
	}

	// Marking takes effect even when auditing fails (deny is the safe side).
	rec.fail = errors.New("audit down")
	if err := ks.Mark(t.Context(), "user:mallory", "stolen token", "operator:alice", time.Time{}); err == nil {
		t.Error("audit failure not reported")
	}
	if !ks.Compromised("user:mallory") {
		t.Error("mark not in effect after audit failure")
	}
	// Clearing does not take effect unless audited.
	if err := ks.Clear(t.Context(), "user:mallory", "rotated", "operator:alice"); err == nil || !ks.Compromised("user:mallory") {
		t.Errorf("clear without audit: %v, compromised=%v", err, ks.Compromised("user:mallory"))
	}
	rec.fail = nil
	if err := ks.Clear(t.Context(), "user:mallory", "rotated", "operator:alice"); err != nil || ks.Compromised("user:mallory") {
		t.Errorf("clear: %v", err)
	}
	if last := rec.events[len(rec.events)-1]; last.Action != ActionKillSwitchClear || last.Actor.ID != "operator:alice" {
		t.Errorf("last audit event %+v", last)
	}
}

func TestKillSwitchRejectsMalformed(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	ks, _ := NewKillSwitch(rec)
	tests := []struct {
		name string
		e    Event
	}{
		{"no identity", detectorEvent("d", nil)},
		{"bad expiry", detectorEvent("d", map[string]string{AttrCompromisedID: "x", AttrExpires: "tomorrow"})},
		{"invalid event", Event{Action: ActionCompromiseDetected}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := ks.Write(t.Context(), tt.e); !errors.Is(err, ErrInvalidEvent) {
				t.Errorf("got %v", err)
			}
		})
	}
	if _, err := NewKillSwitch(nil); err == nil {
		t.Error("nil audit sink accepted")
	}
	if _, err := NewKillSwitch(rec, WithBatch(1, 0)); err == nil {
		t.Error("webhook option accepted")
	}
}

// TestKillSwitchNeverShortensALiveMark: a mark that lasts longer (or for
// ever) survives a later, shorter one — only Clear lifts a mark — while a
// longer mark extends a shorter one, and a lapsed mark is replaced.
func TestKillSwitchNeverShortensALiveMark(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	clk := &clock{t: testT0}
	ks, err := NewKillSwitch(rec, WithClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	const id = "spiffe://example.org/ci/runner"
	must := func(until time.Time, by string) {
		t.Helper()
		if err := ks.Mark(ctx, id, "test", by, until); err != nil {
			t.Fatal(err)
		}
	}
	must(time.Time{}, "oncall") // permanent
	must(testT0.Add(time.Hour), SourceEscalator)
	clk.add(2 * time.Hour)
	if !ks.Compromised(id) {
		t.Fatal("a permanent mark was shortened to one hour by a later mark")
	}
	if got := rec.events[len(rec.events)-1].Attributes[AttrExpires]; got != "" {
		t.Errorf("audit of the kept mark names expiry %q, want none", got)
	}
	if err := ks.Clear(ctx, id, "false positive", "oncall"); err != nil {
		t.Fatal(err)
	}

	now := clk.now()
	must(now.Add(3*time.Hour), "oncall")
	must(now.Add(time.Hour), SourceEscalator)
	if got := ks.Marks()[0].Until; !got.Equal(now.Add(3 * time.Hour)) {
		t.Errorf("until %v after a shorter mark, want the longer %v", got, now.Add(3*time.Hour))
	}
	must(time.Time{}, "oncall") // a longer mark extends
	clk.add(4 * time.Hour)
	if !ks.Compromised(id) {
		t.Fatal("a permanent mark did not replace a shorter one")
	}
}

// TestKillSwitchRefusesUnmatchableMarks: ids are compared byte for byte, so
// a mark for an id that no checker ever asks about (whitespace around it,
// an uppercase SPIFFE scheme or trust domain, control or invisible
// characters, invalid UTF-8) is an error from Mark, not a mark audited as
// in force that denies nobody (a detector's Write still marks the id it
// saw, exactly). And an expires attribute of the zero time, which a
// Mark's Until reads as "never", is refused rather than turned into a
// permanent mark.
func TestKillSwitchRefusesUnmatchableMarks(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	clk := &clock{t: testT0}
	ks, err := NewKillSwitch(rec, WithClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{
		"spiffe://example.org/ci/job ", "\tspiffe://example.org/ci/job", "spiffe://Example.org/ci/job",
		"Spiffe://example.org/ci/job", "spiffe://example.org/ci/job\u200b", "spiffe://example.org/ci/job\u00a0",
		"https://issuer#repo:a/b\x00", "job\xff",
	} {
		if err := ks.Mark(t.Context(), id, "r", "oncall", time.Time{}); err == nil {
			t.Errorf("Mark(%q) accepted", id)
		}
	}
	if n := len(ks.Marks()); n != 0 || len(rec.events) != 0 {
		t.Fatalf("%d marks, %d audit events after refusals", n, len(rec.events))
	}
	// A detector's event names the id as it appeared in the audit stream:
	// marked exactly, however odd, so that no identity escapes quarantine
	// by its spelling.
	const odd = "https://issuer.example#sub "
	if err := ks.Write(t.Context(), detectorEvent("d", map[string]string{AttrCompromisedID: odd})); err != nil || !ks.Compromised(odd) {
		t.Fatalf("Write naming %q: %v, compromised %v", odd, err, ks.Compromised(odd))
	}
	if err := ks.Clear(t.Context(), odd, "test", "oncall"); err != nil {
		t.Fatal(err)
	}
	// Case in a SPIFFE path, and other ids, are the checker's business.
	for _, id := range []string{"spiffe://example.org/CI/Job", "https://token.actions.githubusercontent.com#repo:Octo/App:ref:refs/heads/main", "kid-1"} {
		if err := ks.Mark(t.Context(), id, "r", "oncall", time.Time{}); err != nil || !ks.Compromised(id) {
			t.Errorf("Mark(%q) = %v, compromised %v", id, err, ks.Compromised(id))
		}
	}

	const victim = "spiffe://example.org/ci/zero"
	err = ks.Write(t.Context(), detectorEvent("z", map[string]string{AttrCompromisedID: victim, AttrExpires: "0001-01-01T00:00:00Z"}))
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "attributes."+AttrExpires {
		t.Fatalf("Write with a zero expiry = %v, want a FieldError on %s", err, AttrExpires)
	}
	if ks.Compromised(victim) {
		t.Fatal("a zero expiry marked the identity (for good)")
	}
}
