package natskill_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/pprof"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/audit/natskill"
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

// fleet starts a 3-node cluster and one switch per node, each on its own
// connection preferring that node, sharing an R3 bucket.
func fleet(t testing.TB, opts ...natskill.Option) (*itest.NATSCluster, []*natskill.Switch, *audittest.Recorder) {
	t.Helper()
	c := itest.StartNATSCluster(t, 3)
	rec := audittest.NewRecorder()
	var sw []*natskill.Switch
	for i := range c.Nodes {
		logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})).With("replica", i+1)
		js := connect(t, c.URLsFrom(i))
		s := itest.Create(t, "kill-switch bucket", func(ctx context.Context) (*natskill.Switch, error) {
			return natskill.New(ctx, js, rec, append([]natskill.Option{natskill.WithReplicas(3), natskill.WithLogger(logger)}, opts...)...)
		})
		t.Cleanup(func() { s.Close() })
		sw = append(sw, s)
	}
	// A stream just created on three nodes takes up to a second or so
	// before its first message reaches the watchers (the switches deny
	// meanwhile, as they cannot confirm they are current); the fleet under
	// test is the steady state, so wait until one mark and its clear have
	// reached every replica.
	const warm = "spiffe://example.org/warm-up"
	// The bucket's stream may not take writes until its leader is elected.
	waitFor(t, 30*time.Second, func() bool {
		return retrying(sw[0].Mark(context.Background(), natskill.KindJob, warm, "warm-up", "test", time.Time{}))
	})
	for _, s := range sw {
		waitFor(t, 30*time.Second, func() bool { return errors.Is(s.Check(natskill.KindJob, warm), natskill.ErrCompromised) })
	}
	waitFor(t, 30*time.Second, func() bool {
		return retrying(sw[0].Clear(context.Background(), natskill.KindJob, warm, "warm-up", "test"))
	})
	for _, s := range sw {
		waitFor(t, 30*time.Second, func() bool { return s.Check(natskill.KindJob, warm) == nil })
	}
	rec.Reset()
	return c, sw, rec
}

// retrying reports whether a warm-up write succeeded, pausing before the
// next attempt when it did not.
func retrying(err error) bool {
	if err != nil {
		time.Sleep(50 * time.Millisecond)
	}
	return err == nil
}

// waitFor polls cond every 100µs until it holds or the timeout passes, and
// returns how long it took.
func waitFor(t testing.TB, timeout time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > timeout {
			t.Fatalf("condition not met after %v", timeout)
		}
		time.Sleep(100 * time.Microsecond)
	}
	return time.Since(start)
}

func percentile(d []time.Duration, q float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1))]
}

func TestMarkPropagatesToEveryReplica(t *testing.T) {
	_, sw, rec := fleet(t)
	ctx := t.Context()
	const n = 250
	lat := make([]time.Duration, 0, n)
	for i := range n {
		id := fmt.Sprintf("spiffe://example.org/ci/job-%d", i)
		start := time.Now()
		if err := sw[0].Mark(ctx, natskill.KindJob, id, "runtime alert", "falco", time.Time{}); err != nil {
			t.Fatal(err)
		}
		if !sw[0].Compromised(id) {
			t.Fatalf("mark not in force on the marking replica when Mark returns")
		}
		waitFor(t, 5*time.Second, func() bool { return sw[1].Compromised(id) && sw[2].Compromised(id) })
		lat = append(lat, time.Since(start))
	}
	p50, p99, worst := percentile(lat, 0.5), percentile(lat, 0.99), percentile(lat, 1)
	t.Logf("mark on replica 1 → denied on replicas 2 and 3, %d marks (R3 bucket, 3-node cluster): p50 %v, p99 %v, max %v",
		n, p50.Round(10*time.Microsecond), p99.Round(10*time.Microsecond), worst.Round(10*time.Microsecond))
	// The target is p99 ≤ 100ms; it is reported, not asserted: a timing on
	// a shared machine is a measurement, not a property (see the README's
	// figures).
	if got := len(rec.Events()); got != n {
		t.Errorf("%d audit events, want %d", got, n)
	}
	// Clearing on replica 3 lifts the mark everywhere.
	id := "spiffe://example.org/ci/job-7"
	if err := sw[2].Clear(ctx, natskill.KindJob, id, "false positive", "oncall"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, func() bool {
		return !sw[0].Compromised(id) && !sw[1].Compromised(id) && !sw[2].Compromised(id)
	})
	if got := len(sw[1].Marks()); got != n-1 {
		t.Errorf("replica 2 holds %d marks, want %d", got, n-1)
	}
}

