package egress

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/netaddr"
	"github.com/ztci/ztci/internal/randid"
	"github.com/ztci/ztci/internal/redact"
)

// Audit vocabulary of the proxy.
const (
	// AuditSource is the Source of every event the proxy writes.
	AuditSource = "ztci/policy/egress"
	// ActionConnect records a decision on a connection: allow (written
	// before the proxy dials; if the sink refuses it, the connection is
	// refused), deny, or error.
	ActionConnect = "egress.connect"
	// ActionClose records the end of an allowed connection: bytes each way,
	// duration, and why it ended.
	ActionClose = "egress.close"
	// ActionRefusalsSuppressed records, once per
	// Limits.RefusalSummaryInterval, the refusals of one job (or, before
	// authentication, one client network) that were refused but not
	// audited one by one because they exceeded its refusal budget
	// (Limits.RefusalBurst): how many ([AttrSuppressed]), since when
	// ([AttrSince]) and of which destinations and rules ([AttrRefused]).
	// The outcome is deny; the actor is the job, "unauthenticated" (with
	// [AttrClient]), or the proxy itself for the refusals of sources
	// beyond Limits.MaxRefusalSources.
	ActionRefusalsSuppressed = "egress.refusals_suppressed"
	// HeaderRule names the rule that refused a request, on 403, 407, 429,
	// 501 and 503 responses. Only the proxy sets it: it is removed from a
	// destination's response to a forwarded http:// request (header and
	// trailer), so a destination cannot pass its answer off as a policy
	// refusal. Inside a tunnel (after the proxy's 200 to CONNECT, TLS or
	// cleartext) every byte is the destination's and is relayed as sent:
	// there, HeaderRule is the destination's word, not the proxy's; only
	// the response to the CONNECT request itself carries the proxy's.
	HeaderRule = "X-Ztci-Egress-Rule"
)

// Attributes of the proxy's audit events.
const (
	AttrRule      = "rule"
	AttrHost      = "host"
	AttrPort      = "port"
	AttrMethod    = "method" // the request method, cut to 32 bytes
	AttrConnID    = "conn_id"
	AttrEnforced  = "enforced"
	AttrAddress   = "address"
	AttrBytesUp   = "bytes_up"   // job to destination
	AttrBytesDown = "bytes_down" // destination to job
	AttrDuration  = "duration_ms"
	AttrEnd       = "end"       // why a connection ended: "done", "reset", "idle", "cut", "compromised", "closed", [EndExpired], [EndSNIMismatch], [EndHostMismatch], "error"
	AttrSNI       = "sni"       // the TLS server name of a tunnel cut for EndSNIMismatch; quoted and cut to 253 bytes unless a plain host name
	AttrHTTPHost  = "http_host" // the Host of a tunnel's HTTP request cut for EndHostMismatch, as AttrSNI writes it; "(unreadable)", "(upgrade)" or "(none)"
	AttrClient    = "client"    // the IP address the job connected to the proxy from; in an ActionRefusalsSuppressed event, the client network

	// Attributes of ActionRefusalsSuppressed events.
	AttrSuppressed = "suppressed" // how many refusals were not audited one by one
	AttrSince      = "since"      // when the first of them was refused, RFC 3339
	AttrRefused    = "refused"    // "<destination> <rule or reason> (<count>)" for the most frequent kinds, "; "-separated
)

// EndSNIMismatch ends a tunnel whose TLS ClientHello names another server
// than the CONNECT request did (domain fronting, or a client evading the
// decision), or that looks like TLS but cannot be read. The tunnel is cut
// before any byte reaches the destination, and a deny is audited with
// [RuleSNIMismatch].
const EndSNIMismatch = "sni_mismatch"

// EndHostMismatch ends a tunnel one of whose cleartext HTTP requests
// names another host than the CONNECT request did (domain fronting by
// Host header), names none, cannot be read, or asks to switch protocols.
// The request is not relayed, and a deny is audited with
// [RuleHostMismatch].
const EndHostMismatch = "host_mismatch"

// unauthenticated is the audit actor of a request whose token did not
// verify.
const unauthenticated = "unauthenticated"

// Proxy is the egress proxy. Serve it with [Proxy.Serve]; it is also an
// http.Handler for a server of the caller's own, which must then speak
// HTTP/1.1 only, support hijacking and apply the limits Serve applies (header size and timeout,
// idle timeout, and the pending connection limits, which only Serve's
// servers track). Close it when done.
type Proxy struct {
	tokens identity.TokenVerifier
	jobs   identity.Matcher
	decide Decider
	sink   audit.Sink
	cfg    config
	dial   DialFunc

	mu      sync.Mutex
	closed  bool
	open    map[*conn]struct{}
	perJob  map[identity.Identity]int
	servers map[*http.Server]struct{}
	wg      sync.WaitGroup // registered connections, the compromise sweeper and the refusal summariser
	stop    chan struct{}

	pending  *pendingConns
	refusals *refusalBudget
	own      ownAddrs // the host's own addresses, refused as destinations

	cacheMu sync.Mutex
	cache   *decisionCache
}

