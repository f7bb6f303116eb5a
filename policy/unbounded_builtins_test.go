package policy_test

import (
	"errors"
	"testing"
	"testing/fstest"

	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/policytest"
)

// TestUnboundedBuiltinsRefused: strings.render_template and
// graph.reachable_paths ignore the evaluation's deadline while their work
// grows exponentially (a template whose each definition calls the one
// below twice) or factorially (the simple paths of a dense graph) in what
// they are given. A policy passing input to either would let whoever
// writes the input hold the gate's CPU for minutes per request, past every
// deadline (measured: 15 s past a 100 ms one; see internal/caps). A policy
// calling either does not compile, in the engine and in policytest alike.
func TestUnboundedBuiltinsRefused(t *testing.T) {
	t.Parallel()
	for name, expr := range map[string]string{
		"render_template": `strings.render_template(input.job.id, {})`,
		"reachable_paths": `graph.reachable_paths({"a": ["b"], "b": []}, {"a"})`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := fsPolicy("package test\ndecision := {\"allow\": count(" + expr + ") > 0, \"violations\": []}")
			e, err := policy.New(t.Context(), src, policy.WithQuery("data.test.decision"))
			if err == nil {
				d, err := e.Evaluate(t.Context(), policy.Input{})
				t.Fatalf("a policy calling %s compiled; it decided %v, %v", name, d, err)
			}
			var ce *policy.CompileError
			if !errors.Is(err, policy.ErrCompile) || !errors.As(err, &ce) {
				t.Fatalf("got %v, want a CompileError", err)
			}
			tests := fstest.MapFS{"p_test.rego": {Data: []byte("package p\ntest_x if " + expr)}}
			if _, err := policytest.Results(t.Context(), tests); !errors.Is(err, policy.ErrCompile) {
				t.Fatalf("policytest ran a test calling %s: %v", name, err)
			}
		})
	}
}
