package natsanomaly_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/natsanomaly"
	"github.com/ztci/ztci/audit/natsink"
	"github.com/ztci/ztci/internal/itest"
)

func connect(t testing.TB, urls string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(urls, nats.DontRandomize(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond),
		nats.Timeout(time.Second), nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// collector is the feeder's output: the anomalies, in order.
type collector struct {
	mu  sync.Mutex
	got []audit.Event
}

func (c *collector) Write(_ context.Context, e audit.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, e)
	return nil
}

func (c *collector) rules() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, e := range c.got {
		out = append(out, e.Attributes[audit.AttrRule]+":"+e.Attributes[audit.AttrTriggerEvent])
	}
	return out
}

// base is a Tuesday, 10:00 UTC: inside the default working hours.
var base = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func ev(id, actor, action, resource string, at time.Time) audit.Event {
	return audit.Event{
		ID: id, Time: at, Source: "ztci/gate", Action: action, Outcome: audit.OutcomeAllow,
		Actor: audit.Actor{ID: actor}, Resource: resource, Attributes: map[string]string{"tenant": "acme"},
	}
}

// run starts f and returns a function that stops it and returns Run's error.
func run(t *testing.T, f *natsanomaly.Feeder) func() error {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	// Once: the test may stop the feeder itself before the cleanup does.
	stop := sync.OnceValue(func() error { cancel(); return <-done })
	t.Cleanup(func() { _ = stop() })
	return stop
}

