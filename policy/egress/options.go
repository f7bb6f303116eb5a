package egress

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/spiffe/go-spiffe/v2/bundle/x509bundle"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
)

// Limits bound what a job, a connection and the proxy's memory may cost.
// Zero fields keep their default.
type Limits struct {
	// MaxConnsPerJob is the most connections (tunnels and forwarded
	// requests) one job identity may have open at once (default 64); more
	// are refused with 429 and [RuleTooManyConnections].
	MaxConnsPerJob int
	// MaxConns is the most such connections of all jobs open at once
	// (default 4096), each with its upstream connection: it bounds the
	// proxy's file descriptors, which the per-job bound alone does not
	// when many jobs (a build matrix) share the proxy. More are refused
	// with 503 and [RuleTooManyProxyConnections]. It must be at least
	// MaxConnsPerJob (a proxy serving one job sets both alike); on a
	// shared proxy keep it well above, since no share of it is kept for
	// other jobs: at MaxConnsPerJob, one job can hold every slot.
	MaxConns int
	// MaxHeaderBytes bounds a request's header block (default 32 KiB; a
	// job token is a few KiB).
	MaxHeaderBytes int
	// HeaderTimeout bounds reading a request's headers and, on a TLS
	// listener, the handshake before them (default 10 s).
	HeaderTimeout time.Duration
	// ConnectTimeout bounds what happens between reading a request and
	// connecting to its destination: verifying the token, deciding,
	// resolving and dialing
	// (default 10 s).
	ConnectTimeout time.Duration
	// IdleTimeout closes a tunnel or a forwarded request with no bytes in
	// either direction for this long, and idle keep-alive connections of
	// the job to the proxy (default 5 min).
	IdleTimeout time.Duration
	// BufferSize is the copy buffer per direction of a tunnel whose
	// connections the kernel cannot splice (a [WithDialer] connection that
	// is not a *net.TCPConn) (default 64 KiB). TCP to TCP needs none.
	BufferSize int
	// DecisionCacheSize bounds the cached (job, destination) decisions of
	// all jobs (default 10000); when full, the oldest decision of the job
	// holding the most is dropped, so that no job, and no group of jobs
	// (a build matrix of one attacker), pushes out the decisions of a job
	// holding fewer than it. It must be at least DecisionsPerJob (a proxy
	// serving one job sets both alike); on a shared proxy keep it well
	// above, so that each job's usual destinations fit.
	DecisionCacheSize int
	// DecisionsPerJob bounds one job's cached decisions (default 1000);
	// a job at the bound replaces its own oldest, so a job asking for
	// ever new names cannot push other jobs' decisions out. A pair no
	// longer cached is decided again and reported to [WithFirstSeen]
	// again.
	DecisionsPerJob int
	// DecisionTTL is how long a decision is reused (default 5 min).
	DecisionTTL time.Duration
	// CompromiseRecheck is how often open connections are checked against
	// the [WithCompromiseChecker] checker (default 1 s).
	CompromiseRecheck time.Duration

	// MaxPendingConns is the most connections to the proxy that may carry
	// no admitted request at once (default 1024): connections being
	// accepted (their TLS handshake included) or reading a request's
	// header, requests being authenticated or refused, and connections
	// idle between requests. A request is admitted once its job is
	// authenticated and counted against MaxConnsPerJob. A connection
	// accepted beyond the limit is closed before anything is read from it.
	MaxPendingConns int
	// MaxPendingConnsPerClient is the same bound per client network: one
	// IPv4 address, or one IPv6 /64 (default 64), so that one job cannot
	// take every pending slot of a proxy shared by several. It must be
	// below MaxPendingConns, even on a proxy serving one job (whose
	// connections come from one client: set MaxPendingConns above it).
	MaxPendingConnsPerClient int

	// RefusalBurst is how many refusals of one source are audited one by
	// one before the source's budget runs dry (default 20). A source is a
	// job identity or, for refusals before authentication, a client
	// network (see MaxPendingConnsPerClient). Refusals beyond the budget
	// are refused all the same, but counted and written as one
	// [ActionRefusalsSuppressed] event per source and
	// RefusalSummaryInterval. Allowed connections are never held back.
	RefusalBurst int
	// RefusalRefill is how often a source's budget gains one more
	// refusal audited on its own, up to RefusalBurst (default 10 s).
	RefusalRefill time.Duration
	// RefusalSummaryInterval is how often the refusals held back are
	// written as [ActionRefusalsSuppressed] events (default 30 s); the
	// last ones are written by [Proxy.Close].
	RefusalSummaryInterval time.Duration
	// MaxRefusalSources bounds the sources with a budget of their own
	// (default 4096); refusals of further sources share one budget,
	// summarised with the proxy as actor.
	MaxRefusalSources int
}