func TestKindsAreSeparate(t *testing.T) {
	_, sw, _ := fleet(t)
	ctx := t.Context()
	if err := sw[0].Mark(ctx, natskill.KindKey, "kid-1", "key leaked", "oncall", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := sw[0].Mark(ctx, natskill.KindSPIFFE, "spiffe://example.org/runner", "node compromised", "oncall", time.Time{}); err != nil {
		t.Fatal(err)
	}
	s := sw[1]
	waitFor(t, 5*time.Second, func() bool { return s.For(natskill.KindKey).Compromised("kid-1") })
	var me *natskill.MarkedError
	if err := s.Check(natskill.KindKey, "kid-1"); !errors.As(err, &me) || !errors.Is(err, natskill.ErrCompromised) || me.Mark.By != "oncall" {
		t.Errorf("Check(key, kid-1) = %v", err)
	}
	waitFor(t, 5*time.Second, func() bool { return s.Compromised("spiffe://example.org/runner") })
	for _, tt := range []struct {
		name string
		kind natskill.Kind
		id   string
	}{
		{"job with a marked key's id", natskill.KindJob, "kid-1"},
		{"builder with a marked key's id", natskill.KindBuilder, "kid-1"},
		{"signer with a marked SPIFFE ID", natskill.KindSigner, "spiffe://example.org/runner"},
		{"other key", natskill.KindKey, "kid-2"},
	} {
		if err := s.Check(tt.kind, tt.id); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	if s.Compromised("kid-1") {
		t.Error("Compromised (job and SPIFFE kinds) matched a key id")
	}
}

func TestMarkExpires(t *testing.T) {
	_, sw, _ := fleet(t)
	id := "spiffe://example.org/ci/short"
	if err := sw[0].Mark(t.Context(), natskill.KindJob, id, "quarantine", "oncall", time.Now().Add(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, func() bool { return sw[1].Compromised(id) })
	waitFor(t, 5*time.Second, func() bool { return !sw[1].Compromised(id) && !sw[0].Compromised(id) })
}

func TestNATSDownFailsClosedAndRecovers(t *testing.T) {
	c, sw, _ := fleet(t, natskill.WithStaleAfter(400*time.Millisecond), natskill.WithTimeout(200*time.Millisecond))
	ctx := t.Context()
	const marked = "spiffe://example.org/ci/marked"
	if err := sw[0].Mark(ctx, natskill.KindJob, marked, "alert", "falco", time.Time{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, func() bool { return sw[2].Compromised(marked) })
	const clean = "spiffe://example.org/ci/clean"
	for i, s := range sw {
		if s.Compromised(clean) {
			t.Fatalf("replica %d denies an unmarked identity while healthy: %v", i, s.Check(natskill.KindJob, clean))
		}
	}
	downAt := time.Now()
	for _, n := range c.Nodes {
		n.Kill(t)
	}
	for i, s := range sw {
		waitFor(t, 5*time.Second, func() bool { return s.Compromised(clean) })
		d := time.Since(downAt)
		var se *natskill.StaleError
		if err := s.Check(natskill.KindJob, clean); !errors.Is(err, natskill.ErrStale) || !errors.As(err, &se) || !errors.Is(err, natskill.ErrUndecided) {
			t.Errorf("replica %d: %v, want ErrStale", i, err)
		}
		t.Logf("replica %d denies every identity %v after all nodes went down (bound 400ms)", i+1, d.Round(time.Millisecond))
	}
	if err := sw[1].Mark(ctx, natskill.KindJob, "spiffe://example.org/ci/other", "alert", "falco", time.Time{}); !errors.Is(err, natskill.ErrUnavailable) {
		t.Errorf("Mark with NATS down: %v, want ErrUnavailable", err)
	}
	for _, n := range c.Nodes {
		n.Restart(t)
	}
	for _, n := range c.Nodes {
		n.WaitHealthy(t, time.Minute)
	}
	for i, s := range sw {
		waitFor(t, 30*time.Second, func() bool { return !s.Compromised(clean) })
		if !s.Compromised(marked) {
			t.Errorf("replica %d lost the mark made before the outage", i)
		}
	}
}

func TestKillOneNodeLosesNoMark(t *testing.T) {
	c, sw, _ := fleet(t)
	ctx := t.Context()
	const n = 120
	for i := range n {
		if i == 40 {
			c.Nodes[0].Kill(t) // the node replica 1 is connected to
		}
		id := fmt.Sprintf("spiffe://example.org/ci/job-%d", i)
		deadline := time.Now().Add(30 * time.Second)
		for { // an unacknowledged mark is retried, as the doc tells callers to
			err := sw[0].Mark(ctx, natskill.KindJob, id, "alert", "falco", time.Time{})
			if err == nil {
				break
			}
			if !errors.Is(err, natskill.ErrUnavailable) || time.Now().After(deadline) {
				t.Fatalf("mark %d: %v", i, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	c.Nodes[0].Restart(t)
	c.Nodes[0].WaitHealthy(t, time.Minute)
	for r, s := range sw {
		waitFor(t, 30*time.Second, func() bool { return len(s.Marks()) == n })
		for i := range n {
			if id := fmt.Sprintf("spiffe://example.org/ci/job-%d", i); !s.Compromised(id) {
				t.Errorf("replica %d: mark %d lost", r+1, i)
			}
		}
	}
}

func TestInvalidEntryFailsClosed(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	s, err := natskill.New(t.Context(), js, audittest.NewRecorder())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	kv, err := js.KeyValue(t.Context(), "ztci_killswitch")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(t.Context(), "job.garbage", []byte(`{"kind":"job"`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, func() bool { return errors.Is(s.Check(natskill.KindJob, "anyone"), natskill.ErrCorrupt) })
	if err := kv.Delete(t.Context(), "job.garbage"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, func() bool { return s.Check(natskill.KindJob, "anyone") == nil })
}

func TestDetectorEventsAndAudit(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	rec := audittest.NewRecorder()
	s, err := natskill.New(t.Context(), connect(t, c.URLs()), rec)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	var sink audit.Sink = s
	ev := audit.Event{
		ID: "alert-1", Time: time.Now().UTC(), Source: "falco", Action: audit.ActionCompromiseDetected,
		Outcome: audit.OutcomeSuccess, Actor: audit.Actor{ID: "falco"},
		Attributes: map[string]string{audit.AttrCompromisedID: "https://builder.example.com/v1", natskill.AttrCompromisedKind: "builder"},
	}
	if err := sink.Write(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if !s.For(natskill.KindBuilder).Compromised("https://builder.example.com/v1") {
		t.Error("detector event did not mark the builder")
	}
	bad := ev
	bad.Attributes = map[string]string{audit.AttrCompromisedID: "x", natskill.AttrCompromisedKind: "planet"}
	if err := sink.Write(ctx, bad); !errors.Is(err, audit.ErrInvalidEvent) {
		t.Errorf("unknown kind: %v, want ErrInvalidEvent", err)
	}
	if got := rec.Actions(); !slices.Equal(got, []string{audit.ActionKillSwitchMark}) {
		t.Errorf("audited %v", got)
	}
	rec.Fail(errors.New("audit log full"))
	if err := s.Mark(ctx, natskill.KindSigner, "ci@example.com", "leaked", "oncall", time.Time{}); err == nil {
		t.Error("Mark with a failing audit sink returned nil")
	}
	if !s.For(natskill.KindSigner).Compromised("ci@example.com") {
		t.Error("mark not in force after an audit failure (denying is the safe side)")
	}
	if err := s.Clear(ctx, natskill.KindSigner, "ci@example.com", "ok", "oncall"); err == nil {
		t.Error("Clear with a failing audit sink returned nil")
	}
	time.Sleep(50 * time.Millisecond)
	if !s.For(natskill.KindSigner).Compromised("ci@example.com") {
		t.Error("clear took effect without being audited")
	}
}

func TestCloseStopsEverything(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	s, err := natskill.New(t.Context(), connect(t, c.URLs()), audittest.NewRecorder())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("Close took %v", time.Since(start))
	var buf bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&buf, 2)
	// A goroutine of the switch runs code of the package; the package's
	// own tests waiting to run in parallel are not the switch's.
	for _, g := range strings.Split(buf.String(), "\n\n") {
		if strings.Contains(g, "audit/natskill.") && !strings.Contains(g, "audit/natskill.Test") {
			t.Errorf("goroutine of the switch left after Close:\n%s", g)
		}
	}
	if !errors.Is(s.Check(natskill.KindJob, "x"), natskill.ErrClosed) || !s.Compromised("x") {
		t.Error("a closed switch must deny")
	}
}

func TestOptionsRejectMisuse(t *testing.T) {
	t.Parallel()
	js, _ := jetstream.New(&nats.Conn{})
	tests := []struct {
		name string
		opt  natskill.Option
	}{
		{"bucket with dot", natskill.WithBucket("a.b")},
		{"zero replicas", natskill.WithReplicas(0)},
		{"tiny stale bound", natskill.WithStaleAfter(time.Millisecond)},
		{"zero timeout", natskill.WithTimeout(0)},
		{"nil clock", natskill.WithClock(nil)},
		{"nil logger", natskill.WithLogger(nil)},
		{"nil mark callback", natskill.WithOnMark(nil)},
		{"nil option", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := natskill.New(t.Context(), js, audittest.NewRecorder(), tt.opt); !errors.Is(err, natskill.ErrConfig) {
				t.Errorf("got %v, want ErrConfig", err)
			}
		})
	}
	if _, err := natskill.New(t.Context(), js, nil); !errors.Is(err, natskill.ErrConfig) {
		t.Errorf("nil sink: %v", err)
	}
}

// TestMarkNeverShortensALiveMark: an operator's permanent mark survives a
// later, bounded mark written on another replica (an automatic quarantine),
// and concurrent marks on every replica leave the longest in force.
func TestMarkNeverShortensALiveMark(t *testing.T) {
	_, sw, _ := fleet(t)
	ctx := t.Context()
	const id = "spiffe://example.org/ci/stolen"
	// A mark that could not be recorded (ErrUnavailable while a fresh
	// cluster routes the bucket) is retried, as its doc says.
	waitFor(t, 30*time.Second, func() bool {
		return retrying(sw[0].Mark(ctx, natskill.KindJob, id, "confirmed compromise", "oncall", time.Time{}))
	})
	waitFor(t, 30*time.Second, func() bool {
		return retrying(sw[1].Mark(ctx, natskill.KindJob, id, "automatic quarantine", "ztci/audit/escalator", time.Now().Add(300*time.Millisecond)))
	})
	time.Sleep(600 * time.Millisecond)
	for i, s := range sw {
		if !s.Compromised(id) {
			t.Fatalf("replica %d: the permanent mark was shortened by a bounded one", i)
		}
	}

	const other = "spiffe://example.org/ci/raced"
	longest := time.Now().Add(time.Hour).Truncate(time.Second)
	errs := make(chan error, 3*5)
	for i, s := range sw {
		for j := range 5 {
			go func() {
				until := longest.Add(-time.Duration(i*5+j) * time.Minute)
				var err error
				for range 100 {
					if err = s.Mark(ctx, natskill.KindJob, other, "race", "oncall", until); !errors.Is(err, natskill.ErrUnavailable) {
						break
					}
					time.Sleep(50 * time.Millisecond)
				}
				errs <- err
			}()
		}
	}
	for range 3 * 5 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 5*time.Second, func() bool {
		for _, s := range sw {
			var got time.Time
			for _, m := range s.Marks() {
				if m.ID == other {
					got = m.Until
				}
			}
			if !got.Equal(longest) {
				return false
			}
		}
		return true
	})
}
