package natslease_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/internal/itest"
	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/internal/leasetest"
	"github.com/ztci/ztci/secrets/natslease"
	"github.com/ztci/ztci/secrets/postgres"
)

// connect returns a JetStream client on its own connection to urls.
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

var buckets atomic.Int64

// newRegistry creates a fresh R3 bucket and waits until it takes writes: a
// bucket just created on three nodes may still be electing its stream's
// leader.
func newRegistry(t testing.TB, js jetstream.JetStream, opts ...natslease.Option) (*natslease.Registry, string) {
	t.Helper()
	bucket := fmt.Sprintf("leases_%d_%d", os.Getpid(), buckets.Add(1))
	if os.Getenv("ZTCI_NATSLEASE_DEBUG") != "" {
		opts = append(opts, natslease.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	}
	// Ten seconds, not the 2 s default, for each call: on a loaded 2-core
	// CI machine running three NATS servers, listing a new R3 bucket (an
	// ordered consumer to create) once took longer than 2 s. A test that
	// times calls out passes its own WithTimeout, which comes later.
	opts = append([]natslease.Option{natslease.WithBucket(bucket), natslease.WithReplicas(3), natslease.WithTimeout(10 * time.Second)}, opts...)
	reg := itest.Create(t, "bucket "+bucket, func(ctx context.Context) (*natslease.Registry, error) {
		return natslease.New(ctx, js, opts...)
	})
	waitWrites(t, reg, bucket)
	return reg, bucket
}

// waitWrites waits until reg's connection can write to the bucket: a
// server whose routes to the stream's leader are still forming answers a
// first write with "no response from stream", which the registry rightly
// reports as an error (fail closed) but which is not what a test asserts.
func waitWrites(t testing.TB, reg *natslease.Registry, bucket string) {
	t.Helper()
	itest.Create(t, "a first write to bucket "+bucket, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, reg.Heartbeat(ctx, "warm-up", time.Second)
	})
}

func TestContract(t *testing.T) {
	c := itest.StartNATSCluster(t, 3)
	js := connect(t, c.URLs())
	leasetest.Run(t, func(t *testing.T) leasetest.Registry {
		reg, _ := newRegistry(t, js)
		return reg
	})
}