// Defaults for [Limits].
const (
	DefaultMaxConnsPerJob    = 64
	DefaultMaxConns          = 4096
	DefaultMaxHeaderBytes    = 32 << 10
	DefaultHeaderTimeout     = 10 * time.Second
	DefaultConnectTimeout    = 10 * time.Second
	DefaultIdleTimeout       = 5 * time.Minute
	DefaultBufferSize        = 64 << 10
	DefaultDecisionCacheSize = 10000
	DefaultDecisionsPerJob   = 1000
	DefaultDecisionTTL       = 5 * time.Minute
	DefaultCompromiseRecheck = time.Second

	DefaultMaxPendingConns          = 1024
	DefaultMaxPendingConnsPerClient = 64
	DefaultRefusalBurst             = 20
	DefaultRefusalRefill            = 10 * time.Second
	DefaultRefusalSummaryInterval   = 30 * time.Second
	DefaultMaxRefusalSources        = 4096
)

// Option configures [New]. An option given a nil or invalid value makes New
// fail with an error wrapping [ErrConfig].
type Option func(*config) error

// DialFunc connects to a resolved address ("ip:port"), like
// net.Dialer.DialContext.
type DialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// FirstSeenFunc is told about a destination the first time a job asks for
// it (more precisely: whenever the decision cache has no entry for the
// pair, so again after an eviction). It runs synchronously on the
// connection's path and must be cheap and safe for concurrent use.
type FirstSeenFunc func(ctx context.Context, job identity.Identity, dst Destination, d Decision)

type config struct {
	log      *slog.Logger
	now      func() time.Time
	resolver Resolver
	dial     DialFunc
	internal []internalHosts
	// interfaceAddrs lists the proxy host's own addresses (tests replace it).
	interfaceAddrs func() ([]net.Addr, error)
	auditOnly      bool
	checker        audit.CompromiseChecker
	firstSeen      FirstSeenFunc
	svids          x509bundle.Source
	limits         Limits
}

func defaults() config {
	return config{
		log:            slog.New(slog.DiscardHandler),
		now:            time.Now,
		resolver:       net.DefaultResolver,
		interfaceAddrs: net.InterfaceAddrs,
		limits: Limits{
			MaxConnsPerJob: DefaultMaxConnsPerJob, MaxConns: DefaultMaxConns, MaxHeaderBytes: DefaultMaxHeaderBytes,
			HeaderTimeout: DefaultHeaderTimeout, ConnectTimeout: DefaultConnectTimeout, IdleTimeout: DefaultIdleTimeout,
			BufferSize: DefaultBufferSize, DecisionCacheSize: DefaultDecisionCacheSize, DecisionsPerJob: DefaultDecisionsPerJob, DecisionTTL: DefaultDecisionTTL,
			CompromiseRecheck: DefaultCompromiseRecheck,
			MaxPendingConns:   DefaultMaxPendingConns, MaxPendingConnsPerClient: DefaultMaxPendingConnsPerClient,
			RefusalBurst: DefaultRefusalBurst, RefusalRefill: DefaultRefusalRefill,
			RefusalSummaryInterval: DefaultRefusalSummaryInterval, MaxRefusalSources: DefaultMaxRefusalSources,
		},
	}
}

// WithLogger sets the diagnostics logger (default: silent). Tokens are never
// logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrConfig)
		}
		c.log = l
		return nil
	}
}