// New returns a proxy that authenticates each request's job token with
// tokens, serves only identities jobs matches (a per-job proxy passes
// identity.MatchID and the job's run claims; a shared one an issuer or
// runner matcher), asks decide about each new destination of a job, and
// audits every connection to sink (refusals within a budget, see
// [ActionRefusalsSuppressed]). All four are required. Options:
// [WithLogger], [WithClock], [WithResolver], [WithDialer],
// [WithInternalHosts], [WithAuditOnlyUnsafe], [WithCompromiseChecker],
// [WithFirstSeen], [WithClientSVIDs], [WithLimits].
//
// tokens must not be single-use (oidc.WithSingleUse): every request is
// verified, on a kept-alive connection too, so a job's second request
// would be refused as a replay, and a request refused after verification
// (the job's connection limit reached) would have spent the token, which
// could then no longer be used where it was meant (the deploy gate). New
// refuses a verifier that reports it is single-use
// ([identity.SingleUse]) with an error wrapping [ErrConfig] and
// [identity.ErrSingleUse]; a wrapper of a single-use verifier must pass
// its SingleUse on ([identity.SingleUseReporter]) for New to see it.
func New(tokens identity.TokenVerifier, jobs identity.Matcher, decide Decider, sink audit.Sink, opts ...Option) (*Proxy, error) {
	switch {
	case tokens == nil:
		return nil, fmt.Errorf("%w: nil token verifier", ErrConfig)
	case jobs == nil:
		return nil, fmt.Errorf("%w: nil jobs matcher (it would match no job)", ErrConfig)
	case decide == nil:
		return nil, fmt.Errorf("%w: nil decider", ErrConfig)
	case sink == nil:
		return nil, fmt.Errorf("%w: nil audit sink", ErrConfig)
	}
	if err := identity.RequireReusable(tokens); err != nil {
		return nil, fmt.Errorf("%w: token verifier: %w", ErrConfig, err)
	}
	cfg := defaults()
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrConfig)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if err := cfg.limits.check(); err != nil {
		return nil, err
	}
	p := &Proxy{
		tokens: tokens, jobs: jobs, decide: decide, sink: sink, cfg: cfg, dial: cfg.dial,
		open: map[*conn]struct{}{}, perJob: map[identity.Identity]int{}, servers: map[*http.Server]struct{}{},
		stop: make(chan struct{}), cache: newDecisionCache(cfg.limits.DecisionsPerJob, cfg.limits.DecisionCacheSize),
		pending: newPendingConns(cfg.limits), refusals: newRefusalBudget(cfg.limits),
		own: ownAddrs{netaddr.NewOwn(cfg.interfaceAddrs)},
	}
	if p.dial == nil {
		d := &net.Dialer{}
		p.dial = d.DialContext
	}
	if cfg.checker != nil {
		p.wg.Add(1)
		go p.every(cfg.limits.CompromiseRecheck, p.sweepCompromised)
	}
	p.wg.Add(1)
	go p.every(cfg.limits.RefusalSummaryInterval, func() { p.writeSummaries(false) })
	return p, nil
}

// Serve accepts job connections on ln until [Proxy.Close], with the header
// size, header timeout (which bounds a TLS listener's handshake too), idle
// timeout and pending connection limits of [Limits]. It speaks HTTP/1.1
// only, whatever ln's TLS configuration offers (see http1Only). It returns
// nil after Close, or the listener's error.
func (p *Proxy) Serve(ln net.Listener) error {
	srv := &http.Server{
		Protocols:         http1Only(),
		Handler:           p,
		ReadHeaderTimeout: p.cfg.limits.HeaderTimeout,
		MaxHeaderBytes:    p.cfg.limits.MaxHeaderBytes,
		IdleTimeout:       p.cfg.limits.IdleTimeout,
		ConnContext:       p.connContext,
		ConnState:         p.connState,
		ErrorLog:          slog.NewLogLogger(p.cfg.log.Handler(), slog.LevelDebug),
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		_ = ln.Close()
		return nil
	}
	p.servers[srv] = struct{}{}
	p.mu.Unlock()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// http1Only is the protocol set of Serve's servers. net/http serves
// HTTP/2 on a TLS listener whose configuration offers "h2" in ALPN, and
// HTTP/2 carries any number of concurrent requests (up to 250 streams) on
// one connection, while the pending limits count connections: one
// connection held that many unauthenticated requests in the verifier at
// once. CONNECT cannot be hijacked over HTTP/2 and an absolute-form URL
// cannot be sent, so HTTP/2 served nothing but that. A client that
// negotiated "h2" anyway is answered as HTTP/1.1, which it cannot read.
func http1Only() *http.Protocols {
	var ps http.Protocols
	ps.SetHTTP1(true)
	return &ps
}

// Close stops the servers started by Serve, cuts every open connection
// (each is audited), waits until they have ended, and writes the last
// [ActionRefusalsSuppressed] events. Later requests get 503, and their
// refusals are audited one by one.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	servers := make([]*http.Server, 0, len(p.servers))
	for s := range p.servers {
		servers = append(servers, s)
	}
	conns := p.snapshot(func(*conn) bool { return true })
	p.mu.Unlock()
	close(p.stop)
	var err error
	for _, s := range servers {
		err = errors.Join(err, s.Close())
	}
	for _, c := range conns {
		c.cut("closed")
	}
	p.wg.Wait()
	// Only now: the servers accept no more, and the refusals of the
	// connections just ended have been counted.
	p.writeSummaries(true)
	return err
}

