package audit

import (
	"testing"
	"time"
)

// Events reach one detector from replicas whose clocks can disagree. Before,
// the burst window was pruned from its front only, in arrival order: one
// event dated an hour ahead stayed first and pinned every later one, so any
// burstN events after it, however slow, were a burst (ranked high: an
// hour's quarantine), and one dated behind counted in the windows of the
// events after it. The windows that count are now those holding each
// event, in time order; a burst under out-of-order events is still raised.
func TestReview28BurstTimeOrder(t *testing.T) {
	t.Parallel()
	const n = 5
	win := time.Second
	cases := []struct {
		name  string
		times func() []time.Time
		want  bool
	}{
		{"one event dated ahead, then a slow stream", func() []time.Time {
			ts := []time.Time{testT0.Add(time.Hour)}
			for i := range 4 * n {
				ts = append(ts, testT0.Add(time.Duration(i)*win))
			}
			return ts
		}, false},
		{"events dated behind within a slow stream", func() []time.Time {
			var ts []time.Time
			for i := range 4 * n {
				ts = append(ts, testT0.Add(time.Duration(i)*win), testT0.Add(-time.Hour+time.Duration(i)*time.Millisecond))
			}
			return ts
		}, false},
		{"a burst among events dated behind", func() []time.Time {
			var ts []time.Time
			for i := range n + 1 {
				ts = append(ts, testT0.Add(time.Duration(i)*time.Millisecond), testT0.Add(-time.Hour+time.Duration(i)*win))
			}
			return ts
		}, true},
		{"a burst from two replicas, one a little behind", func() []time.Time {
			var ts []time.Time
			for i := range n {
				ts = append(ts, testT0.Add(time.Duration(i)*time.Millisecond), testT0.Add(-win/2+time.Duration(i)*time.Millisecond))
			}
			return ts
		}, true},
		{"a burst delivered out of order", func() []time.Time {
			var ts []time.Time
			for i := range n + 1 {
				ts = append(ts, testT0.Add(time.Duration(n-i)*time.Millisecond))
			}
			return ts
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			d, err := NewDetector(rec, WithBurst(n, win), WithLearning(0), WithWorkingHours(0, 24, time.UTC), WithEventTimeTrustedUnsafe())
			if err != nil {
				t.Fatal(err)
			}
			for i, at := range tc.times() {
				e := testEvent(i)
				e.Time = at
				if err := d.Write(t.Context(), e); err != nil {
					t.Fatal(err)
				}
			}
			got := false
			for _, a := range rec.events {
				got = got || a.Attributes[AttrRule] == RuleBurst
			}
			if got != tc.want {
				t.Fatalf("burst raised %v, want %v (anomalies %v)", got, tc.want, rec.events)
			}
		})
	}
}
