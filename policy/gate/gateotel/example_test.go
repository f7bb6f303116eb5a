package gateotel_test

import (
	"context"
	"fmt"
	"sort"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gateotel"
	"github.com/ztci/ztci/policy/gate/gatetest"
)

// A gate observed through OpenTelemetry: the vendor's SDK (here an
// in-memory reader) receives a count per outcome and one denial per
// violated rule.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lab, err := gatetest.Start(ctx)
	if err != nil {
		panic(err)
	}
	defer lab.Close()

	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(ctx)
	obs, err := gateotel.New(mp)
	if err != nil {
		panic(err)
	}
	g, err := lab.Gate(ctx, audit.SinkFunc(func(context.Context, audit.Event) error { return nil }), gate.WithObserver(obs))
	if err != nil {
		panic(err)
	}
	for _, j := range []gatetest.Job{{Ref: "refs/heads/main", Protected: true}, {Ref: "refs/heads/feature/x"}} {
		img, err := lab.Publish(ctx, j, "build")
		if err != nil {
			panic(err)
		}
		tok, err := lab.Token(ctx, j)
		if err != nil {
			panic(err)
		}
		if _, err := g.Decide(ctx, gate.Request{JobToken: gate.NewToken(tok.Reveal()), Image: img.Image}); err != nil {
			panic(err)
		}
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		panic(err)
	}
	var lines []string
	for _, m := range rm.ScopeMetrics[0].Metrics {
		switch data := m.Data.(type) {
		case metricdata.Sum[int64]:
			for _, p := range data.DataPoints {
				for _, a := range p.Attributes.ToSlice() {
					lines = append(lines, fmt.Sprintf("%s %s=%s %d", m.Name, a.Key, a.Value.String(), p.Value))
				}
			}
		case metricdata.Histogram[float64]:
			for _, p := range data.DataPoints {
				for _, a := range p.Attributes.ToSlice() {
					lines = append(lines, fmt.Sprintf("%s %s=%s count=%d", m.Name, a.Key, a.Value.String(), p.Count))
				}
			}
		}
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
	// Output:
	// ztci.gate.decision.duration ztci.gate.decision=allow count=1
	// ztci.gate.decision.duration ztci.gate.decision=deny count=1
	// ztci.gate.decisions ztci.gate.decision=allow 1
	// ztci.gate.decisions ztci.gate.decision=deny 1
	// ztci.gate.denials ztci.gate.rule=deploy.source_ref_not_allowed 1
	// ztci.gate.denials ztci.gate.rule=deploy.unprotected_ref 1
	// ztci.gate.verdicts ztci.gate.verdict_source=verified 2
}
