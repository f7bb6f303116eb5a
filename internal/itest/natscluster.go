package itest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// NATSCluster is a JetStream cluster of nats-server processes on 127.0.0.1,
// started by [StartNATSCluster]. Each node is a separate process with its own
// client, route and monitoring port and its own store directory, so a node
// can be killed with SIGKILL and restarted on the same ports and data.
type NATSCluster struct {
	Nodes []*NATSNode
}

// NATSNode is one server of a [NATSCluster].
type NATSNode struct {
	Name string
	// Port is the client port; URL returns it as a nats:// URL.
	Port int
	// MonitorPort serves /healthz.
	MonitorPort int

	bin  string
	conf string
	p    *Process
}

// StartNATSCluster starts n nats-server processes (from $ZTCI_NATS_SERVER,
// skipping t when it is unset, see [Binary]) clustered with JetStream, and
// waits until every node reports JetStream healthy. The processes are killed
// when the test ends.
func StartNATSCluster(t testing.TB, n int) *NATSCluster {
	t.Helper()
	if n < 1 {
		t.Fatalf("StartNATSCluster: %d nodes", n)
	}
	bin := Binary(t, "ZTCI_NATS_SERVER")
	dir := t.TempDir()
	c := &NATSCluster{}
	// Three ports per node, all distinct: FreePort one at a time may hand
	// out the same port twice.
	ports := freePorts(t, 3*n)
	routePorts := ports[:n]
	var routes []string
	for _, p := range routePorts {
		routes = append(routes, fmt.Sprintf("nats-route://%s", Addr(p)))
	}
	for i := range n {
		node := &NATSNode{Name: fmt.Sprintf("n%d", i+1), Port: ports[n+i], MonitorPort: ports[2*n+i], bin: bin}
		store := filepath.Join(dir, node.Name)
		if err := os.MkdirAll(store, 0o700); err != nil {
			t.Fatal(err)
		}
		conf := fmt.Sprintf(`server_name: %q
listen: %q
http: %q
jetstream { store_dir: %q }
`, node.Name, Addr(node.Port), Addr(node.MonitorPort), store)
		if n > 1 {
			conf += fmt.Sprintf("cluster { name: ztci, listen: %q, routes: [%s] }\n", Addr(routePorts[i]), strings.Join(routes, ", "))
		}
		node.conf = filepath.Join(dir, node.Name+".conf")
		if err := os.WriteFile(node.conf, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		c.Nodes = append(c.Nodes, node)
	}
	for _, node := range c.Nodes {
		node.p = Start(t, exec.Command(node.bin, "-c", node.conf))
	}
	for _, node := range c.Nodes {
		node.WaitHealthy(t, 60*time.Second)
	}
	if n > 1 {
		c.waitMesh(t, 60*time.Second)
		c.waitMetaLeader(t, 60*time.Second)
	}
	return c
}

// waitMesh waits until the routes have settled into a full mesh: every
// node holds the same number of route connections (the route pool) to
// each other node, both ends of every pair agree, and nothing has changed
// for meshSettle. A node that could not open a route at startup (its peer
// was not listening yet) retries a second later, after the peer has
// connected to it, and one of the two connections is pruned as a
// duplicate; in CI a bucket created while that happened went unanswered
// ("no responders") for a minute on a client of one node. A fleet under
// test starts from a formed cluster.
func (c *NATSCluster) waitMesh(t testing.TB, timeout time.Duration) {
	t.Helper()
	var last string
	var since time.Time
	c.Nodes[0].p.WaitFor(t, timeout, func(ctx context.Context) bool {
		mesh, ok := c.routes(ctx)
		switch {
		case !ok:
			last = ""
			return false
		case mesh != last:
			last, since = mesh, time.Now()
			return false
		}
		return time.Since(since) >= meshSettle
	})
}

// meshSettle outlasts nats-server's route reconnect delay (one second):
// a mesh unchanged that long has no startup retry left to come.
const meshSettle = 1500 * time.Millisecond

// routes describes the route connections of every node as "a>b:k" terms
// (node a holds k connections to node b), when they form a full mesh with
// one pool size; ok is false otherwise.
func (c *NATSCluster) routes(ctx context.Context) (mesh string, ok bool) {
	count := map[[2]string]int{}
	for _, node := range c.Nodes {
		var r struct {
			Routes []struct {
				RemoteName string `json:"remote_name"`
			} `json:"routes"`
		}
		if !node.monitor(ctx, "routez", &r) {
			return "", false
		}
		for _, rt := range r.Routes {
			count[[2]string{node.Name, rt.RemoteName}]++
		}
	}
	pool := count[[2]string{c.Nodes[0].Name, c.Nodes[1].Name}]
	var terms []string
	for _, a := range c.Nodes {
		for _, b := range c.Nodes {
			if a == b {
				continue
			}
			k := count[[2]string{a.Name, b.Name}]
			if k == 0 || k != pool || k != count[[2]string{b.Name, a.Name}] {
				return "", false
			}
			terms = append(terms, fmt.Sprintf("%s>%s:%d", a.Name, b.Name, k))
		}
	}
	return strings.Join(terms, ","), true
}

// jsz is the part of a node's /jsz monitoring answer waitMetaLeader reads.
type jsz struct {
	Meta *struct {
		Leader   string `json:"leader"`
		Replicas []struct {
			Name    string `json:"name"`
			Current bool   `json:"current"`
		} `json:"replicas"`
	} `json:"meta_cluster"`
}

// waitMetaLeader waits until every node names the same JetStream meta
// leader and that leader sees every other node as current. A cluster whose
// nodes each report healthy can still be settling its meta group, and a
// stream or bucket created in that moment may go unanswered.
func (c *NATSCluster) waitMetaLeader(t testing.TB, timeout time.Duration) {
	t.Helper()
	c.Nodes[0].p.WaitFor(t, timeout, func(ctx context.Context) bool {
		byName := map[string]jsz{}
		var leader string
		for _, node := range c.Nodes {
			j, ok := node.jsz(ctx)
			if !ok || j.Meta == nil || j.Meta.Leader == "" || (leader != "" && j.Meta.Leader != leader) {
				return false
			}
			leader, byName[node.Name] = j.Meta.Leader, j
		}
		lj, ok := byName[leader]
		if !ok || len(lj.Meta.Replicas) != len(c.Nodes)-1 {
			return false
		}
		for _, r := range lj.Meta.Replicas {
			if !r.Current {
				return false
			}
		}
		return true
	})
}

// jsz reads the node's /jsz monitoring endpoint.
func (n *NATSNode) jsz(ctx context.Context) (jsz, bool) {
	var j jsz
	ok := n.monitor(ctx, "jsz", &j)
	return j, ok
}

// monitor decodes the node's /<endpoint> monitoring answer into v.
func (n *NATSNode) monitor(ctx context.Context, endpoint string, v any) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://%s/%s", Addr(n.MonitorPort), endpoint), nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	return resp.StatusCode == http.StatusOK && json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v) == nil
}

