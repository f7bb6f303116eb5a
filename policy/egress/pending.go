package egress

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"sync"
)

// pendingConns bounds the connections to the proxy that carry no admitted
// request (Limits.MaxPendingConns and MaxPendingConnsPerClient). Each costs
// a socket and a goroutine without counting against any job's
// MaxConnsPerJob, so unbounded, a job, or anyone else who reaches the
// proxy, could open them until the runner ran out of either.
type pendingConns struct {
	max, maxPerClient int

	mu       sync.Mutex
	conns    map[net.Conn]*clientConn // every tracked connection, from accept to close or hijack
	total    int
	byClient map[netip.Prefix]int
}

// clientConn is one connection of a client to the proxy.
type clientConn struct {
	client  netip.Prefix // see clientNet
	pending bool         // counted in total and byClient
	gone    bool         // refused, closed, or hijacked for a tunnel: never pending again
}

// clientConnKey is the request context key of the request's *clientConn.
type clientConnKey struct{}

func newPendingConns(l Limits) *pendingConns {
	return &pendingConns{
		max: l.MaxPendingConns, maxPerClient: l.MaxPendingConnsPerClient,
		conns: map[net.Conn]*clientConn{}, byClient: map[netip.Prefix]int{},
	}
}

// accept tracks c, a connection just accepted, as pending. When that would
// exceed a limit it reports false and does not track c.
func (g *pendingConns) accept(c net.Conn) (*clientConn, bool) {
	cc := &clientConn{client: clientNet(addrOf(c.RemoteAddr().String()))}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.total >= g.max || g.byClient[cc.client] >= g.maxPerClient {
		cc.gone = true
		return cc, false
	}
	g.conns[c] = cc
	g.pendLocked(cc)
	return cc, true
}

// admitted: a request on cc was admitted (it counts against its job's
// MaxConnsPerJob now), so cc is not pending while it lasts. cc is nil for
// a request of a server other than Serve's.
func (g *pendingConns) admitted(cc *clientConn) {
	if cc == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.unpendLocked(cc)
}

// finished: the admitted request on cc is over. Unless cc was closed or
// hijacked meanwhile, it is pending again (idle, or reading its next
// request), even beyond a limit: the connection exists, and the limit
// keeps new ones out until the count has fallen.
func (g *pendingConns) finished(cc *clientConn) {
	if cc == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if !cc.gone && !cc.pending {
		g.pendLocked(cc)
	}
}

// gone: c was closed, or hijacked for a tunnel (which its job's
// MaxConnsPerJob bounds).
func (g *pendingConns) gone(c net.Conn) {
	g.mu.Lock()
	defer g.mu.Unlock()
	cc, ok := g.conns[c]
	if !ok {
		return
	}
	delete(g.conns, c)
	g.unpendLocked(cc)
	cc.gone = true
}

func (g *pendingConns) pendLocked(cc *clientConn) {
	cc.pending = true
	g.total++
	g.byClient[cc.client]++
}

func (g *pendingConns) unpendLocked(cc *clientConn) {
	if !cc.pending {
		return
	}
	cc.pending = false
	g.total--
	if g.byClient[cc.client]--; g.byClient[cc.client] <= 0 {
		delete(g.byClient, cc.client)
	}
}

// connContext is the ConnContext of Serve's servers, run on the accept
// loop for each new connection: it admits the connection as pending, or
// closes it before anything is read when that would exceed a pending
// limit, and hands the connection's requests their *clientConn.
func (p *Proxy) connContext(ctx context.Context, c net.Conn) context.Context {
	cc, ok := p.pending.accept(c)
	if !ok {
		_ = c.Close()
		// Counted for a summary, never audited on its own here: the accept
		// loop must not wait on the audit sink.
		p.refusals.hold(refusalSource{client: cc.client}, kindOf("", RuleTooManyPending), p.cfg.now())
		p.cfg.log.DebugContext(ctx, "egress: too many pending connections, closed a new one", "client", clientString(cc.client))
	}
	return context.WithValue(ctx, clientConnKey{}, cc)
}

// connState is the ConnState hook of Serve's servers.
func (p *Proxy) connState(c net.Conn, s http.ConnState) {
	if s == http.StateClosed || s == http.StateHijacked {
		p.pending.gone(c)
	}
}

// clientConnOf returns the *clientConn of a request's connection, nil for a
// request of a server other than Serve's.
func clientConnOf(ctx context.Context) *clientConn {
	cc, _ := ctx.Value(clientConnKey{}).(*clientConn)
	return cc
}

// addrOf returns the IP address of a connection's remote address ("ip:port"
// for TCP and TLS listeners), unmapped and without zone; the zero Addr for
// any other kind of address.
func addrOf(remote string) netip.Addr {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap().WithZone("")
}

// clientNet is the network a client address is counted in, for the pending
// limits and the refusal budgets: the address itself for IPv4, its /64 for
// IPv6 (a host commonly holds a whole /64, so its addresses are one
// client); the zero Prefix, one network for all of them, for addresses
// that are not IP (a Unix socket).
func clientNet(a netip.Addr) netip.Prefix {
	if !a.IsValid() {
		return netip.Prefix{}
	}
	bits := 32
	if a.Is6() {
		bits = 64
	}
	pfx, _ := a.WithZone("").Prefix(bits) // cannot fail: a is valid, unzoned, bits in range
	return pfx
}

// clientString writes a client network for an audit event or a log line.
func clientString(pfx netip.Prefix) string {
	if !pfx.IsValid() {
		return "(not an IP address)"
	}
	return pfx.String()
}
