package audit

import (
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

const suspect = "spiffe://example.org/ci/suspect"

// anomalyEvent is an anomaly as the Detector writes it, raised by trigger
// at testT0.
func anomalyEvent(rule, trigger string) Event {
	return Event{
		ID: trigger + "/" + rule, Time: testT0, Source: SourceDetector, Action: ActionAnomalyPrefix + rule,
		Outcome: OutcomeSuccess, Actor: Actor{ID: suspect, Kind: "job"}, Resource: "secret:prod-signing-key",
		Reason:      "something unusual",
		Correlation: Correlation{JobID: "job-9", RunID: "run-3"},
		Attributes:  map[string]string{AttrRule: rule, AttrTriggerEvent: trigger, "trigger_action": "secrets.lease.issue"},
	}
}

func newTestEscalator(t *testing.T, out Sink, opts ...Option) *Escalator {
	t.Helper()
	x, err := NewEscalator(out, append([]Option{WithClock(func() time.Time { return testT0.Add(time.Minute) })}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// TestEscalatorSeverities: which anomalies mark, by the default ranking, a
// threshold, a per-rule override and for rules the escalator does not know.
func TestEscalatorSeverities(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		rule string
		opts []Option
		want string // severity of the mark, "" for no mark
	}{
		{name: "burst marks by default", rule: RuleBurst, want: "high"},
		{name: "first_seen is under the default threshold", rule: RuleFirstSeen},
		{name: "off_hours is under the default threshold", rule: RuleOffHours},
		{name: "unknown rule marks by default", rule: "impossible_travel", want: "critical"},
		{name: "unknown rule marks at the highest threshold", rule: "impossible_travel",
			opts: []Option{WithEscalationThreshold(SeverityCritical)}, want: "critical"},
		{name: "empty rule is unknown", rule: "", want: "critical"},
		{name: "medium threshold takes first_seen", rule: RuleFirstSeen,
			opts: []Option{WithEscalationThreshold(SeverityMedium)}, want: "medium"},
		{name: "medium threshold leaves off_hours", rule: RuleOffHours,
			opts: []Option{WithEscalationThreshold(SeverityMedium)}},
		{name: "low threshold takes off_hours", rule: RuleOffHours,
			opts: []Option{WithEscalationThreshold(SeverityLow)}, want: "low"},
		{name: "critical threshold leaves burst", rule: RuleBurst,
			opts: []Option{WithEscalationThreshold(SeverityCritical)}},
		{name: "override ranks burst down", rule: RuleBurst,
			opts: []Option{WithRuleSeverity(RuleBurst, SeverityMedium)}},
		{name: "override ranks off_hours up", rule: RuleOffHours,
			opts: []Option{WithRuleSeverity(RuleOffHours, SeverityHigh)}, want: "high"},
		{name: "override ranks an unknown rule down", rule: "impossible_travel",
			opts: []Option{WithRuleSeverity("impossible_travel", SeverityLow)}},
		{name: "override of another rule leaves this one", rule: RuleBurst,
			opts: []Option{WithRuleSeverity(RuleFirstSeen, SeverityCritical)}, want: "high"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			x := newTestEscalator(t, rec, tc.opts...)
			if err := x.Write(t.Context(), anomalyEvent(tc.rule, "evt-1")); err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.want == "" && len(rec.events) != 0:
				t.Fatalf("marked: %+v", rec.events)
			case tc.want != "" && len(rec.events) != 1:
				t.Fatalf("wrote %d events, want 1 mark", len(rec.events))
			case tc.want != "" && rec.events[0].Attributes[AttrSeverity] != tc.want:
				t.Fatalf("severity %q, want %q", rec.events[0].Attributes[AttrSeverity], tc.want)
			}
		})
	}
}

// TestEscalatorEvent: the compromise event names the anomaly's identity,
// rule and trigger, expires a quarantine after the anomaly, and is the same
// event when the anomaly is replayed.
func TestEscalatorEvent(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	x := newTestEscalator(t, rec, WithQuarantine(30*time.Minute))
	a := anomalyEvent(RuleBurst, "evt-7")
	for range 2 { // the second time: a replay
		if err := x.Write(t.Context(), a); err != nil {
			t.Fatal(err)
		}
	}
	if len(rec.events) != 2 {
		t.Fatalf("wrote %d events, want 2", len(rec.events))
	}
	got := rec.events[0]
	want := Event{
		ID: "evt-7/burst/escalated", Time: testT0, Source: SourceEscalator, Action: ActionCompromiseDetected,
		Outcome: OutcomeSuccess, Actor: Actor{ID: SourceEscalator, Kind: "service"}, Resource: suspect,
		Reason:      `automatic quarantine: "burst" anomaly (severity high) raised by event "evt-7"`,
		Correlation: a.Correlation,
		Attributes: map[string]string{
			AttrCompromisedID: suspect, AttrExpires: "2026-11-22T10:30:00Z", AttrRule: RuleBurst,
			AttrSeverity: "high", AttrTriggerEvent: "evt-7", AttrAnomalyEvent: "evt-7/burst",
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("compromise event:\n got %+v\nwant %+v", got, want)
	}
	if !reflect.DeepEqual(rec.events[1], got) {
		t.Fatalf("replayed anomaly gave another event:\n%+v\n%+v", rec.events[1], got)
	}
	// Nothing of the anomaly's text travels beyond ids.
	if strings.Contains(fmt.Sprint(got), "prod-signing-key") || strings.Contains(fmt.Sprint(got), a.Reason) {
		t.Errorf("compromise event copies the anomaly's content: %+v", got)
	}
	// Another anomaly of the same trigger is another mark.
	if err := x.Write(t.Context(), anomalyEvent("impossible_travel", "evt-7")); err != nil {
		t.Fatal(err)
	}
	if len(rec.events) != 3 {
		t.Fatalf("an unknown rule's anomaly wrote %d events, want a mark", len(rec.events)-2)
	}
	if id := rec.events[2].ID; id == got.ID {
		t.Errorf("two anomalies share the mark id %q", id)
	}
	// A mark the kill switch accepts, by the escalator, until the expiry.
	ks, err := NewKillSwitch(&recorder{}, WithClock(func() time.Time { return testT0.Add(29 * time.Minute) }))
	if err != nil {
		t.Fatal(err)
	}
	if err := ks.Write(t.Context(), got); err != nil {
		t.Fatal(err)
	}
	m := ks.Marks()
	if !ks.Compromised(suspect) || len(m) != 1 || m[0].By != SourceEscalator || !m[0].Until.Equal(testT0.Add(30*time.Minute)) {
		t.Fatalf("kill switch: compromised %v, marks %+v", ks.Compromised(suspect), m)
	}
}

// TestEscalatorQuarantineBounds: the quarantine runs from the anomaly's
// time, is capped by the clock when that time lies ahead, and an anomaly
// whose quarantine already lapsed marks nothing.
func TestEscalatorQuarantineBounds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		at         time.Duration // anomaly time relative to the clock
		wantTime   time.Duration // compromise event time relative to the clock
		wantExpiry string        // "" for no mark
	}{
		{name: "recent anomaly", at: -10 * time.Minute, wantTime: -10 * time.Minute, wantExpiry: "2026-11-22T10:50:00Z"},
		{name: "anomaly dated ahead is capped", at: 24 * 365 * time.Hour, wantTime: 0, wantExpiry: "2026-11-22T11:00:00Z"},
		{name: "lapsed anomaly", at: -time.Hour},
		{name: "long lapsed anomaly", at: -48 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			x, err := NewEscalator(rec, WithClock(func() time.Time { return testT0 }))
			if err != nil {
				t.Fatal(err)
			}
			a := anomalyEvent(RuleBurst, "evt-1")
			a.Time = testT0.Add(tc.at)
			if err := x.Write(t.Context(), a); err != nil {
				t.Fatal(err)
			}
			if tc.wantExpiry == "" {
				if len(rec.events) != 0 {
					t.Fatalf("lapsed quarantine marked: %+v", rec.events)
				}
				return
			}
			if len(rec.events) != 1 {
				t.Fatalf("wrote %d events, want 1", len(rec.events))
			}
			got := rec.events[0]
			if got.Attributes[AttrExpires] != tc.wantExpiry || !got.Time.Equal(testT0.Add(tc.wantTime)) {
				t.Fatalf("time %v, expires %s; want %v, %s", got.Time, got.Attributes[AttrExpires], testT0.Add(tc.wantTime), tc.wantExpiry)
			}
		})
	}
}