// Cut closes every open connection of the identity whose
// [identity.Identity.ID] is id, or of every identity a kill-switch mark
// on id covers ([audit.MarkIDs]: id names its repository or the
// repository's owner, in any case), and returns how many it closed, so
// that a natskill WithOnMark callback cuts a marked repository's jobs at
// once rather than at the next compromise sweep. Each is audited with end
// "cut". It does not refuse new connections: mark the identity in the
// [WithCompromiseChecker] kill switch for that.
func (p *Proxy) Cut(id string) int {
	mark := audit.CanonicalMarkID(id)
	p.mu.Lock()
	conns := p.snapshot(func(c *conn) bool {
		return c.job.ID() == id || slices.Contains(audit.MarkIDs(c.job.AuditActor()), mark)
	})
	p.mu.Unlock()
	for _, c := range conns {
		c.cut("cut")
	}
	return len(conns)
}

// snapshot returns the open connections keep selects; p.mu must be held.
func (p *Proxy) snapshot(keep func(*conn) bool) []*conn {
	var out []*conn
	for c := range p.open {
		if keep(c) {
			out = append(out, c)
		}
	}
	return out
}

// every calls f every interval until the proxy closes; it is started as
// one of p.wg's goroutines.
func (p *Proxy) every(interval time.Duration, f func()) {
	defer p.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			f()
		}
	}
}

// sweepCompromised cuts the open connections of jobs the checker marks
// compromised.
func (p *Proxy) sweepCompromised() {
	p.mu.Lock()
	conns := p.snapshot(func(*conn) bool { return true })
	p.mu.Unlock()
	for _, c := range conns {
		if audit.ActorCompromised(p.cfg.checker, c.job.AuditActor()) {
			c.cut("compromised")
		}
	}
}

// conn is one open connection of a job: a tunnel or a forwarded request.
type conn struct {
	job    identity.Identity
	id     string
	expiry *time.Timer // cuts the connection when its credential expires

	mu      sync.Mutex
	why     string // set once the connection is cut
	closers []io.Closer
}

// attach makes x part of the connection, closed when it is cut; if it was
// cut already, x is closed now and attach reports false.
func (c *conn) attach(x io.Closer) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.why != "" {
		_ = x.Close()
		return false
	}
	c.closers = append(c.closers, x)
	return true
}

func (c *conn) cut(why string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.why != "" {
		return
	}
	c.why = why
	for _, x := range c.closers {
		_ = x.Close()
	}
}

func (c *conn) cutReason() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.why
}

// register counts a new connection of job against its limit and the
// proxy's, and cuts it when the credential that authorised it expires
// (exp). The proxy's clock says how long that is; a real timer waits for
// it, as the connection's bytes move in real time. A connection over a
// limit is not registered: register returns the refusal instead.
func (p *Proxy) register(job identity.Identity, exp time.Time) (*conn, refusal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.closed:
		return nil, refusal{http.StatusServiceUnavailable, "", "the proxy is closed"}
	case p.perJob[job] >= p.cfg.limits.MaxConnsPerJob:
		return nil, refusal{http.StatusTooManyRequests, RuleTooManyConnections,
			fmt.Sprintf("the job has %d connections open", p.cfg.limits.MaxConnsPerJob)}
	case len(p.open) >= p.cfg.limits.MaxConns:
		return nil, refusal{http.StatusServiceUnavailable, RuleTooManyProxyConnections,
			fmt.Sprintf("the proxy has %d connections open, its limit (Limits.MaxConns)", p.cfg.limits.MaxConns)}
	}
	c := &conn{job: job, id: randid.New()}
	c.expiry = time.AfterFunc(exp.Sub(p.cfg.now()), func() { c.cut(EndExpired) })
	p.open[c] = struct{}{}
	p.perJob[job]++
	p.wg.Add(1)
	return c, refusal{}
}

// refusal is why a request is refused: its status, rule and reason.
type refusal struct {
	status    int
	rule, why string
}

