package fleettest_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/natskill"
	"github.com/ztci/ztci/identity/oidc/natsreplay"
	"github.com/ztci/ztci/internal/itest"
	"github.com/ztci/ztci/policy/gate/gatetest"
	"github.com/ztci/ztci/policy/gate/internal/fleettest"
)

// connect returns a JetStream client on its own connection to urls, which
// reconnects for ever.
func connect(t testing.TB, urls string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(urls, nats.DontRandomize(), nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}),
		nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond), nats.Timeout(time.Second))
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

// killStaleAfter is the replicas' kill-switch stale bound. A switch not
// proven current for longer than its bound (a stream-info probe every
// eighth of it, then the watch delivering that sequence) denies every
// identity, and the gate answers that deny as it answers a mark
// (gate.job_revoked), after the token is spent. With natskill's default
// 2s, a replica the loaded 2-core CI machine leaves unscheduled for 2s, or
// whose probes take a second each, denies tokens of the unmarked job: the
// switch failing closed, as it must, which ThousandTokens and KillReplica
// would count as lost tokens. These phases test uniqueness and
// propagation, not the bound: KillSwitchPropagation asserts delivery by
// the watch within its own 5s, which a longer bound does not relax (a
// stale replica could only have hidden a slow watch there), and
// KillNATSNode accepts stale denies either way. 10s is five times the
// default and still well inside waitAdmits' 30s, so a watch the switch
// restarts after a node's loss (after half the bound) is back in time.
const killStaleAfter = 10 * time.Second