// TestEscalatorIgnoresOtherEvents: only anomalies are escalated; other
// events, even invalid ones and compromise events, pass without a word.
func TestEscalatorIgnoresOtherEvents(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	x := newTestEscalator(t, rec, WithEscalationThreshold(SeverityLow))
	compromise := detectorEvent("falco-1", map[string]string{AttrCompromisedID: suspect})
	for name, e := range map[string]Event{
		"ordinary event":          testEvent(1),
		"compromise event":        compromise,
		"kill switch mark":        {ID: "m", Action: ActionKillSwitchMark},
		"invalid ordinary event":  {Action: "secrets.lease.issue"},
		"anomaly-like, no prefix": {ID: "x", Time: testT0, Source: SourceDetector, Action: "audit.anomaly", Outcome: OutcomeSuccess, Actor: Actor{ID: suspect}},
	} {
		if err := x.Write(t.Context(), e); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if len(rec.events) != 0 {
		t.Fatalf("escalated %+v", rec.events)
	}
}

// TestEscalatorMalformedAnomaly: an anomaly without an identity, id or
// time is a *FieldError and marks nothing.
func TestEscalatorMalformedAnomaly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		edit  func(*Event)
		field string
	}{
		{"no actor", func(e *Event) { e.Actor = Actor{} }, "actor.id"},
		{"no id", func(e *Event) { e.ID = "" }, "id"},
		{"no time", func(e *Event) { e.Time = time.Time{} }, "time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			x := newTestEscalator(t, rec)
			a := anomalyEvent(RuleBurst, "evt-1")
			tc.edit(&a)
			err := x.Write(t.Context(), a)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, ErrInvalidEvent) {
				t.Fatalf("Write: %v, want a FieldError on %s", err, tc.field)
			}
			if len(rec.events) != 0 {
				t.Fatalf("marked: %+v", rec.events)
			}
		})
	}
}