func (p *Proxy) unregister(c *conn) {
	c.expiry.Stop()
	p.mu.Lock()
	delete(p.open, c)
	if p.perJob[c.job]--; p.perJob[c.job] <= 0 {
		delete(p.perJob, c.job)
	}
	p.mu.Unlock()
	p.wg.Done()
}

// maxMethodBytes bounds the request method as audit events carry it. The
// method is the job's choice, as long as the header limit allows: written
// raw, a long one could make the record of a refusal too large for the
// audit log, which would refuse it, and the attempt would leave no trace.
// Real methods are a few bytes.
const maxMethodBytes = 32

// maxErrorBytes bounds the relay error a close record carries (see
// auditError).
const maxErrorBytes = 512

// auditError returns a relay's error as a close record carries it: valid
// UTF-8, cut to maxErrorBytes. net/http's errors quote what they refuse,
// escaped up to four times as long: a job's Upgrade value (up to the
// header limit), a destination's malformed header line (up to
// maxResponseHeaderBytes). Written whole, such an error made the close
// record of an allowed connection too large for the audit log, which
// refused it: the connection kept its open event but lost the record of
// the bytes it moved.
func auditError(err error) string {
	return clip.String(strings.ToValidUTF8(err.Error(), "\uFFFD"), maxErrorBytes)
}

// request is what the proxy knows about one job request while handling it.
type request struct {
	method string // as audited: cut to maxMethodBytes
	dst    Destination
	job    identity.Identity // zero until authenticated
	client netip.Addr        // where the job connected from; zero if not an IP address
	connID string
	start  time.Time
}

// ServeHTTP handles one proxy request: CONNECT host:port, or an
// absolute-form http:// request.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rq := request{method: clip.String(r.Method, maxMethodBytes), client: addrOf(r.RemoteAddr), start: p.cfg.now()}
	tok, tokErr := proxyToken(r.Header)
	// The token goes no further than the verifier: not upstream, not into
	// logs or errors.
	r.Header.Del("Proxy-Authorization")

	var dstErr error
	switch {
	case r.Method == http.MethodConnect:
		rq.dst, dstErr = connectTarget(r)
	case r.URL.IsAbs() && strings.EqualFold(r.URL.Scheme, "http"):
		rq.dst, dstErr = ParseDestination(r.URL.Host, 80)
	default:
		refuse(w, r, http.StatusBadRequest, "", "this is an egress proxy: send CONNECT host:port or an absolute http:// URL")
		return
	}

	ctx, cancel := context.WithTimeout(r.Context(), p.cfg.limits.ConnectTimeout)
	defer cancel()

	job, exp, err := p.authenticate(ctx, r, tok, tokErr)
	if errors.Is(err, ErrBadCredentials) {
		// The usual first request of a client that answers challenges.
		p.cfg.log.DebugContext(ctx, "egress: no usable proxy credentials", "error", err)
		challenge(w, r)
		return
	}
	if err != nil {
		// The verifier is the vendor's, and its message may quote the
		// token it refused.
		p.cfg.log.DebugContext(ctx, "egress: proxy credentials did not verify", "error", redact.WithoutToken(err, tok))
		p.auditRefusal(ctx, rq, p.event(ActionConnect, audit.OutcomeDeny, rq, dstErr == nil, "", refusedCredentials(err)))
		challenge(w, r)
		return
	}
	rq.job = job
	if !p.jobs.Match(job) {
		p.deny(ctx, w, r, http.StatusProxyAuthRequired, rq, dstErr == nil, RuleWrongJob,
			"the credentials are valid but not for a job this proxy serves")
		return
	}
	if dstErr != nil {
		p.deny(ctx, w, r, http.StatusBadRequest, rq, false, "", dstErr.Error())
		return
	}
	if p.cfg.checker != nil && audit.ActorCompromised(p.cfg.checker, job.AuditActor()) {
		p.deny(ctx, w, r, http.StatusForbidden, rq, true, RuleCompromised, "the job's identity is marked compromised")
		return
	}
	if r.Method != http.MethodConnect {
		// An offer of h2c (curl --http2 sends one for every http:// URL)
		// is declined by not relaying it: the destination answers in
		// HTTP/1.1, as a server that ignores Upgrade does (RFC 9110
		// 7.8). Any other upgrade is refused below.
		stripH2C(r.Header)
	}
	if r.Method != http.MethodConnect && upgradeRequest(r.Header) {
		// Not relayed, so not sent: a destination that read it could act
		// on a request whose answer (101) the job would never see.
		p.deny(ctx, w, r, http.StatusNotImplemented, rq, true, RuleUpgrade,
			"the request asks to switch protocols (Upgrade), which the proxy does not relay over plain HTTP")
		return
	}
	c, no := p.register(job, exp)
	if c == nil {
		p.deny(ctx, w, r, no.status, rq, true, no.rule, no.why)
		return
	}
	// From here the job's connection limit bounds the connection, not the
	// pending limits.
	cc := clientConnOf(r.Context())
	p.pending.admitted(cc)
	defer p.pending.finished(cc)
	defer p.unregister(c)
	rq.connID = c.id
	p.serve(ctx, w, r, rq, c)
}

