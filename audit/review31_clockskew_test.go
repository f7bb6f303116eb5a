package audit

import (
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"
)

// The detector trusted the producers' times: a replica (or producer) whose
// clock was skewed, or lied, dated its events hours apart, each in a window
// of its own, and a burst of them was never counted; dated in the past, its
// anomalies also carried that past time, so an escalator took their
// quarantine for lapsed. Event times are now bounded by the detector's
// clock (WithClock, WithMaxClockSkew): an event outside the bound counts at
// the bound, and its anomaly carries its own time in AttrEventTime.
func TestReview31ClockSkewBounded(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		step time.Duration // between the events' own times
	}{
		{"dated ever further in the future", time.Hour},
		{"dated ever further in the past", -time.Hour},
		{"dated in the far future", 24 * 365 * time.Hour},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				rec := &recorder{}
				ks, err := NewKillSwitch(&recorder{})
				if err != nil {
					t.Fatal(err)
				}
				x, err := NewEscalator(ks)
				if err != nil {
					t.Fatal(err)
				}
				d, err := NewDetector(FanOut(rec, x), WithBurst(5, time.Minute), WithLearning(0), WithWorkingHours(0, 24, time.UTC))
				if err != nil {
					t.Fatal(err)
				}
				now := time.Now()
				const actor = "spiffe://example.org/ci/skewed"
				for i := range 10 {
					e := Event{ID: fmt.Sprintf("e%d", i), Time: now.Add(time.Duration(i+1) * tt.step), Source: "ztci/secrets",
						Action: "secrets.read", Outcome: OutcomeAllow, Actor: Actor{ID: actor}, Resource: "secret:x"}
					if err := d.Write(t.Context(), e); err != nil {
						t.Fatal(err)
					}
					time.Sleep(time.Millisecond) // the detector's clock moves on
				}
				var bursts []Event
				for _, a := range rec.events {
					if a.Attributes[AttrRule] == RuleBurst {
						bursts = append(bursts, a)
					}
				}
				if len(bursts) != 1 {
					t.Fatalf("%d bursts, want 1: events outside the skew bound must count at it", len(bursts))
				}
				b := bursts[0]
				if skew := time.Until(b.Time); skew > DefaultMaxClockSkew || skew < -DefaultMaxClockSkew-time.Second {
					t.Errorf("anomaly time %v is %v from the clock, want within %v", b.Time, skew, DefaultMaxClockSkew)
				}
				if b.Attributes[AttrEventTime] == "" {
					t.Errorf("anomaly %v: no %s", b.Attributes, AttrEventTime)
				}
				if !ks.Compromised(actor) {
					t.Errorf("%s not quarantined: the burst's quarantine was taken for lapsed", actor)
				}
			})
		})
	}
}

// Within the bound, and with WithEventTimeTrustedUnsafe, times are taken
// as they come; WithMaxClockSkew refuses a bound that is not positive.
func TestReview31ClockSkewOptions(t *testing.T) {
	t.Parallel()
	if _, err := NewDetector(&recorder{}, WithMaxClockSkew(0)); !errors.Is(err, ErrConfig) {
		t.Errorf("WithMaxClockSkew(0): %v, want ErrConfig", err)
	}
	synctest.Test(t, func(t *testing.T) {
		for _, tt := range []struct {
			name  string
			opts  []Option
			burst bool
		}{
			{"trusted, unsafe", []Option{WithEventTimeTrustedUnsafe()}, false},
			{"wide bound", []Option{WithMaxClockSkew(24 * time.Hour)}, false},
			{"default bound", nil, true},
		} {
			rec := &recorder{}
			d, err := NewDetector(rec, append(tt.opts, WithBurst(2, time.Minute), WithLearning(0), WithWorkingHours(0, 24, time.UTC))...)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 4 {
				e := testEvent(i)
				e.Time = time.Now().Add(time.Duration(i+1) * time.Hour)
				if err := d.Write(t.Context(), e); err != nil {
					t.Fatal(err)
				}
			}
			got := false
			for _, a := range rec.events {
				got = got || a.Attributes[AttrRule] == RuleBurst
			}
			if got != tt.burst {
				t.Errorf("%s: burst %v, want %v", tt.name, got, tt.burst)
			}
		}
	})
}
