package audit

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// orgAnomaly is an anomaly of rule for a fresh job identity n of the
// GitHub organisation owner (repository_owner_id), raised at testT0.
func orgAnomaly(owner string, n int, rule string) Event {
	e := anomalyEvent(rule, fmt.Sprintf("evt-%s-%d-%s", owner, n, rule))
	e.Actor = Actor{
		ID:   fmt.Sprintf("https://token.actions.githubusercontent.com#repo:%s/app:ref:refs/heads/b%d", owner, n),
		Kind: "job",
		Claims: map[string]string{
			"platform": "github-actions", "repository": owner + "/app",
			"repository_id": owner + "-1", "repository_owner_id": owner + "-id",
		},
	}
	return e
}

// TestReview33EscalationLimit: an attacker who can raise anomalies for many
// fresh identities of their own organisation gets at most the per-owner
// budget of quarantines per quarantine window; the rest fail with
// ErrEscalationLimit (an ErrSink: not silent). Another organisation's
// quarantine is still written, a higher-severity anomaly of the flooding
// organisation is still written, re-marking an identity already marked
// costs nothing, and the total bound holds across organisations.
func TestReview33EscalationLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []Option
		run  func(t *testing.T, x *Escalator, rec *recorder)
	}{
		{
			name: "default bound per owner",
			run: func(t *testing.T, x *Escalator, rec *recorder) {
				refused := 0
				for i := range 200 {
					err := x.Write(t.Context(), orgAnomaly("evil", i, RuleBurst))
					switch {
					case errors.Is(err, ErrEscalationLimit):
						refused++
					case err != nil:
						t.Fatalf("anomaly %d: %v", i, err)
					}
				}
				if refused == 0 || len(rec.events) > DefaultEscalationsPerOwner {
					t.Fatalf("%d marks written, %d refused: no bound", len(rec.events), refused)
				}
				if err := x.Write(t.Context(), orgAnomaly("victim", 0, RuleBurst)); err != nil {
					t.Fatalf("another owner's quarantine refused after the flood: %v", err)
				}
			},
		},
		{
			name: "per owner, severity and re-marks",
			opts: []Option{WithEscalationLimit(3, 100)},
			run: func(t *testing.T, x *Escalator, rec *recorder) {
				for i := range 3 {
					if err := x.Write(t.Context(), orgAnomaly("evil", i, RuleBurst)); err != nil {
						t.Fatalf("anomaly %d within budget: %v", i, err)
					}
				}
				err := x.Write(t.Context(), orgAnomaly("evil", 3, RuleBurst))
				var le *EscalationLimitError
				if !errors.Is(err, ErrEscalationLimit) || !errors.Is(err, ErrSink) || !errors.As(err, &le) {
					t.Fatalf("anomaly over budget: %v, want an *EscalationLimitError (ErrEscalationLimit, ErrSink)", err)
				}
				// Re-marking an identity already quarantined adds no mark.
				if err := x.Write(t.Context(), orgAnomaly("evil", 1, "impossible_travel")); err != nil {
					t.Fatalf("re-mark of a quarantined identity: %v", err)
				}
				// A higher-severity anomaly is not crowded out by lower ones.
				if err := x.Write(t.Context(), orgAnomaly("evil", 4, "impossible_travel")); err != nil {
					t.Fatalf("critical anomaly after a flood of high ones: %v", err)
				}
				// Another owner has a budget of its own.
				if err := x.Write(t.Context(), orgAnomaly("victim", 0, RuleBurst)); err != nil {
					t.Fatalf("another owner's quarantine: %v", err)
				}
				if n := len(rec.events); n != 6 {
					t.Fatalf("%d marks written, want 6", n)
				}
			},
		},
		{
			name: "total across owners",
			opts: []Option{WithEscalationLimit(3, 5)},
			run: func(t *testing.T, x *Escalator, rec *recorder) {
				for i := range 5 {
					if err := x.Write(t.Context(), orgAnomaly(fmt.Sprintf("org%d", i), 0, RuleBurst)); err != nil {
						t.Fatalf("owner %d: %v", i, err)
					}
				}
				if err := x.Write(t.Context(), orgAnomaly("org5", 0, RuleBurst)); !errors.Is(err, ErrEscalationLimit) {
					t.Fatalf("over the total: %v, want ErrEscalationLimit", err)
				}
				if n := len(rec.events); n != 5 {
					t.Fatalf("%d marks written, want 5", n)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			x := newTestEscalator(t, rec, tt.opts...)
			tt.run(t, x, rec)
		})
	}
}

// TestReview33EscalationLimitWindow: the budget counts the marks still
// live; once the quarantine window has passed, an owner may be marked
// again.
func TestReview33EscalationLimitWindow(t *testing.T) {
	t.Parallel()
	now := testT0.Add(time.Minute)
	rec := &recorder{}
	x, err := NewEscalator(rec, WithClock(func() time.Time { return now }), WithEscalationLimit(1, 10))
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Write(t.Context(), orgAnomaly("evil", 0, RuleBurst)); err != nil {
		t.Fatal(err)
	}
	if err := x.Write(t.Context(), orgAnomaly("evil", 1, RuleBurst)); !errors.Is(err, ErrEscalationLimit) {
		t.Fatalf("second mark in the window: %v, want ErrEscalationLimit", err)
	}
	now = now.Add(time.Hour)
	e := orgAnomaly("evil", 2, RuleBurst)
	e.Time = now
	if err := x.Write(t.Context(), e); err != nil {
		t.Fatalf("mark after the window: %v", err)
	}
}

func TestReview33EscalationLimitOption(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name         string
		owner, total int
	}{
		{name: "zero owner", owner: 0, total: 10},
		{name: "zero total", owner: 1, total: 0},
		{name: "owner over total", owner: 11, total: 10},
		{name: "total over max", owner: 1, total: MaxEscalations + 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := NewEscalator(&recorder{}, WithEscalationLimit(tt.owner, tt.total)); !errors.Is(err, ErrConfig) {
				t.Fatalf("err = %v, want ErrConfig", err)
			}
		})
	}
}