// upgradeRequest reports whether h asks to switch protocols: it carries
// Upgrade or HTTP2-Settings (h2c), whatever their value, or lists
// "upgrade" in Connection. Header names are canonical whatever case the
// job wrote them in; Connection tokens are compared without case.
// ReverseProxy relays an upgrade but not its 101 answer (the job got 502
// while the destination had acted on the request), so a forwarded
// request asking for one is refused before anything is dialled (an offer
// of h2c alone was stripped first, by [stripH2C]); a cleartext tunnel
// cuts such a request by the same reading.
func upgradeRequest(h http.Header) bool {
	if _, ok := h["Upgrade"]; ok {
		return true
	}
	if _, ok := h["Http2-Settings"]; ok {
		return true
	}
	for _, v := range h["Connection"] {
		for tok := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.Trim(tok, " \t"), "upgrade") {
				return true
			}
		}
	}
	return false
}

// stripH2C removes an upgrade to h2c from h: when every Upgrade value
// names h2c only (any case) and one HTTP2-Settings field comes with it, it
// deletes both and drops "upgrade" and "http2-settings" from Connection
// (any case), leaving Connection's other tokens. Anything else (another
// protocol, an empty Upgrade, HTTP2-Settings without Upgrade) is left for
// [upgradeRequest] to refuse.
func stripH2C(h http.Header) {
	ups, ok := h["Upgrade"]
	if !ok || len(h["Http2-Settings"]) != 1 {
		return
	}
	n := 0
	for _, v := range ups {
		for tok := range strings.SplitSeq(v, ",") {
			if !strings.EqualFold(strings.Trim(tok, " \t"), "h2c") {
				return
			}
			n++
		}
	}
	if n == 0 {
		return
	}
	delete(h, "Upgrade")
	delete(h, "Http2-Settings")
	var keep []string
	for _, v := range h["Connection"] {
		for tok := range strings.SplitSeq(v, ",") {
			tok = strings.Trim(tok, " \t")
			if tok != "" && !strings.EqualFold(tok, "upgrade") && !strings.EqualFold(tok, "http2-settings") {
				keep = append(keep, tok)
			}
		}
	}
	delete(h, "Connection")
	if len(keep) > 0 {
		h["Connection"] = []string{strings.Join(keep, ", ")}
	}
}

// connectTarget parses a CONNECT request's destination, which must be in
// authority form (RFC 9112 3.2.3), as every client sends it. net/http
// reads other targets leniently: "CONNECT /x" takes the Host header's
// destination, and "user@host:port" or "host:port?q" lose their extra
// parts, so a reader of the request line (a front proxy, a log) would
// see another target than the one decided.
func connectTarget(r *http.Request) (Destination, error) {
	if r.RequestURI != r.Host {
		return Destination{}, fmt.Errorf("%w: a CONNECT target must be host:port", ErrBadDestination)
	}
	return ParseDestination(r.Host, 0)
}

