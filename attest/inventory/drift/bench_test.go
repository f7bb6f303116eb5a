package drift_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/ztci/ztci/attest/inventory/drift"
	"github.com/ztci/ztci/audit"
)

// BenchmarkDetectAdvisory measures the time from a record's arrival (its
// bytes in hand) to its last drift event: parse, query the inventory,
// write one event per affected artifact to a JSON Lines sink. ns/op is
// that time to detection, the MTTD of one record, over a fleet of 1,000
// admissions (ZTCI_DRIFT_BENCH_ARTIFACTS overrides) of 51 packages each, 3
// of them affected, on the in-memory, bbolt and PostgreSQL stores in one
// run. Each iteration is a new advisory id, so every iteration emits 3
// events; first-event-us is the median latency of the first event.
func BenchmarkDetectAdvisory(b *testing.B) {
	n := fleetSize
	if v, err := strconv.Atoi(os.Getenv("ZTCI_DRIFT_BENCH_ARTIFACTS")); err == nil && v >= fleetSize {
		n = v
	}
	record := fixture(b, "GHSA-w32m-9786-jp63.json")
	for _, st := range stores() {
		b.Run(st.name, func(b *testing.B) {
			s := st.open(b)
			seedFleet(b, s, n)
			sink, err := audit.NewJSONLines(io.Discard)
			if err != nil {
				b.Fatal(err)
			}
			var first []time.Duration // the first event's latency of each record
			var lastArrived time.Time
			d, err := drift.New(s, sink, drift.WithObserver(func(c drift.Change) {
				if len(first) == 0 || c.Arrived != lastArrived {
					first, lastArrived = append(first, c.Latency), c.Arrived
				}
			}))
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			events := 0
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				rec := bytes.Replace(record, []byte(`"GHSA-w32m-9786-jp63"`), []byte(`"BENCH-`+strconv.Itoa(i)+`"`), 1)
				arrived := time.Now()
				adv, err := drift.ParseOSV(rec)
				if err != nil {
					b.Fatal(err)
				}
				rep, err := d.Advisory(ctx, adv, arrived)
				if err != nil {
					b.Fatal(err)
				}
				events += len(rep.Changes)
			}
			b.StopTimer()
			if events != 3*i {
				b.Fatalf("%d events in %d iterations, want 3 each", events, i)
			}
			slices.Sort(first)
			b.ReportMetric(float64(first[len(first)/2].Microseconds()), "first-event-us")
			b.ReportMetric(float64(events)/float64(i), "events/op")
		})
	}
}