// caughtUp waits until f has examined every event in the stream.
func caughtUp(t *testing.T, f *natsanomaly.Feeder, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		err := f.Check(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("feeder not caught up after %v: %v (stats %+v)", within, err, f.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func newFeeder(t *testing.T, js jetstream.JetStream, out audit.Sink) *natsanomaly.Feeder {
	t.Helper()
	f, err := natsanomaly.New(js, "AUDIT", out,
		natsanomaly.WithDetector(audit.WithLearning(10), audit.WithBurst(30, time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFleetBaselineOnCluster(t *testing.T) {
	c := itest.StartNATSCluster(t, 3)
	pubA, pubB := connect(t, c.URLsFrom(0)), connect(t, c.URLsFrom(1))
	feedJS := connect(t, c.URLsFrom(2))
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	// A cluster started moments ago may still be electing its meta
	// leader: retry the creation until the context's deadline.
	for {
		_, err := pubA.CreateStream(ctx, jetstream.StreamConfig{
			Name: "AUDIT", Subjects: []string{"ztci.audit.>"}, Duplicates: 10 * time.Minute, Replicas: 3, Storage: jetstream.FileStorage,
			DenyDelete: true, DenyPurge: true,
		})
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("create stream: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	sinkA, err := natsink.New(pubA, "AUDIT", natsink.TenantAttribute("tenant"))
	if err != nil {
		t.Fatal(err)
	}
	sinkB, err := natsink.New(pubB, "AUDIT", natsink.TenantAttribute("tenant"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(s *natsink.Sink, e audit.Event) {
		t.Helper()
		// A stream created moments ago on a cluster may not take writes
		// until its leader is elected: retry, the event id de-duplicates.
		deadline := time.Now().Add(30 * time.Second)
		for {
			wctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
			err := s.Write(wctx, e)
			cancel()
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("publish %s: %v", e.ID, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	// Replica A sees the job deploy, replica B sees it read secrets: each
	// replica alone knows half of the job's behaviour.
	const job = "spiffe://acme/ci/job"
	at := base
	for i := range 12 {
		at = at.Add(time.Minute)
		write(sinkA, ev(fmt.Sprintf("a-%d", i), job, "gate.admit", "prod", at))
		at = at.Add(time.Minute)
		write(sinkB, ev(fmt.Sprintf("b-%d", i), job, "secrets.lease", "db", at))
	}
	out1 := &collector{}
	f1 := newFeeder(t, feedJS, out1)
	stop1 := run(t, f1)
	caughtUp(t, f1, 30*time.Second)
	// A garbage message in the stream is counted and skipped, not fatal.
	pctx, pcancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer pcancel()
	if _, err := pubB.Publish(pctx, "ztci.audit.acme", []byte("not an audit event")); err != nil {
		t.Fatal(err)
	}
	// After learning, replica B sees the job deploy: normal for the fleet
	// (replica B's own detector would call it first_seen). Then a new pair.
	at = at.Add(time.Minute)
	write(sinkB, ev("b-normal", job, "gate.admit", "prod", at))
	at = at.Add(time.Minute)
	write(sinkA, ev("a-new", job, "secrets.lease", "prod-signing-key", at))
	caughtUp(t, f1, 30*time.Second)
	if got := out1.rules(); len(got) != 1 || got[0] != "first_seen:a-new" {
		t.Fatalf("anomalies: got %v, want [first_seen:a-new]", got)
	}
	st := f1.Stats()
	t.Logf("feeder 1: %+v", st)
	if st.Fed != 26 || st.Undecodable != 1 || st.Anomalies != 1 || st.Replayed != 0 {
		t.Errorf("stats %+v: want 26 fed, 1 undecodable, 1 anomaly, 0 replayed", st)
	}
	if err := stop1(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if err := f1.Check(t.Context()); !errors.Is(err, natsanomaly.ErrNotRunning) {
		t.Errorf("Check after Run returned: %v, want ErrNotRunning", err)
	}

	// A new feeder (a restart) rebuilds the baseline from the stream: no
	// learning window, no repeated anomalies.
	out2 := &collector{}
	f2 := newFeeder(t, feedJS, out2)
	run(t, f2)
	caughtUp(t, f2, 30*time.Second)
	if got := out2.rules(); len(got) != 0 {
		t.Fatalf("replay re-raised %v", got)
	}
	if st := f2.Stats(); st.Fed != 26 || st.Replayed != 1 {
		t.Errorf("after replay %+v: want 26 fed, 1 replayed anomaly", st)
	}
	at = at.Add(time.Minute)
	write(sinkA, ev("a-after-restart", job, "secrets.lease", "db", at)) // known pair
	at = at.Add(time.Minute)
	write(sinkB, ev("b-after-restart", job, "gate.admit", "staging", at)) // new pair
	caughtUp(t, f2, 30*time.Second)
	if got := out2.rules(); len(got) != 1 || got[0] != "first_seen:b-after-restart" {
		t.Fatalf("after restart: anomalies %v, want [first_seen:b-after-restart]", got)
	}

	// kill -9 of the node the feeder is connected to while both replicas
	// publish: every acknowledged event is examined, none twice.
	var acked atomic.Int64
	var wg sync.WaitGroup
	for r, s := range []*natsink.Sink{sinkA, sinkB} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 150 {
				e := ev(fmt.Sprintf("load-%d-%d", r, i), fmt.Sprintf("spiffe://acme/ci/load-%d-%d", r, i%10), "gate.admit", "prod",
					base.Add(time.Duration(i)*time.Minute))
				write(s, e)
				acked.Add(1)
				if r == 0 && i == 50 {
					c.Nodes[2].Kill(t)
				}
			}
		}()
	}
	wg.Wait()
	caughtUp(t, f2, 60*time.Second)
	st = f2.Stats()
	t.Logf("feeder 2 after killing its node: %+v (acknowledged %d)", st, acked.Load())
	if want := uint64(28 + acked.Load()); st.Fed != want {
		t.Errorf("fed %d events, want %d: events lost or examined twice", st.Fed, want)
	}
}

func TestUnreachableStreamIsReported(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	f := newFeeder(t, js, &collector{})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := f.Run(ctx); !errors.Is(err, natsanomaly.ErrUnavailable) {
		t.Fatalf("Run on a missing stream: %v, want ErrUnavailable", err)
	}
	if err := f.Run(ctx); !errors.Is(err, natsanomaly.ErrUsed) {
		t.Fatalf("second Run: %v, want ErrUsed", err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	for name, opts := range map[string][]natsanomaly.Option{
		"nil option":     {nil},
		"empty subjects": {natsanomaly.WithSubjects()},
		"zero start":     {natsanomaly.WithStartTime(time.Time{})},
		"nil logger":     {natsanomaly.WithLogger(nil)},
		"zero stall":     {natsanomaly.WithStallTimeout(0)},
		"bad detector":   {natsanomaly.WithDetector(audit.WithLearning(-1))},
		"nil bucket":     {natsanomaly.WithPosition(nil, "feeder")},
		"bad key":        {natsanomaly.WithPosition(struct{ jetstream.KeyValue }{}, "feeder.")},
		"empty key":      {natsanomaly.WithPosition(struct{ jetstream.KeyValue }{}, "")},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// A real JetStream value without a server: New does no I/O.
			nc := &nats.Conn{}
			js, err := jetstream.New(nc)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := natsanomaly.New(js, "AUDIT", &collector{}, opts...); !errors.Is(err, natsanomaly.ErrConfig) || !errors.Is(err, audit.ErrConfig) {
				t.Errorf("New: %v, want ErrConfig", err)
			}
		})
	}
}