// serve decides, resolves, audits, dials and relays a registered request.
func (p *Proxy) serve(ctx context.Context, w http.ResponseWriter, r *http.Request, rq request, c *conn) {
	d, err := p.decision(ctx, rq.job, rq.dst)
	if err != nil {
		p.cfg.log.WarnContext(ctx, "egress: decider failed", "error", err)
		ev := p.event(ActionConnect, audit.OutcomeError, rq, true, RuleUndecided, "the decider could not decide")
		p.auditRefusal(ctx, rq, ev)
		refuse(w, r, http.StatusServiceUnavailable, RuleUndecided, fmt.Sprintf("%s: could not decide", rq.dst))
		return
	}
	enforced := true
	if !d.Allow {
		if !p.cfg.auditOnly {
			p.deny(ctx, w, r, http.StatusForbidden, rq, true, d.Rule, d.Reason)
			return
		}
		enforced = false
	}
	addrs, err := p.resolve(ctx, rq.dst)
	if errors.Is(err, errInternal) {
		why := "are not public"
		if errors.Is(err, errOwnAddress) {
			why = "are not public or belong to the proxy's own host"
		}
		p.deny(ctx, w, r, http.StatusForbidden, rq, true, RuleInternalAddress,
			fmt.Sprintf("%s resolves only to addresses that %s (%s)", rq.dst.Host, why, err))
		return
	}
	if errors.Is(err, errOwnAddrsUnknown) {
		p.cfg.log.WarnContext(ctx, "egress: refused a connection", "error", err)
	}
	if err != nil {
		ev := p.event(ActionConnect, audit.OutcomeError, rq, true, d.Rule, "could not resolve the destination")
		p.auditRefusal(ctx, rq, ev)
		refuse(w, r, http.StatusBadGateway, "", fmt.Sprintf("could not resolve %s", rq.dst.Host))
		return
	}

	open := p.event(ActionConnect, audit.OutcomeAllow, rq, true, d.Rule, d.Reason)
	if !enforced {
		open.Attributes[AttrEnforced] = "false"
		open.Reason = "audit-only mode allowed what " + d.Rule + " denies: " + d.Reason
	}
	if err := p.sink.Write(ctx, open); err != nil {
		// Fail closed: no connection leaves without its record.
		p.cfg.log.WarnContext(ctx, "egress: audit sink refused the open event", "error", err)
		refuse(w, r, http.StatusServiceUnavailable, "", "the connection could not be audited")
		return
	}

	up, addr, err := p.dialAny(ctx, rq.dst.Host, addrs, rq.dst.Port)
	var res relayResult
	switch {
	case errors.Is(err, errOwnAddress):
		// Found only by connecting, after the open event: the deny
		// follows it, always audited, as an SNI mismatch's does.
		res.err = err
		why := "the connection reached the proxy's own host"
		p.audit(context.WithoutCancel(ctx), p.event(ActionConnect, audit.OutcomeDeny, rq, true, RuleInternalAddress, why))
		refuse(w, r, http.StatusForbidden, RuleInternalAddress, fmt.Sprintf("%s denied: %s", rq.dst, why))
	case err != nil:
		res.err = err
		refuse(w, r, http.StatusBadGateway, "", fmt.Sprintf("could not connect to %s", rq.dst))
	case !c.attach(up):
		res.err = errors.New("cut before relaying")
		refuse(w, r, http.StatusServiceUnavailable, "", "the connection was cut")
	case r.Method == http.MethodConnect:
		check := &rq.dst
		if rq.dst.IsIP() {
			check = nil // the decision was on the address; any name may be served there
		}
		res = p.tunnel(w, r, c, up, check)
		switch {
		case res.sni != "":
			ev := p.event(ActionConnect, audit.OutcomeDeny, rq, true, RuleSNIMismatch,
				fmt.Sprintf("the TLS client hello names %s, not the CONNECT host %s", res.sni, rq.dst.Host))
			ev.Attributes[AttrSNI] = res.sni
			p.audit(context.WithoutCancel(ctx), ev)
		case res.httpHost != "":
			ev := p.event(ActionConnect, audit.OutcomeDeny, rq, true, RuleHostMismatch,
				fmt.Sprintf("an HTTP request in the tunnel names %s, not the CONNECT destination %s", res.httpHost, rq.dst))
			ev.Attributes[AttrHTTPHost] = res.httpHost
			p.audit(context.WithoutCancel(ctx), ev)
		}
	default:
		res = p.forward(w, r, c, up)
	}
	p.closeEvent(r.Context(), rq, d, enforced, addr, c, res)
	if res.abort != nil {
		// Only now, with the close record written: the server drops the
		// job's connection, so a truncated response is not taken as whole.
		panic(res.abort)
	}
}

// relayResult is what a relay reports for the close event.
type relayResult struct {
	up, down int64
	err      error
	sni      string // the server name of a tunnel cut for EndSNIMismatch, as auditServerName writes it
	httpHost string // the Host of a tunnel's HTTP request cut for EndHostMismatch, as auditServerName writes it
	abort    any    // a forwarded response aborted after its header was sent: re-panicked after the close event
}

func (p *Proxy) closeEvent(ctx context.Context, rq request, d Decision, enforced bool, addr netip.Addr, c *conn, res relayResult) {
	end, outcome := "done", audit.OutcomeSuccess
	switch why := c.cutReason(); {
	case why != "":
		end, outcome = why, audit.OutcomeFailure
	case errors.Is(res.err, os.ErrDeadlineExceeded):
		end = "idle" // no bytes either way for Limits.IdleTimeout
	case errors.Is(res.err, syscall.ECONNRESET) || errors.Is(res.err, syscall.EPIPE):
		// A peer that closes with unread data resets the connection
		// (curl does after a TLS session): an end, not a proxy failure.
		end = "reset"
	case res.err != nil:
		end, outcome = "error", audit.OutcomeFailure
	}
	reason := "connection ended: " + end
	if end == EndExpired {
		reason += " (the credential that authorised it expired)"
	}
	ev := p.event(ActionClose, outcome, rq, true, d.Rule, reason)
	ev.Attributes[AttrEnd] = end
	ev.Attributes[AttrBytesUp] = strconv.FormatInt(res.up, 10)
	ev.Attributes[AttrBytesDown] = strconv.FormatInt(res.down, 10)
	ev.Attributes[AttrDuration] = strconv.FormatInt(p.cfg.now().Sub(rq.start).Milliseconds(), 10)
	if addr.IsValid() {
		ev.Attributes[AttrAddress] = addr.String()
	}
	if !enforced {
		ev.Attributes[AttrEnforced] = "false"
	}
	if res.sni != "" {
		ev.Attributes[AttrSNI] = res.sni
	}
	if res.httpHost != "" {
		ev.Attributes[AttrHTTPHost] = res.httpHost
	}
	if res.err != nil && end == "error" {
		ev.Attributes["error"] = auditError(res.err)
	}
	// The request's context may be done once the client has gone; the close
	// record is still owed.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.cfg.limits.ConnectTimeout)
	defer cancel()
	p.audit(actx, ev)
}

