package gateotel_test

import (
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gateotel"
)

// A dry run admits nothing, and any authenticated job can ask for as many
// as it likes: it must not count as an ordinary allow (or deny), or a job
// could inflate the series a dashboard or alert reads. It counts in
// ztci.gate.dry_runs only.
func TestReview33DryRunMetrics(t *testing.T) {
	t.Parallel()
	reader := sdkmetric.NewManualReader()
	o, err := gateotel.New(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		o.Observe(gate.Observation{Elapsed: time.Millisecond, Decision: &gate.Decision{
			Allowed: true, Outcome: gate.OutcomeAllow, DryRun: true, VerdictSource: gate.VerdictVerified}})
	}
	d := deny("deploy.unprotected_ref")
	d.DryRun = true
	o.Observe(gate.Observation{Elapsed: time.Millisecond, Decision: d})
	o.Observe(gate.Observation{Elapsed: time.Millisecond, Decision: &gate.Decision{
		Allowed: true, Outcome: gate.OutcomeAllow, VerdictSource: gate.VerdictVerified}})

	got := collect(t, reader)
	want := map[string]float64{
		"ztci.gate.decisions{ztci.gate.decision=allow}":         1,
		"ztci.gate.decision.duration{ztci.gate.decision=allow}": 1,
		"ztci.gate.verdicts{ztci.gate.verdict_source=verified}": 1,
		"ztci.gate.dry_runs{ztci.gate.decision=allow}":          3,
		"ztci.gate.dry_runs{ztci.gate.decision=deny}":           1,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	for _, k := range []string{
		"ztci.gate.decisions{ztci.gate.decision=deny}",
		"ztci.gate.denials{ztci.gate.rule=deploy.unprotected_ref}",
		"ztci.gate.decision.duration{ztci.gate.decision=deny}",
	} {
		if v, ok := got[k]; ok {
			t.Errorf("%s = %v: a dry run counted as a decision", k, v)
		}
	}
}
