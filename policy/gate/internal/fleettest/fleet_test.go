package fleettest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/internal/itest"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/gatetest"
	"github.com/ztci/ztci/policy/gate/internal/fleettest"
)

// replicaBin is the replica command, built once per run of this package's
// tests (the first fleet builds it, TestMain removes it).
var replicaBin struct {
	once      sync.Once
	dir, path string
	err       error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if replicaBin.dir != "" {
		os.RemoveAll(replicaBin.dir)
	}
	os.Exit(code)
}

// buildReplica builds ./replica, or skips t when there is no go command.
func buildReplica(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to build the replica: %v", err)
	}
	replicaBin.once.Do(func() {
		if replicaBin.dir, replicaBin.err = os.MkdirTemp("", "ztci-fleet-"); replicaBin.err != nil {
			return
		}
		replicaBin.path = filepath.Join(replicaBin.dir, "replica")
		out, err := exec.Command(gobin, "build", "-o", replicaBin.path, "./replica").CombinedOutput()
		if err != nil {
			replicaBin.err = fmt.Errorf("%w\n%s", err, out)
		}
	})
	if replicaBin.err != nil {
		t.Fatalf("build replica: %v", replicaBin.err)
	}
	return replicaBin.path
}

// fleet is three gate replica processes and what they share: the Lab's
// registry and trust (one published image), the job-token issuer served
// over HTTP by this process, and the replay store named in env.
type fleet struct {
	bin      string
	dir      string
	env      []string             // every replica's
	perNode  func(i int) []string // replica i's own
	iss      *oidc.Issuer
	image    string // the published image, by digest
	client   *http.Client
	replicas []*replica
}

type replica struct {
	name string
	url  string
	p    *itest.Process
}

// replayTimeout bounds each claim in the replicas: generous, since the
// tests are about uniqueness on a loaded 2-core machine, and below the
// gate's 10s decision timeout.
const replayTimeout = 5 * time.Second

// startFleet starts the Lab, the issuer and three replicas with env plus
// perNode(i), and waits until each replica has admitted a token.
func startFleet(t *testing.T, env []string, perNode func(i int) []string) *fleet {
	t.Helper()
	ctx := t.Context()
	f := &fleet{bin: buildReplica(t), dir: t.TempDir(), perNode: perNode}
	lab, err := gatetest.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lab.Close() })
	pub, err := lab.Publish(ctx, gatetest.Job{Ref: "refs/heads/main", Protected: true}, "v1")
	if err != nil {
		t.Fatal(err)
	}
	f.image = pub.Name + "@" + pub.Digest
	tr, err := lab.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	trPath := filepath.Join(f.dir, "trusted_root.json")
	if err := os.WriteFile(trPath, tr, 0o600); err != nil {
		t.Fatal(err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if f.iss, err = oidc.NewIssuer("http://" + ln.Addr().String()); err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: f.iss.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })

	f.env = append([]string{
		fleettest.EnvIssuer + "=" + f.iss.URL(),
		fleettest.EnvLabIssuer + "=" + lab.IssuerURL(),
		fleettest.EnvTrustedRoot + "=" + trPath,
		fleettest.EnvRegistry + "=" + lab.Registry(),
		fleettest.EnvReplayTimeout + "=" + replayTimeout.String(),
	}, env...)
	// Enough idle connections for every request in flight to keep its own.
	f.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 2 * inFlight}}
	t.Cleanup(f.client.CloseIdleConnections)

	f.replicas = make([]*replica, 3)
	for i := range f.replicas {
		f.replicas[i] = f.launch(t, i)
	}
	for _, r := range f.replicas {
		f.waitReady(t, r)
	}
	return f
}

var listenLine = regexp.MustCompile(regexp.QuoteMeta(fleettest.ReadyPrefix) + `(127\.0\.0\.1:\d+)\n`)