// TestEscalatorOutputError: an escalation the kill switch did not take is
// returned, wrapping ErrSink and the switch's own error.
func TestEscalatorOutputError(t *testing.T) {
	t.Parallel()
	cause := errors.New("bucket unavailable")
	x := newTestEscalator(t, &recorder{fail: cause})
	err := x.Write(t.Context(), anomalyEvent(RuleBurst, "evt-1"))
	if !errors.Is(err, ErrSink) || !errors.Is(err, cause) {
		t.Fatalf("Write: %v, want ErrSink wrapping the output's error", err)
	}
	if !strings.Contains(err.Error(), suspect) {
		t.Errorf("error does not name the identity: %v", err)
	}
}

func TestNewEscalatorRejectsBadConfig(t *testing.T) {
	t.Parallel()
	if _, err := NewEscalator(nil); !errors.Is(err, ErrConfig) {
		t.Errorf("nil output: %v, want ErrConfig", err)
	}
	for name, opts := range map[string][]Option{
		"zero severity":        {WithRuleSeverity(RuleBurst, 0)},
		"severity beyond":      {WithRuleSeverity(RuleBurst, SeverityCritical+1)},
		"empty rule":           {WithRuleSeverity("", SeverityHigh)},
		"rule ranked twice":    {WithRuleSeverity(RuleBurst, SeverityHigh), WithRuleSeverity(RuleBurst, SeverityLow)},
		"zero threshold":       {WithEscalationThreshold(0)},
		"zero quarantine":      {WithQuarantine(0)},
		"negative quarantine":  {WithQuarantine(-time.Hour)},
		"quarantine too long":  {WithQuarantine(MaxQuarantine + time.Second)},
		"nil clock":            {WithClock(nil)},
		"detector option":      {WithBurst(10, time.Minute)},
		"zero option":          {{}},
		"nil logger":           {WithLogger(nil)},
		"log option":           {WithCheckpointEvery(10)},
		"json lines option":    {WithCloudEvents()},
		"valid then too short": {WithQuarantine(time.Hour), WithQuarantine(0)},
	} {
		if _, err := NewEscalator(&recorder{}, opts...); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
	// Escalator options are refused by the other constructors.
	if _, err := NewDetector(&recorder{}, WithEscalationThreshold(SeverityLow)); !errors.Is(err, ErrConfig) {
		t.Errorf("NewDetector(WithEscalationThreshold): %v, want ErrConfig", err)
	}
	if _, err := NewKillSwitch(&recorder{}, WithQuarantine(time.Hour)); !errors.Is(err, ErrConfig) {
		t.Errorf("NewKillSwitch(WithQuarantine): %v, want ErrConfig", err)
	}
	if _, err := NewEscalator(&recorder{}, WithQuarantine(MaxQuarantine), WithEscalationThreshold(SeverityCritical),
		WithRuleSeverity("custom", SeverityLow), WithLogger(slog.New(slog.DiscardHandler))); err != nil {
		t.Errorf("valid options: %v", err)
	}
}

func TestSeverityString(t *testing.T) {
	t.Parallel()
	for s, want := range map[Severity]string{SeverityLow: "low", SeverityMedium: "medium", SeverityHigh: "high", SeverityCritical: "critical", 0: "Severity(0)"} {
		if got := s.String(); got != want {
			t.Errorf("%d: %q, want %q", int(s), got, want)
		}
	}
}

// TestDetectorEscalatorKillSwitch wires the three end to end: after the
// detector has learned two identities, one's burst quarantines it in the
// kill switch, while the other's off-hours and first-seen anomalies, under
// the threshold, deny nothing. The mark lapses after the quarantine.
func TestDetectorEscalatorKillSwitch(t *testing.T) {
	t.Parallel()
	clk := &clock{t: testT0} // follows the events: write sets it to each event's time
	ksAudit := &recorder{}
	ks, err := NewKillSwitch(ksAudit, WithClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	x, err := NewEscalator(ks, WithClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	anomalies := &recorder{}
	d, err := NewDetector(FanOut(anomalies, x), WithLearning(10), WithBurst(20, time.Minute), WithEventTimeTrustedUnsafe())
	if err != nil {
		t.Fatal(err)
	}
	const burster, wanderer = "spiffe://example.org/ci/burster", "spiffe://example.org/ci/wanderer"
	mon := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC) // a Monday, in working hours
	n := 0
	write := func(actor, resource string, at time.Time) {
		t.Helper()
		n++
		clk.mu.Lock()
		clk.t = at
		clk.mu.Unlock()
		e := Event{ID: fmt.Sprintf("e%03d", n), Time: at, Source: "ztci/secrets", Action: "secrets.lease.issue",
			Outcome: OutcomeAllow, Actor: Actor{ID: actor}, Resource: resource}
		if err := d.Write(t.Context(), e); err != nil {
			t.Fatalf("event %s: %v", e.ID, err)
		}
	}
	// Learning: both identities read their secret every ten minutes.
	for i := range 12 {
		at := mon.Add(time.Duration(i) * 10 * time.Minute)
		write(burster, "secret:build", at)
		write(wanderer, "secret:deploy", at.Add(time.Minute))
	}
	// The wanderer reads a new secret, then acts on Saturday night: medium
	// and low anomalies, recorded but under the threshold.
	write(wanderer, "secret:other", mon.Add(3*time.Hour))
	write(wanderer, "secret:deploy", time.Date(2026, 11, 21, 23, 0, 0, 0, time.UTC))
	if got := rules(anomalies); !reflect.DeepEqual(got, []string{RuleFirstSeen, RuleOffHours}) {
		t.Fatalf("anomalies %v, want first_seen and off_hours", got)
	}
	if ks.Compromised(wanderer) || len(ks.Marks()) != 0 {
		t.Fatalf("a low or medium anomaly marked: %+v", ks.Marks())
	}
	// The burster reads its secret 21 times in a minute, on Monday.
	burst := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for i := range 21 {
		write(burster, "secret:build", burst.Add(time.Duration(i)*time.Second))
	}
	if got := rules(anomalies); len(got) != 3 || got[2] != RuleBurst {
		t.Fatalf("anomalies %v, want a burst last", got)
	}
	if !ks.Compromised(burster) || ks.Compromised(wanderer) {
		t.Fatalf("compromised: burster %v, wanderer %v; want true, false", ks.Compromised(burster), ks.Compromised(wanderer))
	}
	m := ks.Marks()
	if len(m) != 1 || m[0].By != SourceEscalator || !strings.Contains(m[0].Reason, `"burst"`) ||
		!m[0].Until.Equal(burst.Add(20*time.Second).Add(time.Hour)) {
		t.Fatalf("marks %+v", m)
	}
	if len(ksAudit.events) != 1 || ksAudit.events[0].Action != ActionKillSwitchMark {
		t.Fatalf("kill switch audit %+v, want one mark", ksAudit.events)
	}
	// The quarantine lapses unless an operator confirms it.
	clk.add(time.Hour)
	if ks.Compromised(burster) {
		t.Fatal("automatic mark did not lapse")
	}
}

func rules(r *recorder) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, e.Attributes[AttrRule])
	}
	return out
}