// URLsFrom returns every node's client URL starting with node i, for a
// client that should prefer node i (with nats.DontRandomize) and fail over to
// the others.
func (c *NATSCluster) URLsFrom(i int) string {
	urls := make([]string, 0, len(c.Nodes))
	for j := range c.Nodes {
		urls = append(urls, c.Nodes[(i+j)%len(c.Nodes)].URL())
	}
	return strings.Join(urls, ",")
}

// URLs returns every node's client URL, comma-separated as nats.Connect
// accepts them.
func (c *NATSCluster) URLs() string {
	urls := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		urls[i] = n.URL()
	}
	return strings.Join(urls, ",")
}

// URL returns the node's client URL.
func (n *NATSNode) URL() string { return "nats://" + Addr(n.Port) }

// Kill sends SIGKILL to the node and waits for it to exit.
func (n *NATSNode) Kill(t testing.TB) {
	t.Helper()
	n.p.Kill()
}

// Restart starts a killed node again on the same ports and store directory.
// It does not wait: a node restarted while most of the cluster is down is
// healthy only once a quorum is back, so call [NATSNode.WaitHealthy] after
// restarting all of them.
func (n *NATSNode) Restart(t testing.TB) {
	t.Helper()
	n.p = Start(t, exec.Command(n.bin, "-c", n.conf))
}

// WaitHealthy waits until the node's /healthz answers 200 (JetStream
// current with the cluster).
func (n *NATSNode) WaitHealthy(t testing.TB, timeout time.Duration) {
	t.Helper()
	n.p.WaitFor(t, timeout, httpOK(fmt.Sprintf("http://%s/healthz", Addr(n.MonitorPort))))
}

// freePorts returns n distinct TCP ports on 127.0.0.1 that were free a moment
// ago, holding each open until all are chosen. They are taken below the
// kernel's ephemeral port range: a node that is killed and restarted binds
// its ports again, and in between a port from that range can become the
// local port of any outgoing connection on the machine (a restart failed
// in CI with "address already in use" on its route port).
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	low := ephemeralLow()
	span := min(low-1024, 16384)
	start := rand.IntN(span)
	ports := make([]int, 0, n)
	for i := 0; i < span && len(ports) < n; i++ {
		port := low - span + (start+i)%span
		l, err := net.Listen("tcp", Addr(port))
		if err != nil {
			continue // in use
		}
		defer l.Close()
		ports = append(ports, port)
	}
	if len(ports) < n {
		t.Fatalf("free ports: %d of %d below %d", len(ports), n, low)
	}
	return ports
}

// ephemeralLow is the first port of the kernel's ephemeral range (Linux's
// default when it cannot be read).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 32768
	}
	low, err := strconv.Atoi(f[0])
	if err != nil || low < 2048 {
		return 32768
	}
	return low
}

// Create calls create until it succeeds and returns what it made, each
// attempt bounded to 10 s, for at most a minute, then fails t naming what.
// Right after a cluster has elected its meta leader, a stream or bucket
// creation can go unanswered: a fleet under test starts from the steady
// state, so its setup retries instead of failing on the first silence.
func Create[T any](t testing.TB, what string, create func(context.Context) (T, error)) T {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		v, err := create(ctx)
		cancel()
		if err == nil {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