// launch starts replica i without waiting for it (see waitReady), so that
// the replicas start together, as a fleet does.
func (f *fleet) launch(t *testing.T, i int) *replica {
	t.Helper()
	name := fmt.Sprintf("r%d", i+1)
	cmd := exec.Command(f.bin)
	cmd.Env = append(append(append(os.Environ(), f.env...), f.perNode(i)...),
		fleettest.EnvAudit+"="+filepath.Join(f.dir, name+".audit.jsonl"))
	return &replica{name: name, p: itest.Start(t, cmd)}
}

// waitReady waits for r's address, then until it admits a fresh
// token: the fleet under test is the steady state (buckets elected, keys
// fetched, the image verified once), not its start.
func (f *fleet) waitReady(t *testing.T, r *replica) {
	t.Helper()
	r.p.WaitFor(t, time.Minute, func(context.Context) bool {
		m := listenLine.FindStringSubmatch(r.p.Output())
		if m != nil {
			r.url = "http://" + m[1]
		}
		return m != nil
	})
	f.waitAdmits(t, r, time.Minute)
}

// waitAdmits presents fresh tokens to r until one is allowed.
func (f *fleet) waitAdmits(t *testing.T, r *replica, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		v, detail := f.admit(t.Context(), r, f.mintN(t, 1)[0])
		if v == accepted {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica %s admits no token after %v: last %s (%s)", r.name, timeout, v, detail)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// defaultSubject is the job of every token not minted for a kill-switch
// mark.
const defaultSubject = "repo:" + gatetest.Repository + ":ref:refs/heads/main"

// mint returns a fresh single-use token of a job on the Lab's protected
// main branch, with the given subject (the identity the kill switch marks).
func (f *fleet) mint(subject string) (string, error) {
	tok, err := f.iss.Mint(context.Background(), oidc.Job{Subject: subject, Claims: identity.Claims{
		Repository: gatetest.Repository, Ref: "refs/heads/main", RefProtected: true, Workflow: gatetest.Workflow,
	}}, gatetest.Audience)
	return tok.Reveal(), err
}

// mintN returns n tokens of the default subject.
func (f *fleet) mintN(t *testing.T, n int) []string {
	t.Helper()
	toks := make([]string, n)
	for i := range toks {
		var err error
		if toks[i], err = f.mint(defaultSubject); err != nil {
			t.Fatal(err)
		}
	}
	return toks
}

// jobID is the identity the gate reports for tokens of subject.
func (f *fleet) jobID(subject string) string {
	return identity.Identity{Issuer: f.iss.URL(), Subject: subject}.ID()
}

// verdict is what one replica answered to one request.
type verdict int

const (
	accepted    verdict = iota // 200, allowed: the token was this replica's
	replayed                   // 401, the verifier said replayed
	undecided                  // 401, the replay store could not decide (fail closed)
	revoked                    // 200, denied by the kill switch (marked, or the switch could not decide)
	unreachable                // no answer: the replica is gone
	other                      // anything else: a bug
	nVerdicts
)

var verdictNames = [nVerdicts]string{"accepted", "replayed", "undecided", "revoked", "unreachable", "other"}

func (v verdict) String() string { return verdictNames[v] }

// admit asks replica r to admit the fleet's image for tok. detail explains
// an unreachable or other verdict; it never holds the token.
func (f *fleet) admit(ctx context.Context, r *replica, tok string) (verdict, string) {
	body, err := gate.EncodeRequest(gate.Request{JobToken: gate.NewToken(tok), Image: f.image})
	if err != nil {
		return other, err.Error()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url+gate.PathAdmit, bytes.NewReader(body))
	if err != nil {
		return other, err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := f.client.Do(req)
	if err != nil {
		return unreachable, err.Error()
	}
	defer resp.Body.Close()
	var d gate.Decision
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&d); err != nil {
		return other, fmt.Sprintf("status %d, body: %v", resp.StatusCode, err)
	}
	check := resp.Header.Get(fleettest.HeaderTokenCheck)
	switch {
	case resp.StatusCode == http.StatusOK && check == fleettest.CheckAccepted && d.Allowed:
		return accepted, ""
	case resp.StatusCode == http.StatusOK && check == fleettest.CheckAccepted && !d.Allowed && slices.Equal(d.Rules(), []string{gate.RuleJobRevoked}):
		return revoked, ""
	case resp.StatusCode == http.StatusUnauthorized && check == fleettest.CheckReplayed && !d.Allowed:
		return replayed, ""
	case resp.StatusCode == http.StatusUnauthorized && check == fleettest.CheckUnavailable && !d.Allowed:
		return undecided, ""
	}
	return other, fmt.Sprintf("status %d, token check %q, allowed %v, rules %v, error %q", resp.StatusCode, check, d.Allowed, d.Rules(), d.Error)
}

// inFlight is how many tokens are presented at once, each to every replica.
const inFlight = 48

// tally is every replica's verdict on every token.
type tally struct {
	verdicts   [][]verdict // [token][replica]
	mu         sync.Mutex
	firstOther string // the detail of the first other or unreachable answer
}

// present hands every token to every replica of rs at the same time (one
// request per replica and token, at most inFlight tokens at once), calling
// between(i), when not nil, before token i is presented.
func (f *fleet) present(ctx context.Context, toks []string, rs []*replica, between func(i int)) *tally {
	o := &tally{verdicts: make([][]verdict, len(toks))}
	sem := make(chan struct{}, inFlight)
	var wg sync.WaitGroup
	for i, tok := range toks {
		if between != nil {
			between(i)
		}
		sem <- struct{}{}
		o.verdicts[i] = make([]verdict, len(rs))
		var inner sync.WaitGroup
		for j, r := range rs {
			inner.Add(1)
			wg.Go(func() {
				defer inner.Done()
				v, detail := f.admit(ctx, r, tok)
				o.verdicts[i][j] = v
				if v == other || v == unreachable {
					o.mu.Lock()
					if o.firstOther == "" {
						o.firstOther = fmt.Sprintf("token %d at %s: %s", i, r.name, detail)
					}
					o.mu.Unlock()
				}
			})
		}
		wg.Go(func() { inner.Wait(); <-sem })
	}
	wg.Wait()
	return o
}

// accepts is how many replicas accepted token i.
func (o *tally) accepts(i int) int {
	n := 0
	for _, v := range o.verdicts[i] {
		if v == accepted {
			n++
		}
	}
	return n
}

// counts returns how many tokens were accepted once, more than once and
// never, and how many answers of each verdict there were.
func (o *tally) counts() (once, twice, never int, by [nVerdicts]int) {
	for i, vs := range o.verdicts {
		switch n := o.accepts(i); {
		case n == 1:
			once++
		case n > 1:
			twice++
		default:
			never++
		}
		for _, v := range vs {
			by[v]++
		}
	}
	return
}

func (o *tally) String() string {
	once, twice, never, by := o.counts()
	var b strings.Builder
	fmt.Fprintf(&b, "tokens accepted once %d, more than once %d, never %d; answers:", once, twice, never)
	for v, n := range by {
		fmt.Fprintf(&b, " %s %d", verdict(v), n)
	}
	return b.String()
}

// thousandTokens presents 1,000 tokens, each to all three replicas at once:
// each is accepted by exactly one replica and refused as replayed by the
// other two, with no other answer.
func thousandTokens(t *testing.T, f *fleet, store string) {
	toks := f.mintN(t, 1000)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	o := f.present(ctx, toks, f.replicas, nil)
	took := time.Since(start)
	once, twice, never, by := o.counts()
	t.Logf("%s: 1000 tokens × 3 replica processes in %v (%.0f decisions/s): %v",
		store, took.Round(time.Millisecond), 3000/took.Seconds(), o)
	if once != 1000 || twice != 0 || never != 0 {
		t.Errorf("want every token accepted exactly once")
	}
	if by[accepted] != 1000 || by[replayed] != 2000 {
		t.Errorf("want 1000 accepted and 2000 replayed answers; first other: %s", o.firstOther)
	}
}
