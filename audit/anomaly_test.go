package audit

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// history generates 4 weeks of normal behaviour for 12 identities: each
// uses its own 4 (action, resource) pairs during working hours on weekdays,
// except "nightly", a scheduled job that always runs at 02:00.
func history(rng *rand.Rand) []Event {
	start := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC) // a Monday
	var evs []Event
	n := 0
	for day := range 28 {
		date := start.AddDate(0, 0, day)
		weekend := date.Weekday() == time.Saturday || date.Weekday() == time.Sunday
		for id := range 12 {
			actor := fmt.Sprintf("spiffe://example.org/team/%d", id)
			hourFrom, hourSpan := 9, 8
			if id == 0 {
				actor, hourFrom, hourSpan = "spiffe://example.org/nightly", 2, 1
			} else if weekend {
				continue
			}
			for range 6 {
				p := rng.IntN(4)
				at := date.Add(time.Duration(hourFrom)*time.Hour + time.Duration(rng.Int64N(int64(hourSpan)*int64(time.Hour))))
				n++
				evs = append(evs, Event{
					ID: fmt.Sprintf("h%06d", n), Time: at, Source: "ztci/secrets",
					Action: fmt.Sprintf("secrets.read.%d", p), Outcome: OutcomeAllow,
					Actor: Actor{ID: actor}, Resource: fmt.Sprintf("secret:%d/%d", id, p),
				})
			}
		}
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
	return evs
}