// WithClock sets the clock for audit timestamps, durations, decision
// expiry, the refill of refusal budgets (Limits.RefusalRefill) and
// credential expiry: whether a token or SVID has expired, and how long
// until the connections it authorised are cut (by a real timer).
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrConfig)
		}
		c.now = now
		return nil
	}
}

// WithResolver sets the resolver for destination host names (default
// net.DefaultResolver).
func WithResolver(r Resolver) Option {
	return func(c *config) error {
		if r == nil {
			return fmt.Errorf("%w: nil resolver", ErrConfig)
		}
		c.resolver = r
		return nil
	}
}

// WithDialer sets how the proxy connects to a checked, resolved address
// (default a net.Dialer bounded by Limits.ConnectTimeout), e.g. to bind a source
// address or a network namespace. The address is always an IP literal and
// port; d must not resolve or redirect it. A connection whose local address
// is the address dialed reached the dialing host itself, and is closed
// (see [RuleInternalAddress]).
func WithDialer(d DialFunc) Option {
	return func(c *config) error {
		if d == nil {
			return fmt.Errorf("%w: nil dialer", ErrConfig)
		}
		c.dial = d
		return nil
	}
}

// WithInternalHosts lets jobs reach addresses in prefixes, which the
// address check refuses otherwise (not public, or the proxy host's own: an
// internal registry, a test server on 127.0.0.1), but only for the
// destinations named in hosts: an address in prefixes is dialled only when
// the host the Decider allowed is one of hosts, exact or a glob with the
// syntax of [Rule].Hosts ("registry.corp.example", "*.corp.example";
// "*" is refused), or, for an IP-literal destination, when that address
// is listed itself ("10.1.2.3", "fd00::5"; a glob never matches one). A
// name the job can point anywhere (a rule's "*.pages.dev", a wildcard DNS
// service such as nip.io, a domain the job's author controls) must not be
// in hosts: through it, a job would reach every host of the prefixes.
// Name only hosts whose DNS the operator alone controls. A glob whose
// fixed part (the name after its last '*') is one label ("*.dev",
// "*.corp") or a public suffix of the Public Suffix List ("*.co.uk",
// "*.pages.dev") is refused; a wildcard DNS service the list does not
// name (nip.io) is not detected.
//
// Link-local addresses (the cloud metadata service at 169.254.169.254),
// AWS's fd00:ec2::/32, 168.63.129.16 and 100.100.100.200 are lifted only
// by a prefix of that single address, never by a wider one. A /0 prefix,
// an address in hosts that no prefix lifts, and a prefix that would lift
// nothing are refused. The Decider still decides; this only lifts the
// address check. Each call adds a pairing.
func WithInternalHosts(hosts []string, prefixes ...netip.Prefix) Option {
	return func(c *config) error {
		in, err := newInternalHosts(hosts, prefixes)
		if err != nil {
			return err
		}
		c.internal = append(c.internal, in)
		return nil
	}
}

// WithAuditOnlyUnsafe turns enforcement off: destinations the Decider
// denies are allowed, and their audit events say so (attribute
// "enforced"="false" with the rule that would have denied). For learning
// which destinations a pipeline needs before enforcing. Authentication, the
// compromise check, the address check and the limits still apply.
func WithAuditOnlyUnsafe() Option {
	return func(c *config) error {
		c.auditOnly = true
		return nil
	}
}

// WithCompromiseChecker refuses new connections of a job whose identity
// (its [identity.Identity.ID]), repository or repository owner is marked
// compromised ([audit.ActorCompromised]), and cuts its open
// ones within Limits.CompromiseRecheck. *audit.KillSwitch implements it.
func WithCompromiseChecker(ch audit.CompromiseChecker) Option {
	return func(c *config) error {
		if ch == nil {
			return fmt.Errorf("%w: nil compromise checker", ErrConfig)
		}
		c.checker = ch
		return nil
	}
}

// WithFirstSeen reports each job's new destinations to f (for a per-job
// anomaly view). The audit stream itself feeds an *audit.Detector: put it
// in the sink with audit.FanOut.
func WithFirstSeen(f FirstSeenFunc) Option {
	return func(c *config) error {
		if f == nil {
			return fmt.Errorf("%w: nil first-seen hook", ErrConfig)
		}
		c.firstSeen = f
		return nil
	}
}