// decision returns the cached or a fresh decision. A pair the cache does
// not hold is reported to WithFirstSeen.
func (p *Proxy) decision(ctx context.Context, job identity.Identity, dst Destination) (Decision, error) {
	now := p.cfg.now()
	k := cacheKey{job, dst}
	p.cacheMu.Lock()
	cached, fresh, seen := p.cache.get(k, now)
	p.cacheMu.Unlock()
	if fresh {
		return cached, nil
	}
	d, err := p.decide.Decide(ctx, job, dst)
	if err != nil {
		return Decision{}, err
	}
	if d.Rule == "" {
		return Decision{}, errors.New("egress: the decider's decision names no rule")
	}
	p.cacheMu.Lock()
	p.cache.put(k, d, now.Add(p.cfg.limits.DecisionTTL))
	p.cacheMu.Unlock()
	if !seen && p.cfg.firstSeen != nil {
		p.cfg.firstSeen(ctx, job, dst, d)
	}
	return d, nil
}

// errInternal: every address of a destination failed the address check.
var errInternal = errors.New("not public")

// maxAddrs bounds the addresses tried per destination.
const maxAddrs = 8

// resolve returns the addresses of dst that pass the address check, in the
// resolver's order. It resolves once; the caller dials only these.
func (p *Proxy) resolve(ctx context.Context, dst Destination) ([]netip.Addr, error) {
	var all []netip.Addr
	if a, err := netip.ParseAddr(dst.Host); err == nil {
		all = []netip.Addr{a}
	} else {
		// Rooted (trailing dot): a system resolver must resolve exactly the
		// name policy decided on, never try it under the search domains of
		// resolv.conf ("x.allowed.test.corp.internal"), which would connect
		// the job to a host no rule names.
		all, err = p.cfg.resolver.LookupNetIP(ctx, "ip", dst.Host+".")
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", dst.Host, err)
		}
	}
	var ok, refused []netip.Addr
	anyOwn := false
	for _, a := range all {
		a = a.WithZone("").Unmap()
		allowed, own, err := p.permitted(a, dst.Host)
		if err != nil {
			return nil, err
		}
		anyOwn = anyOwn || own
		if allowed {
			if len(ok) < maxAddrs {
				ok = append(ok, a)
			}
		} else if len(refused) < maxAddrs {
			refused = append(refused, a)
		}
	}
	if len(ok) == 0 {
		if len(refused) == 0 {
			return nil, fmt.Errorf("resolve %s: no addresses", dst.Host)
		}
		if anyOwn {
			return nil, fmt.Errorf("%w: %v (%w among them)", errInternal, refused, errOwnAddress)
		}
		return nil, fmt.Errorf("%w: %v", errInternal, refused)
	}
	return ok, nil
}

// permitted reports whether the proxy may connect to a, an address of
// host (the destination decided on): one a pairing of WithInternalHosts
// lifts for host, or a public one that is not an address of the proxy's
// own host (own). err: the host's addresses could not be listed.
func (p *Proxy) permitted(a netip.Addr, host string) (ok, own bool, err error) {
	if p.internal(a, host) {
		return true, false, nil
	}
	if !public(a) {
		return false, false, nil
	}
	own, err = p.own.contains(a)
	return !own && err == nil, own, err
}

// internal reports whether a pairing of WithInternalHosts lifts the
// address check for a reached as host.
func (p *Proxy) internal(a netip.Addr, host string) bool {
	for _, in := range p.cfg.internal {
		if in.lifts(a, host) {
			return true
		}
	}
	return false
}

// dialAny connects to the first of addrs (the checked addresses of host)
// that answers. A connection that reached the proxy's own host
// (selfConnected: an address it took since the proxy last listed its
// addresses, or a dialer of another network namespace) is closed before a
// byte is relayed and counts as a failure wrapping errOwnAddress, unless a
// pairing of WithInternalHosts lifts the address for host.
func (p *Proxy) dialAny(ctx context.Context, host string, addrs []netip.Addr, port uint16) (net.Conn, netip.Addr, error) {
	var errs error
	for _, a := range addrs {
		c, err := p.dial(ctx, "tcp", netip.AddrPortFrom(a, port).String())
		if err == nil && selfConnected(c, a) && !p.internal(a, host) {
			_ = c.Close()
			c, err = nil, fmt.Errorf("connected to %s: %w", a, errOwnAddress)
		}
		if err == nil {
			return c, a, nil
		}
		errs = errors.Join(errs, err)
	}
	return nil, netip.Addr{}, errs
}

