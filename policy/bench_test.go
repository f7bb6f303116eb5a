package policy_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy"
)

// rawQuery prepares the same built-in deploy gate directly with OPA, for
// the peer benchmarks.
func rawRego(b *testing.B) []func(*rego.Rego) {
	b.Helper()
	bun, err := policy.Merge(policy.Builtin(), policy.Data(libraryConfig())).Load(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	opts := []func(*rego.Rego){rego.Query(policy.DefaultQuery), rego.Store(inmem.NewFromObjectWithOpts(bun.Data, inmem.OptReturnASTValuesOnRead(true)))}
	for p, m := range bun.Modules {
		opts = append(opts, rego.Module(p, m))
	}
	return opts
}

// BenchmarkDeployGate compares, in one run, ztci's Evaluate on the built-in
// deploy gate with a realistic input against raw OPA on the same policy:
// a prepared query given the input as a Go struct (EvalInput, which OPA
// converts through JSON) or as an already converted ast.Value (the floor),
// and an unprepared rego.New(...).Eval per decision (the anti-anchor).
func BenchmarkDeployGate(b *testing.B) {
	in := deployInput()
	b.Run("ztci_Evaluate", func(b *testing.B) {
		e := newBuiltin(b)
		b.ReportAllocs()
		defer cpuPerOp(b)()
		for b.Loop() {
			d, err := e.Evaluate(b.Context(), in)
			if err != nil || !d.Allowed {
				b.Fatal(d, err)
			}
		}
	})
	b.Run("ztci_Evaluate_audited", func(b *testing.B) {
		e := newBuiltin(b, policy.WithAudit(&discard{}))
		b.ReportAllocs()
		defer cpuPerOp(b)()
		for b.Loop() {
			if d, err := e.Evaluate(b.Context(), in); err != nil || !d.Allowed {
				b.Fatal(d, err)
			}
		}
	})
	b.Run("opa_Prepared_EvalInput_struct", func(b *testing.B) {
		pq, err := rego.New(rawRego(b)...).PrepareForEval(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		defer cpuPerOp(b)()
		for b.Loop() {
			rs, err := pq.Eval(b.Context(), rego.EvalInput(in))
			if err != nil || len(rs) != 1 {
				b.Fatal(rs, err)
			}
		}
	})
	b.Run("opa_Prepared_EvalParsedInput_preconverted", func(b *testing.B) {
		pq, err := rego.New(rawRego(b)...).PrepareForEval(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		v, err := ast.InterfaceToValue(in)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		defer cpuPerOp(b)()
		for b.Loop() {
			rs, err := pq.Eval(b.Context(), rego.EvalParsedInput(v))
			if err != nil || len(rs) != 1 {
				b.Fatal(rs, err)
			}
		}
	})
	b.Run("opa_Unprepared_rego.New.Eval", func(b *testing.B) {
		opts := rawRego(b)
		b.ReportAllocs()
		defer cpuPerOp(b)()
		for b.Loop() {
			rs, err := rego.New(append(opts[:len(opts):len(opts)], rego.Input(in))...).Eval(b.Context())
			if err != nil || len(rs) != 1 {
				b.Fatal(rs, err)
			}
		}
	})
}

// cpuPerOp reports the process CPU time (user+system, all threads, GC
// included) per operation as "cpu-ns/op". On a shared machine wall-clock
// ns/op swings with other load; CPU time is the steadier comparison.
func cpuPerOp(b *testing.B) func() {
	start := cpuTime(b)
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64((cpuTime(b)-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type discard struct{}

func (discard) Write(context.Context, audit.Event) error { return nil }