// WithClientSVIDs lets jobs authenticate with their X.509-SVID as a TLS
// client certificate, verified against bundles, instead of a token. Serve
// the proxy on a TLS listener that requests client certificates (e.g.
// identity/mtls.ServerConfigClientOptional, so token callers still work);
// the chain is verified again here, whatever the TLS configuration did,
// and an SVID whose ID is a trust domain's own (no path) or too long is
// refused ([svid.CheckPeerID]). The identity is the SVID's SPIFFE ID,
// with no CI claims: allow it with
// [Rule].SPIFFEIDs and admit it with identity.MatchSPIFFEID. Without this
// option a client certificate is refused.
func WithClientSVIDs(bundles x509bundle.Source) Option {
	return func(c *config) error {
		if bundles == nil {
			return fmt.Errorf("%w: nil SVID bundle source", ErrConfig)
		}
		c.svids = bundles
		return nil
	}
}

// WithLimits overrides the default [Limits]; zero fields keep their
// default, negative ones are refused, and so, by [New], are limits that
// would let one job or client take what the others need (see
// [Limits.MaxConns], [Limits.DecisionCacheSize],
// [Limits.MaxPendingConnsPerClient]).
func WithLimits(l Limits) Option {
	return func(c *config) error {
		ints := []struct {
			v   int
			dst *int
		}{
			{l.MaxConnsPerJob, &c.limits.MaxConnsPerJob}, {l.MaxConns, &c.limits.MaxConns}, {l.MaxHeaderBytes, &c.limits.MaxHeaderBytes},
			{l.BufferSize, &c.limits.BufferSize}, {l.DecisionCacheSize, &c.limits.DecisionCacheSize}, {l.DecisionsPerJob, &c.limits.DecisionsPerJob},
			{l.MaxPendingConns, &c.limits.MaxPendingConns}, {l.MaxPendingConnsPerClient, &c.limits.MaxPendingConnsPerClient},
			{l.RefusalBurst, &c.limits.RefusalBurst}, {l.MaxRefusalSources, &c.limits.MaxRefusalSources},
		}
		for _, f := range ints {
			if f.v < 0 {
				return fmt.Errorf("%w: negative limit %d", ErrConfig, f.v)
			}
			if f.v > 0 {
				*f.dst = f.v
			}
		}
		durs := []struct {
			v   time.Duration
			dst *time.Duration
		}{
			{l.HeaderTimeout, &c.limits.HeaderTimeout}, {l.ConnectTimeout, &c.limits.ConnectTimeout},
			{l.IdleTimeout, &c.limits.IdleTimeout}, {l.DecisionTTL, &c.limits.DecisionTTL},
			{l.CompromiseRecheck, &c.limits.CompromiseRecheck},
			{l.RefusalRefill, &c.limits.RefusalRefill}, {l.RefusalSummaryInterval, &c.limits.RefusalSummaryInterval},
		}
		for _, f := range durs {
			if f.v < 0 {
				return fmt.Errorf("%w: negative duration %v", ErrConfig, f.v)
			}
			if f.v > 0 {
				*f.dst = f.v
			}
		}
		return nil
	}
}

// check refuses limits under which one job's or client's bound exceeds the
// proxy's whole: that job could then evict, or starve, every other. It
// runs on the limits in effect, after every option.
func (l Limits) check() error {
	switch {
	case l.MaxConns < l.MaxConnsPerJob:
		return fmt.Errorf("%w: MaxConns %d is below MaxConnsPerJob %d", ErrConfig, l.MaxConns, l.MaxConnsPerJob)
	case l.DecisionCacheSize < l.DecisionsPerJob:
		return fmt.Errorf("%w: DecisionCacheSize %d is below DecisionsPerJob %d", ErrConfig, l.DecisionCacheSize, l.DecisionsPerJob)
	case l.MaxPendingConnsPerClient >= l.MaxPendingConns:
		return fmt.Errorf("%w: MaxPendingConnsPerClient %d is not below MaxPendingConns %d", ErrConfig, l.MaxPendingConnsPerClient, l.MaxPendingConns)
	}
	return nil
}
