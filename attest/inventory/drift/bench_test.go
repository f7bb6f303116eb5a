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
	"github.com/ztci/ztci/attest/vex"
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

// detectCase is one kind of record a benchmark feeds: detect runs it on
// a new Detector, which must emit events changes.
type detectCase struct {
	name   string
	events int
	detect func(context.Context, *drift.Detector, time.Time) (drift.Report, error)
}

// BenchmarkDetectRevocation measures the time from a revocation's arrival
// to its last drift event, on the in-memory, bbolt and PostgreSQL stores
// of the same fleet as BenchmarkDetectAdvisory: a revoked signer SAN
// (found through the index of the decisions' signers; 200 of 1,000
// artifacts), a revoked key id (143) and, as the peer, a revoked builder
// (250; the builder index that existed before signers were recorded).
// Each iteration uses a new Detector, so every iteration emits its events;
// first-event-us is the median latency of the first event.
func BenchmarkDetectRevocation(b *testing.B) {
	benchDetect(b, []detectCase{
		{"signer", 200, func(ctx context.Context, d *drift.Detector, at time.Time) (drift.Report, error) {
			return d.RevokedSigner(ctx, drift.SignerRevocation{SAN: "https://ci.example/release@v3"}, at)
		}},
		{"key", 143, func(ctx context.Context, d *drift.Detector, at time.Time) (drift.Report, error) {
			return d.RevokedSigner(ctx, drift.SignerRevocation{KeyID: "sbom-key-2"}, at)
		}},
		{"builder", 250, func(ctx context.Context, d *drift.Detector, at time.Time) (drift.Report, error) {
			return d.RevokedBuilder(ctx, drift.Revocation{Builder: "https://ci.example/builder@v1"}, at)
		}},
	})
}

// BenchmarkDetectPolicyRevision measures the time from a new policy
// revision's arrival to its last drift event: read the 1,000 admissions
// of the previous revision with their kept policy inputs, re-run the new
// policy on each (denyHigh, a JSON decode and a comparison: the cost of
// the index and the detector, not of a policy engine, which the caller
// brings) and emit the 100 events. The peer is the revoked-builder
// detection of the same fleet in the same run.
func BenchmarkDetectPolicyRevision(b *testing.B) {
	benchDetect(b, []detectCase{
		{"policy", 100, func(ctx context.Context, d *drift.Detector, at time.Time) (drift.Report, error) {
			return d.PolicyRevision(ctx, denyHigh, drift.PolicyChange{Revision: "rev-4", Previous: []string{"rev-3"}}, at)
		}},
		{"builder", 250, func(ctx context.Context, d *drift.Detector, at time.Time) (drift.Report, error) {
			return d.RevokedBuilder(ctx, drift.Revocation{Builder: "https://ci.example/builder@v1"}, at)
		}},
	})
}

func benchDetect(b *testing.B, cases []detectCase) {
	for _, st := range stores() {
		b.Run(st.name, func(b *testing.B) {
			s := st.open(b)
			seedFleet(b, s, fleetSize)
			sink, err := audit.NewJSONLines(io.Discard)
			if err != nil {
				b.Fatal(err)
			}
			for _, c := range cases {
				b.Run(c.name, func(b *testing.B) {
					var first []time.Duration
					ctx := context.Background()
					b.ReportAllocs()
					for b.Loop() {
						var got time.Duration
						d, err := drift.New(s, sink, drift.WithObserver(func(ch drift.Change) {
							if got == 0 {
								got = ch.Latency
							}
						}))
						if err != nil {
							b.Fatal(err)
						}
						rep, err := c.detect(ctx, d, time.Now())
						if err != nil || len(rep.Changes) != c.events {
							b.Fatalf("%d events, %v; want %d", len(rep.Changes), err, c.events)
						}
						first = append(first, got)
					}
					b.StopTimer()
					slices.Sort(first)
					b.ReportMetric(float64(first[len(first)/2].Microseconds()), "first-event-us")
					b.ReportMetric(float64(c.events), "events/op")
				})
			}
		})
	}
}

// BenchmarkDetectVEX measures the time from a verified VEX statement's
// arrival to its last event on the fleet of BenchmarkDetectAdvisory: a
// fixed statement for golang.org/x/net (a package product, no version)
// that makes the 3 artifacts GHSA-w32m-9786-jp63 affects compliant again
// (the advisory's queries re-run, then each artifact matched against the
// statement), and an affected statement for x/net v0.32.0 (1 artifact).
// The peer is the advisory itself, parsed beforehand, in the same run.
func BenchmarkDetectVEX(b *testing.B) {
	adv, err := drift.ParseOSV(fixture(b, "GHSA-w32m-9786-jp63.json"))
	if err != nil {
		b.Fatal(err)
	}
	doc, err := vex.Parse([]byte(`{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://vex.example/bench","author":"bench",
		"timestamp":"2026-03-02T00:00:00Z","version":1,"statements":[
		{"vulnerability":{"name":"CVE-2024-45338"},"status":"fixed","products":[{"@id":"pkg:golang/golang.org/x/net"}]},
		{"vulnerability":{"name":"CVE-2024-45338"},"status":"affected","action_statement":"upgrade","products":[{"@id":"pkg:golang/golang.org/x/net@v0.32.0"}]}]}`))
	if err != nil {
		b.Fatal(err)
	}
	benchDetect(b, []detectCase{
		{"compliant_again", 3, func(ctx context.Context, d *drift.Detector, at time.Time) (drift.Report, error) {
			return d.VEX(ctx, doc.Statements[0], "https://ci.example/vex.yml", adv, at)
		}},
		{"affected", 1, func(ctx context.Context, d *drift.Detector, at time.Time) (drift.Report, error) {
			return d.VEX(ctx, doc.Statements[1], "https://ci.example/vex.yml", nil, at)
		}},
		{"advisory", 3, func(ctx context.Context, d *drift.Detector, at time.Time) (drift.Report, error) {
			return d.Advisory(ctx, adv, at)
		}},
	})
}