// The registries of three nodes, each on a connection to a different
// server, agree: one sees another's heartbeat and claims exclusively.
func TestAcrossNodes(t *testing.T) {
	c := itest.StartNATSCluster(t, 3)
	ctx := t.Context()
	reg0, bucket := newRegistry(t, connect(t, c.URLsFrom(0)))
	var regs []*natslease.Registry
	for i := 1; i < 3; i++ {
		r, err := natslease.New(ctx, connect(t, c.URLsFrom(i)), natslease.WithBucket(bucket), natslease.WithTimeout(10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		waitWrites(t, r, bucket)
		regs = append(regs, r)
	}
	if err := reg0.Heartbeat(ctx, "runner-1", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := reg0.Register(ctx, leasetest.Record("l1", "runner-1")); err != nil {
		t.Fatal(err)
	}
	if err := reg0.Register(ctx, leasetest.Record("l2", "runner-2")); err != nil {
		t.Fatal(err)
	}
	// Node 2's listing may lag node 1's writes by a moment (a reaper's
	// next round sees them): claim until l2 is listed, and never l1.
	deadline := time.Now().Add(10 * time.Second)
	for {
		cs, err := regs[0].Claim(ctx, "reaper-1", time.Hour, 10)
		if err != nil || len(cs) > 1 || (len(cs) == 1 && cs[0].Record.LeaseID != "l2") {
			t.Fatalf("node 2 claimed %+v, %v; want only l2", cs, err)
		}
		if len(cs) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("node 2 never claimed l2, whose owner has no heartbeat")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if cs, err := regs[1].Claim(ctx, "reaper-2", time.Hour, 10); err != nil || len(cs) != 0 {
		t.Fatalf("node 3 claimed %+v, %v; want nothing", cs, err)
	}
}

func TestFailsClosed(t *testing.T) {
	c := itest.StartNATSCluster(t, 3)
	js := connect(t, c.URLs())
	reg, _ := newRegistry(t, js, natslease.WithTimeout(500*time.Millisecond))
	be := leasetest.NewCountingRevoker()
	issued := 0
	backend := secrets.BackendFunc(func(context.Context, secrets.Request) (secrets.Grant, error) {
		issued++
		return secrets.Grant{Value: secrets.NewValue("a-secret-value-0123")}, nil
	})
	br, err := secrets.New(secrets.AllowNames("db"), backend, secrets.WithLeaseRegistry(reg, "runner-x", "mem"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range c.Nodes {
		n.Kill(t)
	}
	ctx := t.Context()
	who := identity.Identity{Issuer: "https://ci.example.com", Subject: "repo:octo/app"}
	j, err := br.Begin(ctx, secrets.JobSpec{ID: "j", Identity: who})
	if err != nil {
		t.Fatal(err)
	}
	l, err := j.Lease(ctx, "db")
	if !errors.Is(err, natslease.ErrUnavailable) || !errors.Is(err, secrets.ErrLeaseRegistry) || l != nil || issued != 0 {
		t.Fatalf("Lease with every NATS node down: %v, %v (issued %d)", l, err, issued)
	}
	if err := reg.Register(ctx, leasetest.Record("x", "o")); !errors.Is(err, natslease.ErrUnavailable) {
		t.Fatalf("Register: %v", err)
	}
	if cs, err := reg.Claim(ctx, "r", time.Minute, 10); !errors.Is(err, natslease.ErrUnavailable) || len(cs) != 0 {
		t.Fatalf("Claim: %+v %v", cs, err)
	}
	r, err := secrets.NewReaper(reg, map[string]secrets.Revoker{"mem": be})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := r.Reap(ctx); !errors.Is(err, secrets.ErrLeaseRegistry) || rep != (secrets.ReapReport{}) {
		t.Fatalf("Reap: %+v %v", rep, err)
	}
	_ = j.End(ctx)
}

func TestNewRefusesBadConfig(t *testing.T) {
	for name, opt := range map[string]natslease.Option{
		"bucket":   natslease.WithBucket("a.b"),
		"replicas": natslease.WithReplicas(0),
		"timeout":  natslease.WithTimeout(0),
		"logger":   natslease.WithLogger(nil),
	} {
		if _, err := natslease.New(t.Context(), nil, opt); !errors.Is(err, natslease.ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// events counts audit events.
type events struct{ n atomic.Int64 }

func (e *events) Write(context.Context, audit.Event) error { e.n.Add(1); return nil }
func (e *events) count() int64                             { return e.n.Load() }

var leaseLine = regexp.MustCompile(`LEASE (ztci_[0-9a-f]+)\n`)

// buildRunner builds internal/testrunner into a temporary directory.
func buildRunner(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to build the runner: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "runner")
	out, err := exec.Command(gobin, "build", "-o", bin, "./internal/testrunner").CombinedOutput()
	if err != nil {
		t.Fatalf("build runner: %v\n%s", err, out)
	}
	return bin
}

func roleExists(t *testing.T, pool *pgxpool.Pool, role string) bool {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM pg_roles WHERE rolname = $1", role).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// Two runner processes hold leases on real PostgreSQL roles; one is killed
// with SIGKILL. A reaper revokes the dead runner's role within the
// heartbeat timeout (plus slack for a loaded machine: the bound checks
// that the reaper acts on an expired heartbeat, not how fast this machine
// is) and leaves the live runner's alone.
func TestKill9RunnerLeasesReaped(t *testing.T) {
	const heartbeat = 2 * time.Second
	c := itest.StartNATSCluster(t, 3)
	pg := itest.StartPostgres(t, 50)
	pool, err := pgxpool.New(context.Background(), pg.AdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := pool.Exec(t.Context(), "CREATE TABLE public.builds (id int)"); err != nil {
		t.Fatal(err)
	}
	reg, bucket := newRegistry(t, connect(t, c.URLs()))
	bin := buildRunner(t)

	start := func(owner string) (*itest.Process, string) {
		cmd := exec.Command(bin)
		cmd.Env = append(os.Environ(), "ZTCI_RUNNER_NATS="+c.URLs(), "ZTCI_RUNNER_BUCKET="+bucket,
			"ZTCI_RUNNER_PG="+pg.AdminDSN(), "ZTCI_RUNNER_OWNER="+owner, "ZTCI_RUNNER_HEARTBEAT="+heartbeat.String())
		p := itest.Start(t, cmd)
		var id string
		p.WaitFor(t, 60*time.Second, func(context.Context) bool {
			m := leaseLine.FindStringSubmatch(p.Output())
			if m != nil {
				id = m[1]
			}
			return m != nil
		})
		return p, id
	}
	dying, dyingRole := start("runner-dying")
	_, liveRole := start("runner-live")
	if !roleExists(t, pool, dyingRole) || !roleExists(t, pool, liveRole) {
		t.Fatal("runners' roles not created")
	}

	be, err := postgres.New(pool, map[string]postgres.Role{"builds-ro": {}})
	if err != nil {
		t.Fatal(err)
	}
	aud := &events{}
	reaper, err := secrets.NewReaper(reg, map[string]secrets.Revoker{"postgres": be},
		secrets.WithReaperAudit(aud), secrets.WithClaim(5*time.Second, 16))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- reaper.Run(ctx, 100*time.Millisecond) }()
	t.Cleanup(func() { cancel(); <-done })

	// The reaper runs alongside two live runners: it leaves both alone.
	time.Sleep(2 * heartbeat)
	if !roleExists(t, pool, dyingRole) || !roleExists(t, pool, liveRole) {
		t.Fatal("a live runner's role was dropped")
	}

	dying.Kill()
	killed := time.Now()
	deadline := killed.Add(60 * time.Second)
	for roleExists(t, pool, dyingRole) {
		if time.Now().After(deadline) {
			t.Fatalf("role %s of the killed runner still exists 60s after SIGKILL", dyingRole)
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(killed)
	t.Logf("killed runner's role dropped %v after SIGKILL (heartbeat timeout %v)", took.Round(time.Millisecond), heartbeat)
	if took > heartbeat+5*time.Second {
		t.Errorf("role dropped %v after SIGKILL, more than heartbeat timeout + 5s", took)
	}
	// The reaper audits the revocation after the role is gone: wait for
	// the event (bounded), then check there is exactly one.
	for aud.count() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := aud.count(); got != 1 {
		t.Errorf("%d audit events, want 1 revocation", got)
	}

	// The live runner keeps its role through several more heartbeat
	// timeouts of reaping.
	time.Sleep(2 * heartbeat)
	if !roleExists(t, pool, liveRole) {
		t.Fatal("the live runner's role was dropped")
	}
}

// Lease records acknowledged before a node is killed with SIGKILL survive
// it, and reapers on the surviving nodes revoke each exactly once, riding
// out the stream's leader election (their errors meanwhile revoke nothing).
func TestNodeLossKeepsLeases(t *testing.T) {
	c := itest.StartNATSCluster(t, 3)
	ctx := t.Context()
	reg, bucket := newRegistry(t, connect(t, c.URLsFrom(1)))
	const n = 20
	for i := range n {
		if err := reg.Register(ctx, leasetest.Record(fmt.Sprintf("nl-%02d", i), "killed-runner")); err != nil {
			t.Fatal(err)
		}
	}
	rv := leasetest.NewCountingRevoker()
	var reapers []*secrets.Reaper
	for w := range 4 {
		r, err := natslease.New(ctx, connect(t, c.URLsFrom(1+w%2)), natslease.WithBucket(bucket), natslease.WithTimeout(10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		reaper, err := secrets.NewReaper(r, map[string]secrets.Revoker{"pg": rv}, secrets.WithClaim(20*time.Second, 3))
		if err != nil {
			t.Fatal(err)
		}
		reapers = append(reapers, reaper)
	}
	c.Nodes[0].Kill(t)
	var revoked atomic.Int64
	done := make(chan struct{})
	for w, reaper := range reapers {
		go func() {
			defer func() { done <- struct{}{} }()
			// A claim whose answer was lost in the election holds its
			// lease until the claim expires (20s).
			deadline := time.Now().Add(90 * time.Second)
			for len(rv.Calls()) < n && time.Now().Before(deadline) {
				rep, err := reaper.Reap(ctx)
				if err != nil && !errors.Is(err, natslease.ErrUnavailable) {
					t.Errorf("reaper %d: %v", w, err)
				}
				revoked.Add(int64(rep.Revoked))
				time.Sleep(50 * time.Millisecond)
			}
		}()
	}
	for range 4 {
		<-done
	}
	calls := rv.Calls()
	if len(calls) != n {
		t.Fatalf("%d leases revoked after losing a node, want %d", len(calls), n)
	}
	t.Logf("%d leases revoked, %d also removed from the registry", len(calls), revoked.Load())
	for id, k := range calls {
		if k != 1 {
			t.Errorf("lease %s revoked %d times", id, k)
		}
	}
}
