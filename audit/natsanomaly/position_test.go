package natsanomaly_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/natsanomaly"
	"github.com/ztci/ztci/audit/natsink"
	"github.com/ztci/ztci/internal/itest"
)

// positionFixture is a one-node server with an AUDIT stream, a bucket for
// feeder positions, and 12 events that teach a detector with
// WithLearning(10) one job's behaviour.
type positionFixture struct {
	js   jetstream.JetStream
	kv   jetstream.KeyValue
	sink *natsink.Sink
	at   time.Time // the time of the last event written
}

const positionJob = "spiffe://acme/ci/job"

func newPositionFixture(t *testing.T) *positionFixture {
	t.Helper()
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: "AUDIT", Subjects: []string{"ztci.audit.>"}, DenyDelete: true, DenyPurge: true,
	}); err != nil {
		t.Fatal(err)
	}
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "feeders"})
	if err != nil {
		t.Fatal(err)
	}
	sink, err := natsink.New(js, "AUDIT", natsink.TenantAttribute("tenant"))
	if err != nil {
		t.Fatal(err)
	}
	p := &positionFixture{js: js, kv: kv, sink: sink, at: base}
	for i := range 12 {
		p.write(t, fmt.Sprintf("learn-%d", i), "gate.admit", "prod")
	}
	return p
}

// write stores one event of the job a minute after the previous one.
func (p *positionFixture) write(t *testing.T, id, action, resource string) {
	t.Helper()
	p.at = p.at.Add(time.Minute)
	if err := p.sink.Write(t.Context(), ev(id, positionJob, action, resource, p.at)); err != nil {
		t.Fatal(err)
	}
}

// feeder returns a feeder of the stream whose position is under key.
func (p *positionFixture) feeder(t *testing.T, out audit.Sink, key string) *natsanomaly.Feeder {
	t.Helper()
	f, err := natsanomaly.New(p.js, "AUDIT", out, natsanomaly.WithDetector(audit.WithLearning(10)),
		natsanomaly.WithPosition(p.kv, key))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestPositionCoversDowntime: an event stored while no feeder ran is
// examined by the next feeder and its anomaly written, while the anomaly a
// previous feeder wrote is not written again. Without a saved position the
// feeder took every event stored before it started for examined, and the
// downtime's anomaly was never written.
func TestPositionCoversDowntime(t *testing.T) {
	p := newPositionFixture(t)
	out1 := &collector{}
	f1 := p.feeder(t, out1, "audit-alerts")
	stop1 := run(t, f1)
	// Running: the next event is not stored before it started.
	caughtUp(t, f1, 15*time.Second)
	p.write(t, "while-running", "secrets.lease", "db") // a new pair: first_seen
	caughtUp(t, f1, 15*time.Second)
	if err := stop1(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := out1.rules(); !slices.Equal(got, []string{"first_seen:while-running"}) {
		t.Fatalf("first feeder: anomalies %v", got)
	}
	if st := f1.Stats(); st.Position != st.Seq {
		t.Fatalf("first feeder stopped with position %d saved, examined up to %d", st.Position, st.Seq)
	}

	p.write(t, "while-down", "gate.admit", "staging") // no feeder runs

	out2 := &collector{}
	f2 := p.feeder(t, out2, "audit-alerts")
	run(t, f2)
	caughtUp(t, f2, 15*time.Second)
	if got := out2.rules(); !slices.Equal(got, []string{"first_seen:while-down"}) {
		t.Errorf("restarted feeder: anomalies %v, want only the one of the event stored while no feeder ran", got)
	}
	if st := f2.Stats(); st.Replayed != 1 || st.Fed != 14 {
		t.Errorf("restarted feeder: stats %+v, want 14 fed and the first feeder's anomaly replayed", st)
	}
}

// TestPositionThatDoesNotFit: a position saved on another incarnation of
// the stream, or beyond its last sequence, says nothing about this stream:
// the feeder writes the anomalies of every event. No position at all is
// the same.
func TestPositionThatDoesNotFit(t *testing.T) {
	p := newPositionFixture(t)
	p.write(t, "new-pair", "secrets.lease", "db")
	info, err := p.js.Stream(t.Context(), "AUDIT")
	if err != nil {
		t.Fatal(err)
	}
	created := info.CachedInfo().Created.UnixNano()
	for _, tc := range []struct{ key, value string }{
		{"absent", ""},
		{"other-stream", fmt.Sprintf("13 %d", created+1)},
		{"beyond-last", fmt.Sprintf("14 %d", created)},
	} {
		t.Run(tc.key, func(t *testing.T) {
			if tc.value != "" {
				if _, err := p.kv.Put(t.Context(), tc.key, []byte(tc.value)); err != nil {
					t.Fatal(err)
				}
			}
			out := &collector{}
			f := p.feeder(t, out, tc.key)
			run(t, f)
			caughtUp(t, f, 15*time.Second)
			if got := out.rules(); !slices.Equal(got, []string{"first_seen:new-pair"}) {
				t.Errorf("anomalies %v, want the stream's one anomaly written", got)
			}
		})
	}
}

// TestPositionUnreadable: a value under the key that is not a position
// stops Run with ErrPosition: the feeder cannot tell what was examined.
func TestPositionUnreadable(t *testing.T) {
	p := newPositionFixture(t)
	for _, value := range []string{"garbage", "12", "012 5", "-1 5", "12  5", "12 5 "} {
		if _, err := p.kv.Put(t.Context(), "corrupt", []byte(value)); err != nil {
			t.Fatal(err)
		}
		f := p.feeder(t, &collector{}, "corrupt")
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		err := f.Run(ctx)
		cancel()
		if !errors.Is(err, natsanomaly.ErrPosition) {
			t.Errorf("position %q: Run = %v, want ErrPosition", value, err)
		}
	}
}