func TestDetectorOnGeneratedHistory(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	d, err := NewDetector(rec, WithLearning(30), WithBurst(50, time.Minute), WithWorkingHours(8, 18, time.UTC), WithEventTimeTrustedUnsafe())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range history(rand.New(rand.NewPCG(7, 8))) {
		if err := d.Write(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	// After learning, normal behaviour (nightly job included) raises nothing
	// beyond what learning-period noise may produce: check that no anomaly
	// was raised during the last two weeks of normal history.
	cutoff := time.Date(2026, 10, 19, 0, 0, 0, 0, time.UTC)
	for _, a := range rec.events {
		if !a.Time.Before(cutoff) {
			t.Errorf("false positive on normal history: %s", a.Reason)
		}
	}
	rec.events = nil

	mon := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC) // Monday, working hours
	inject := []Event{
		// team/3 reads a secret of another team: first_seen.
		{ID: "x1", Time: mon, Source: "ztci/secrets", Action: "secrets.read.0", Outcome: OutcomeAllow,
			Actor: Actor{ID: "spiffe://example.org/team/3"}, Resource: "secret:prod/root-ca-key"},
		// team/5 acts on Sunday 03:00: off_hours.
		{ID: "x2", Time: time.Date(2026, 11, 1, 3, 0, 0, 0, time.UTC), Source: "ztci/secrets", Action: "secrets.read.1",
			Outcome: OutcomeAllow, Actor: Actor{ID: "spiffe://example.org/team/5"}, Resource: "secret:5/1"},
		// The nightly job at its usual time: nothing.
		{ID: "x3", Time: time.Date(2026, 11, 3, 2, 30, 0, 0, time.UTC), Source: "ztci/secrets", Action: "secrets.read.2",
			Outcome: OutcomeAllow, Actor: Actor{ID: "spiffe://example.org/nightly"}, Resource: "secret:0/2"},
	}
	// team/7 emits 120 known events in 60 seconds: one burst anomaly.
	for i := range 120 {
		inject = append(inject, Event{ID: fmt.Sprintf("b%03d", i), Time: mon.Add(time.Hour + time.Duration(i)*500*time.Millisecond),
			Source: "ztci/secrets", Action: "secrets.read.1", Outcome: OutcomeAllow,
			Actor: Actor{ID: "spiffe://example.org/team/7"}, Resource: "secret:7/1"})
	}
	for _, e := range inject {
		if err := d.Write(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, a := range rec.events {
		got = append(got, a.Attributes[AttrRule]+" "+a.Attributes[AttrTriggerEvent])
		if a.Reason == "" || a.Source != SourceDetector || a.Validate() != nil {
			t.Errorf("anomaly not explainable or invalid: %+v", a)
		}
	}
	want := []string{"first_seen x1", "off_hours x2", "burst b050"}
	if !slices.Equal(got, want) {
		t.Errorf("anomalies %v, want %v", got, want)
	}
	for _, a := range rec.events {
		t.Logf("%s: %s %v", a.Action, a.Reason, a.Attributes)
	}
	// The detector ignores its own events (no feedback loop).
	before := len(rec.events)
	for _, a := range slices.Clone(rec.events) {
		if err := d.Write(t.Context(), a); err != nil {
			t.Fatal(err)
		}
	}
	if len(rec.events) != before {
		t.Error("detector reacted to its own anomaly events")
	}
}

func TestDetectorBounds(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	d, err := NewDetector(rec, WithMaxIdentities(2), WithMaxPairs(1), WithLearning(0))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		e := testEvent(i)
		e.Actor.ID = fmt.Sprintf("id-%d", i)
		if err := d.Write(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	if d.lru.Len() != 2 || len(d.ids) != 2 {
		t.Errorf("%d profiles kept, want 2", d.lru.Len())
	}
	for i := range 3 {
		e := testEvent(i)
		e.Resource = fmt.Sprintf("r%d", i)
		_ = d.Write(t.Context(), e)
	}
	if p := d.ids[digestOf(testEvent(0).Actor.ID)].Value.(*profile); len(p.pairs) != 1 {
		t.Errorf("%d pairs kept, want 1", len(p.pairs))
	}
	tests := []struct {
		name string
		opt  Option
	}{
		{"hours reversed", WithWorkingHours(18, 8, time.UTC)},
		{"nil location", WithWorkingHours(8, 18, nil)},
		{"zero burst", WithBurst(0, time.Minute)},
		{"log option", WithCheckpointEvery(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := NewDetector(rec, tt.opt); err == nil {
				t.Error("accepted")
			}
		})
	}
}

// TestDetectorMemoryIndependentOfEventSize: the detector remembers
// identities and (action, resource) pairs as fixed-size digests, so an
// identity that uses many distinct large resources costs what small ones
// do. Keeping the strings pinned every resource (here 200 × 64 KiB, about
// 13 MiB; with the default bounds, up to 1000 pairs for each of 100000
// identities).
func TestDetectorMemoryIndependentOfEventSize(t *testing.T) {
	d, err := NewDetector(&recorder{}, WithLearning(1<<30))
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("r", 64<<10)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range 200 {
		e := testEvent(i)
		e.Actor.ID = "spiffe://example.org/ci/" + big[:1<<10]
		e.Resource = big + strconv.Itoa(i)
		if err := d.Write(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(d)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 2<<20 {
		t.Errorf("heap grew %d KiB for 200 pairs of one identity; the detector keeps event strings", grew>>10)
	}
	if n := len(d.ids[digestOf("spiffe://example.org/ci/"+big[:1<<10])].Value.(*profile).pairs); n != 200 {
		t.Errorf("%d pairs remembered, want 200", n)
	}
}

// An event that encodes within MaxEventSize must give anomalies that do
// too: the first_seen reason repeats the resource, so a trigger with a
// large resource (or claims, or action) made an anomaly no encoding sink
// could record, and the detector failed instead of reporting it.
func TestDetectorAnomalyOfLargeEventFits(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("\x01", 10<<10) // escaped as \u0001: 60 KiB encoded
	for name, e := range map[string]Event{
		"resource": {Resource: big},
		"action":   {Action: big},
		"claims":   {Actor: Actor{ID: "x", Claims: map[string]string{"k": big}}},
		"mixed":    {Resource: strings.Repeat("r", 30<<10), Actor: Actor{ID: "x", Claims: map[string]string{"k": strings.Repeat("c", 30<<10)}}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e.ID, e.Time, e.Source, e.Outcome = "trigger-1", time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC), "s", OutcomeAllow
			if e.Action == "" {
				e.Action = "a"
			}
			if e.Actor.ID == "" {
				e.Actor.ID = "x"
			}
			if _, err := Encode(e); err != nil {
				t.Fatalf("trigger does not encode: %v", err)
			}
			var buf strings.Builder
			out, err := NewJSONLines(&buf)
			if err != nil {
				t.Fatal(err)
			}
			d, err := NewDetector(out, WithLearning(0), WithBurst(1, time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			for i := range 2 { // first_seen, then burst
				e.ID = fmt.Sprintf("trigger-%d", i)
				if err := d.Write(t.Context(), e); err != nil {
					t.Fatalf("Write: %v", err)
				}
			}
			lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
			if len(lines) != 2 {
				t.Fatalf("got %d anomalies, want first_seen and burst", len(lines))
			}
			for _, l := range lines {
				a, err := Decode([]byte(l))
				if err != nil {
					t.Fatal(err)
				}
				if a.Actor.ID != "x" || a.Attributes[AttrRule] == "" || a.Attributes[AttrTriggerEvent] == "" {
					t.Errorf("anomaly lost its identity, rule or trigger: %+v", a.Attributes)
				}
			}
		})
	}
}