// natsFleet starts a 3-node JetStream cluster and three replicas, replica
// i preferring node i. This process creates the two R3 buckets first, so
// that three replicas starting together do not race to create them, and
// keeps its own kill switch on node n1: the operator's handle on the
// fleet's marks.
func natsFleet(t *testing.T) (*itest.NATSCluster, *fleet, *natskill.Switch) {
	t.Helper()
	c := itest.StartNATSCluster(t, 3)
	js := connect(t, c.URLsFrom(0))
	log, err := os.Create(filepath.Join(t.TempDir(), "operator.audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	sink, err := audit.NewJSONLines(log)
	if err != nil {
		t.Fatal(err)
	}
	ks := itest.Create(t, "kill-switch bucket", func(ctx context.Context) (*natskill.Switch, error) {
		return natskill.New(ctx, js, sink, natskill.WithBucket(fleettest.KillBucket), natskill.WithReplicas(fleettest.BucketReplicas))
	})
	t.Cleanup(func() { ks.Close() })
	itest.Create(t, "replay bucket", func(ctx context.Context) (*natsreplay.Cache, error) {
		return natsreplay.New(ctx, js, natsreplay.WithBucket(fleettest.ReplayBucket), natsreplay.WithReplicas(fleettest.BucketReplicas))
	})
	f := startFleet(t, []string{fleettest.EnvReplay + "=nats", fleettest.EnvKillStaleAfter + "=" + killStaleAfter.String()}, func(i int) []string {
		return []string{fleettest.EnvNATS + "=" + c.URLsFrom(i)}
	})
	return c, f, ks
}

// TestNATSFleet runs three gate replica processes on a 3-node JetStream
// cluster through, in order: 1,000 tokens each presented to every replica
// at once; kill-switch marks propagating to every replica; a node of the
// cluster killed (SIGKILL) under load, then healed; a replica killed under
// load and a replacement started. The phases share one fleet, as
// production would: each starts from what the previous one left.
func TestNATSFleet(t *testing.T) {
	c, f, ks := natsFleet(t)
	t.Run("ThousandTokens", func(t *testing.T) { thousandTokens(t, f, "NATS") })
	t.Run("KillSwitchPropagation", func(t *testing.T) { killSwitchPropagation(t, f, ks) })
	t.Run("KillNATSNode", func(t *testing.T) { killNATSNode(t, c, f) })
	// Last: its replacement replica lives only as long as the subtest.
	t.Run("KillReplica", func(t *testing.T) { killReplica(t, f) })
}

// killSwitchPropagation marks 100 job identities, one at a time, through
// this process's switch, and polls every replica with fresh tokens of the
// marked identity until each denies it (rule gate.job_revoked). Before a
// replica's watch delivers the mark it may still admit the identity; after
// it has denied once, the phase moves on. The latency of a mark is from
// just before it is written until the last replica denies. Only
// correctness is asserted (every replica denies within 5s); the figures go
// to the log.
func killSwitchPropagation(t *testing.T, f *fleet, ks *natskill.Switch) {
	const marks, bound = 100, 5 * time.Second
	ctx := t.Context()
	var lat, acks []time.Duration
	for m := range marks {
		subject := fmt.Sprintf("repo:%s:marked:%03d", gatetest.Repository, m)
		start := time.Now()
		if err := ks.Mark(ctx, natskill.KindJob, f.jobID(subject), "fleet test: propagation", "fleettest", time.Time{}); err != nil {
			t.Fatal(err)
		}
		acks = append(acks, time.Since(start))
		denied := make([]time.Duration, len(f.replicas))
		var wg sync.WaitGroup
		for j, r := range f.replicas {
			wg.Go(func() {
				for {
					tok, err := f.mint(subject)
					if err != nil {
						t.Error(err)
						return
					}
					switch v, detail := f.admit(ctx, r, tok); {
					case v == revoked:
						denied[j] = time.Since(start)
						return
					case v != accepted:
						t.Errorf("mark %d: replica %s answered %s (%s), want accepted until it denies", m, r.name, v, detail)
						return
					case time.Since(start) > bound:
						t.Errorf("mark %d: replica %s still admits the marked identity %v after the mark", m, r.name, bound)
						return
					}
				}
			})
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		lat = append(lat, slices.Max(denied))
	}
	slices.Sort(lat)
	slices.Sort(acks)
	t.Logf("kill switch: %d marks written through node n1; until all 3 replica processes deny the marked job: p50 %v, p99 %v, max %v (mark acknowledged: p50 %v, p99 %v)",
		marks, pct(lat, 50), pct(lat, 99), pct(lat, 100), pct(acks, 50), pct(acks, 99))
}

// pct is the p-th percentile of sorted (nearest rank).
func pct(sorted []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(i, 0)].Round(10 * time.Microsecond)
}

// killNATSNode presents 1,000 fresh tokens to all three replicas and kills
// the node leading the replay bucket's stream (SIGKILL: no clean shutdown,
// no flush) after the first 300 have been handed out, so that the claims
// in flight must wait for an election. No token may be accepted twice, and every token no
// replica accepted must have been refused by a replica that could not
// decide (the replay store unavailable while the streams elect new
// leaders, or the kill switch unsure it is current): a claim whose answer
// was lost spends its token, and denying is the safe side. Then each
// replica must admit again on the two remaining nodes, and again once the
// node is restarted and has caught up (the heal).
func killNATSNode(t *testing.T, c *itest.NATSCluster, f *fleet) {
	const n, killAt = 1000, 300
	toks := f.mintN(t, n)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	leader := replayLeader(t, c)
	start := time.Now()
	var killed time.Time
	o := f.present(ctx, toks, f.replicas, func(i int) {
		if i == killAt {
			leader.Kill(t)
			killed = time.Now()
		}
	})
	_, twice, never, by := o.counts()
	t.Logf("NATS node %s (replay stream leader) killed after %d of %d tokens (%v in): %v; in %v",
		leader.Name, killAt, n, killed.Sub(start).Round(time.Millisecond), o, time.Since(start).Round(time.Millisecond))
	if twice != 0 {
		t.Fatalf("%d tokens accepted more than once", twice)
	}
	if by[other] != 0 || by[unreachable] != 0 {
		t.Errorf("want only accepted, replayed, undecided or revoked answers; first other or unreachable: %s", o.firstOther)
	}
	for i, vs := range o.verdicts {
		if o.accepts(i) == 0 && !slices.ContainsFunc(vs, func(v verdict) bool { return v == undecided || v == revoked }) {
			t.Errorf("token %d accepted by no replica, and none said it could not decide: %v", i, vs)
		}
	}
	t.Logf("%d tokens accepted by no replica, each refused by a replica that could not decide", never)
	recovered := time.Now()
	for _, r := range f.replicas {
		f.waitAdmits(t, r, 30*time.Second)
	}
	t.Logf("every replica admits again %v after the last answer", time.Since(recovered).Round(time.Millisecond))

	// Heal: the node comes back with its store and catches up; the fleet
	// goes on deciding meanwhile, and the next phase starts whole (a
	// replica started with a node down could have its watches placed on
	// the dead node until the cluster notices).
	healed := time.Now()
	leader.Restart(t)
	leader.WaitHealthy(t, time.Minute)
	for _, r := range f.replicas {
		f.waitAdmits(t, r, 30*time.Second)
	}
	t.Logf("node %s healthy again and every replica admitting %v after its restart", leader.Name, time.Since(healed).Round(time.Millisecond))
}

// replayLeader is the node that leads the replay bucket's stream.
func replayLeader(t *testing.T, c *itest.NATSCluster) *itest.NATSNode {
	t.Helper()
	st, err := connect(t, c.URLs()).Stream(t.Context(), "KV_"+fleettest.ReplayBucket)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, node := range c.Nodes {
		if info.Cluster != nil && node.Name == info.Cluster.Leader {
			return node
		}
	}
	t.Fatalf("replay stream has no leader among the nodes: %+v", info.Cluster)
	return nil
}

// killReplica presents 600 fresh tokens to all three replicas and kills
// replica r3 (SIGKILL) before the 201st is handed out. The two others keep
// deciding: every token is accepted at most once, the survivors answer
// only accepted or replayed, every token handed out after the kill is
// accepted by exactly one survivor, and a token nobody accepted was taken
// by r3 as it died (its claim recorded, its answer lost). Then a
// replacement replica starts: it refuses all 600 as replayed, since the
// claims live in the cluster, not in the replica that made them.
func killReplica(t *testing.T, f *fleet) {
	const n, killAt = 600, 200
	toks := f.mintN(t, n)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	dying := f.replicas[2]
	start := time.Now()
	o := f.present(ctx, toks, f.replicas, func(i int) {
		if i == killAt {
			dying.p.Kill()
		}
	})
	_, twice, _, _ := o.counts()
	t.Logf("replica %s killed after %d of %d tokens: %v; in %v", dying.name, killAt, n, o, time.Since(start).Round(time.Millisecond))
	if twice != 0 {
		t.Fatalf("%d tokens accepted more than once", twice)
	}
	spent := 0
	for i, vs := range o.verdicts {
		if slices.ContainsFunc(vs[:2], func(v verdict) bool { return v != accepted && v != replayed }) {
			t.Errorf("token %d: survivors answered %v", i, vs[:2])
		}
		switch {
		case i >= killAt && (vs[2] != unreachable || o.accepts(i) != 1):
			t.Errorf("token %d handed out after the kill: answers %v, want one survivor accepting", i, vs)
		case o.accepts(i) == 0 && vs[2] != unreachable:
			t.Errorf("token %d accepted by nobody although %s answered %s", i, dying.name, vs[2])
		case o.accepts(i) == 0:
			spent++
		}
	}
	t.Logf("%d tokens spent by %s as it died (never accepted)", spent, dying.name)

	replacement := f.launch(t, 2)
	f.waitReady(t, replacement)
	again := f.present(ctx, toks, []*replica{replacement}, nil)
	_, _, _, by := again.counts()
	t.Logf("replacement replica: %v", again)
	if by[replayed] != n {
		t.Errorf("replacement replica refused %d of %d spent tokens as replayed; first other: %s", by[replayed], n, again.firstOther)
	}
}
