package policy_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy"
)

// ctxSink records events and refuses a write whose context has ended, as a
// network sink would: a timed-out evaluation must still be audited.
type ctxSink struct{ recorder }

func (s *ctxSink) Write(ctx context.Context, e audit.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.recorder.Write(ctx, e)
}

// TestReview34EvalTimeoutBoundsRunawayPolicy: a caller passing
// context.Background() (no deadline) used to let a policy that loops over
// what the input sizes run until the process ran out of CPU or memory. The
// engine's own evaluation deadline now ends it with a no-decision error,
// audited as one.
func TestReview34EvalTimeoutBoundsRunawayPolicy(t *testing.T) {
	t.Parallel()
	xs := make([]any, 1000)
	for i := range xs {
		xs[i] = i
	}
	for _, tc := range []struct {
		name string
		rego string
		raw  map[string]any
		mode policy.Mode
		ctx  func(*testing.T) context.Context
	}{
		{
			name: "numbers.range over input",
			rego: "package test\ndecision := {\"allow\": count(numbers.range(1, input.pipeline.raw.n)) > 0, \"violations\": []}",
			raw:  map[string]any{"n": int64(1_000_000_000_000)},
			mode: policy.Enforce,
			ctx:  func(*testing.T) context.Context { return context.Background() },
		},
		{
			name: "nested comprehension over input array",
			rego: "package test\nn := count([1 | some a in input.pipeline.raw.xs; some b in input.pipeline.raw.xs; some c in input.pipeline.raw.xs; some d in input.pipeline.raw.xs])\ndecision := {\"allow\": n > 0, \"violations\": []}",
			raw:  map[string]any{"xs": xs},
			mode: policy.Enforce,
			ctx:  func(*testing.T) context.Context { return context.Background() },
		},
		{
			name: "caller deadline later than the engine's",
			rego: "package test\ndecision := {\"allow\": count(numbers.range(1, input.pipeline.raw.n)) > 0, \"violations\": []}",
			raw:  map[string]any{"n": int64(1_000_000_000_000)},
			mode: policy.Enforce,
			ctx: func(t *testing.T) context.Context {
				ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
				t.Cleanup(cancel)
				return ctx
			},
		},
		{
			name: "warn mode still fails",
			rego: "package test\ndecision := {\"allow\": count(numbers.range(1, input.pipeline.raw.n)) > 0, \"violations\": []}",
			raw:  map[string]any{"n": int64(1_000_000_000_000)},
			mode: policy.Warn,
			ctx:  func(*testing.T) context.Context { return context.Background() },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sink := &ctxSink{}
			e, err := policy.New(t.Context(), fsPolicy(tc.rego),
				policy.WithQuery("data.test.decision"),
				policy.WithMode(tc.mode),
				policy.WithAudit(sink),
				policy.WithEvalTimeout(10*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { e.Close() })
			d, err := e.Evaluate(tc.ctx(t), policy.Input{Action: policy.ActionPipelineRun,
				Job:      policy.Job{ID: "job-1"},
				Pipeline: &policy.Pipeline{Raw: tc.raw}})
			if !errors.Is(err, policy.ErrNoDecision) || !errors.Is(err, policy.ErrEvaluation) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Evaluate = %v, %v; want a no-decision deadline error", d, err)
			}
			if d.Allowed {
				t.Fatalf("allowed: %v", d)
			}
			evs := sink.all()
			if len(evs) != 1 || evs[0].Outcome != audit.OutcomeError {
				t.Fatalf("audit events %+v; want one error outcome", evs)
			}
		})
	}
}

// TestReview34EvalTimeoutOption: the bound cannot be turned off or made
// negative.
func TestReview34EvalTimeoutOption(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		d    time.Duration
	}{
		{name: "zero", d: 0},
		{name: "negative", d: -time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := policy.New(t.Context(), fsPolicy("package test\ndecision := {\"allow\": true, \"violations\": []}"),
				policy.WithQuery("data.test.decision"), policy.WithEvalTimeout(tc.d))
			if !errors.Is(err, policy.ErrInvalidOption) {
				t.Fatalf("New = %v; want ErrInvalidOption", err)
			}
		})
	}
}

// TestReview34EvalTimeoutAllowsQuickPolicy: a policy that decides within
// the bound is unaffected.
func TestReview34EvalTimeoutAllowsQuickPolicy(t *testing.T) {
	t.Parallel()
	e, err := policy.New(t.Context(), fsPolicy("package test\ndecision := {\"allow\": true, \"violations\": []}"),
		policy.WithQuery("data.test.decision"), policy.WithEvalTimeout(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	d, err := e.Evaluate(context.Background(), policy.Input{Action: policy.ActionDeploy, Job: policy.Job{ID: "job-1"}})
	if err != nil || !d.Allowed {
		t.Fatalf("Evaluate = %v, %v", d, err)
	}
}