// deny audits a refusal (within the refusal budget) and answers it.
func (p *Proxy) deny(ctx context.Context, w http.ResponseWriter, r *http.Request, status int, rq request, withDst bool, rule, reason string) {
	p.auditRefusal(ctx, rq, p.event(ActionConnect, audit.OutcomeDeny, rq, withDst, rule, reason))
	if status == http.StatusProxyAuthRequired {
		challenge(w, r)
		return
	}
	msg := reason
	if withDst {
		msg = fmt.Sprintf("%s denied: %s", rq.dst, reason)
	}
	refuse(w, r, status, rule, msg)
}

// audit writes a refusal, a close record or a summary. The request is
// refused or over whatever the sink says, so a failure is only logged.
func (p *Proxy) audit(ctx context.Context, ev audit.Event) {
	if err := p.sink.Write(ctx, ev); err != nil {
		p.cfg.log.WarnContext(ctx, "egress: audit sink refused an event", "action", ev.Action, "outcome", ev.Outcome, "error", err)
	}
}

func (p *Proxy) event(action string, outcome audit.Outcome, rq request, withDst bool, rule, reason string) audit.Event {
	ev := audit.Event{
		ID: randid.New(), Time: p.cfg.now().UTC(), Source: AuditSource, Action: action, Outcome: outcome,
		Reason: reason, Attributes: map[string]string{AttrMethod: rq.method},
	}
	setActor(&ev, rq.job)
	if rq.client.IsValid() {
		ev.Attributes[AttrClient] = rq.client.String()
	}
	if withDst {
		ev.Resource = "egress:" + rq.dst.String()
		ev.Attributes[AttrHost] = rq.dst.Host
		ev.Attributes[AttrPort] = strconv.FormatUint(uint64(rq.dst.Port), 10)
	}
	if rule != "" {
		ev.Attributes[AttrRule] = rule
		if outcome == audit.OutcomeDeny || outcome == audit.OutcomeError {
			ev.Violations = []string{rule}
		}
	}
	if rq.connID != "" {
		ev.Attributes[AttrConnID] = rq.connID
	}
	return ev
}

// setActor makes job, or "unauthenticated" if job is zero, the actor of ev.
func setActor(ev *audit.Event, job identity.Identity) {
	if job.IsZero() {
		ev.Actor = audit.Actor{ID: unauthenticated}
		return
	}
	ev.Actor = job.AuditActor()
	ev.Correlation = audit.Correlation{JobID: job.Claims.Job, RunID: job.Claims.RunID}
}

// refusedCredentials is the audit reason of a refusal of credentials
// that were offered (err wraps errUnverified).
func refusedCredentials(err error) string {
	switch {
	case errors.Is(err, errExpired):
		return "the proxy credentials have expired"
	case errors.Is(err, errNoExpiry):
		return "the proxy token carries no expiry the proxy can read"
	}
	return "the proxy credentials did not verify"
}

// challenge answers r with 407 and the schemes the proxy accepts. git
// (libcurl) sends its proxy credentials only after this challenge.
func challenge(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Proxy-Authenticate", `Basic realm="ztci-egress"`)
	w.Header().Add("Proxy-Authenticate", `Bearer realm="ztci-egress"`)
	refuse(w, r, http.StatusProxyAuthRequired, "",
		"proxy authentication required: put the job token in the proxy URL's password, or send Proxy-Authorization: Bearer <token>")
}

// pastDeadline is a read deadline that has passed.
var pastDeadline = time.Unix(1, 0)

// refuse answers r with a plain-text refusal naming rule. msg must not hold
// a secret.
//
// A refusal never waits for the rest of a request body: net/http would
// read what is left of it, with no deadline, before sending the answer or
// after, so a client that announced a body and sent none held the
// connection and its goroutine for good, authenticated or not. With a past
// read deadline those reads fail at once, and the connection is closed
// after the answer (what is left of the body must not be read as the next
// request).
func refuse(w http.ResponseWriter, r *http.Request, status int, rule, msg string) {
	h := w.Header()
	if r.Body != nil && r.Body != http.NoBody {
		h.Set("Connection", "close")
		_ = http.NewResponseController(w).SetReadDeadline(pastDeadline)
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	if rule != "" {
		h.Set(HeaderRule, rule)
		msg += " (rule " + rule + ")"
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, "ztci egress: "+msg+"\n")
}
