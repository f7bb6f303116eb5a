// Package egress is ztci's per-job egress control: an embeddable forward
// proxy a runner points its job at (HTTPS_PROXY / HTTP_PROXY), which lets a
// job reach only the destinations policy allows for its identity, and
// records every connection.
//
// A compromised build step or dependency exfiltrates over the network; this
// is where that is stopped, or at least seen. The proxy speaks HTTP CONNECT
// (TLS and any other TCP protocol tunnelled through it; the target in
// authority form, host:port, only: a path, userinfo or query is refused
// with 400, [ErrBadDestination]) and forwards plain http:// requests
// (absolute form).
//
// One connection is, in order:
//
//  1. authenticate: the job token from Proxy-Authorization ("Bearer
//     <token>", or Basic with the token as password — what curl, git and Go
//     send for http://job:<token>@proxy:port) is verified by an
//     [identity.TokenVerifier], or, on a TLS listener, the job's client
//     X.509-SVID is verified against [WithClientSVIDs]; the credential
//     must not have expired (a token's exp, an SVID's NotAfter) and the
//     identity must match the jobs the proxy serves; otherwise 407;
//  2. refuse a job whose identity is marked compromised
//     ([WithCompromiseChecker]), a job over its connection limit, and any
//     job while the proxy holds its limit of connections of all jobs;
//  3. decide the destination (host, port) for that identity with a
//     [Decider] — the built-in [AllowList] (rules per repository, workflow
//     and ref globs and run trigger, optionally bound to issuers and
//     repository ids → host globs and ports, deny by default) or the
//     caller's own ([DeciderFunc]); decisions are cached per (job, destination);
//     a deny is a 403 whose body and [HeaderRule] header name the rule
//     (a destination's own [HeaderRule] is removed from the responses
//     the proxy forwards, header and trailer, so only the proxy's
//     refusals carry one);
//  4. resolve the name once, rooted (so no resolv.conf search domain is
//     tried), keep only public addresses that are not the proxy host's
//     own (or those [WithInternalHosts] pairs with that name), and
//     connect to one of exactly those, closing a connection that reached
//     the host itself;
//  5. audit the open (before dialing), relay until the job, the
//     destination or the idle timeout ends it or the credential expires,
//     audit the close with bytes each way and duration.
//
// # Use
//
//	rules, err := egress.NewAllowList(egress.Rule{
//		Name: "go-modules", Repositories: []string{"octo-org/*"},
//		Hosts: []string{"proxy.golang.org", "sum.golang.org"}, Ports: []uint16{443},
//	})
//	p, err := egress.New(jobTokens, identity.MatchID(job.ID()), rules, auditLog,
//		egress.WithCompromiseChecker(killSwitch))
//	go p.Serve(ln) // a listener the job can reach
//	defer p.Close()
//	// the job's environment:
//	//   HTTPS_PROXY=http://job:<job token>@<ln address>  (and https_proxy, http_proxy)
//
// A vendor that sets the policy library's untrusted triggers
// (policy.LibraryConfig.UntrustedTriggers) passes the same list to the
// allow-list, so that egress and the deploy and secrets rules distrust the
// same jobs:
//
//	rules, err := egress.NewAllowListWith(ruleList,
//		egress.WithUntrustedTriggers(libraryConfig.UntrustedTriggers))
//
// An [audit.Detector] learns each identity's destinations from the audit
// stream: feed it the [ActionConnect] events (audit.FanOut with a filter)
// and a destination new to a repository raises a first_seen anomaly.
// [WithFirstSeen] reports each job's new destinations directly.
//
// # Security contract
//
//   - Deny by default. Only a Decision with Allow set lets a connection
//     through; a Decider error is a deny ([RuleUndecided]) and is not cached.
//     [WithAuditOnlyUnsafe] allows what the Decider denies, recording
//     "enforced"="false"; authentication, the compromise check, the address
//     check and limits still apply in that mode.
//   - A ref is not trusted on a pull request's behalf: a [Rule]'s Refs
//     match no job started by an untrusted trigger (its event claim),
//     which GitHub runs with the base branch's ref for code a pull request
//     from anyone may control, unless the rule's Events name that
//     trigger (without ASCII case only: an event claim spelt with the
//     Kelvin sign is named by no rule, and is still untrusted). The untrusted triggers are the policy library's:
//     pull_request_target, workflow_run and CircleCI's ssh-rerun by
//     default (claims.DefaultUntrustedTriggers), or the list of
//     policy.LibraryConfig.UntrustedTriggers passed to
//     [WithUntrustedTriggers], compared as the library compares them
//     (without case and surrounding space; a job without an event claim
//     is untrusted only if the list holds a blank entry). The claim is
//     the string the policy input's job.trigger carries: identity/oidc
//     refuses a token whose event claim is neither a string nor an
//     integer, which the library would distrust.
//   - A repository name means something only to the platform that issued
//     it, and only until someone registers it again ("repojacking"): a
//     [Rule] whose Issuers are set covers only jobs of those OIDC issuers
//     or SPIFFE trust domains, and one whose RepositoryIDs are set only
//     jobs whose immutable repository id is listed (a job authenticated
//     by SVID carries none), as policy.SecretGrant does. Nil covers any;
//     a non-nil empty list covers none.
//   - The job token is read only from Proxy-Authorization, deleted from the
//     request before anything else looks at it, and never forwarded, logged,
//     audited, echoed or put in an error. A missing or bad token, or another
//     job's valid token, gets 407. A client certificate is accepted only
//     with [WithClientSVIDs], and its chain is verified by the proxy itself
//     whatever the TLS configuration checked (an SVID naming a trust
//     domain's own ID, or an ID longer than the specification allows, is
//     refused: [svid.CheckPeerID]); it then takes precedence over a token.
//   - No connection outlives its credential. Every tunnel and forwarded
//     request is cut when the credential that authorised it expires: the
//     job token's exp, or the earliest NotAfter of the client SVID's
//     verified chain. The proxy's clock ([WithClock]) says how far off
//     that is, a real timer cuts it then, as [Proxy.Cut] would, and its
//     close event has end [EndExpired]. Each request, on a new or a
//     kept-alive connection, is authenticated on its own: a credential
//     past its expiry by the proxy's clock gets 407 even if the verifier,
//     allowing leeway, accepted it. The proxy reads exp from the claims
//     of the token the verifier accepted (a JWT, as every job token ztci
//     verifies is); a token whose exp it cannot read (not a compact JWS,
//     no numeric exp, claims repeated or spelt in another case) is
//     refused with 407, whatever the verifier said, since nothing would
//     end its connections. Since every request is verified, the proxy's
//     verifier must not be single-use (oidc.WithSingleUse): the job's
//     second request would be refused as a replay, and a token spent at
//     the proxy could no longer be used where it was meant. [New] refuses
//     a verifier that reports it is single-use ([identity.SingleUse]),
//     wrapping [ErrConfig] and [identity.ErrSingleUse].
//   - No DNS rebinding: a host name is resolved once per connection, as a
//     rooted name (never under a search domain), the addresses are
//     checked, and the proxy dials those addresses, never the name.
//     Private, loopback, link-local, CGNAT, multicast, unspecified,
//     reserved, documentation and benchmarking ranges, Azure's platform
//     address 168.63.129.16, IPv6 outside global unicast (2000::/3), and
//     IPv6 forms that embed IPv4 (IPv4-mapped, NAT64 and 6to4 of such
//     addresses; Teredo wholesale) are refused unless [WithInternalHosts]
//     pairs them with the destination: a prefix lifts the check only for
//     the host names (exact or globs) paired with it, and for an
//     IP-literal destination only if that address is listed, so that an
//     allowed name whose DNS the job controls (a "*.pages.dev" rule,
//     nip.io, a name it rebinds) cannot point into an internal network;
//     the pairing is checked on the resolved address that is then dialled,
//     with the host policy decided on. Link-local and cloud metadata
//     addresses (169.254.169.254, fd00:ec2::254) are lifted only by a
//     prefix of that single address. So are the addresses of the
//     proxy's own host, public ones included (a cloud VM's IPv6 address,
//     a bare-metal runner's IPv4 address), listed at most a second
//     before: a connection to one reaches whatever listens on the host's
//     wildcard address over loopback, past the firewall or security
//     group that keeps the network out. A connection that reaches the
//     host all the same (the same address at both ends: an address the
//     host took since, or a [WithDialer] of another network namespace)
//     is closed before a byte is relayed, and a deny follows its allow
//     event. Host names that some resolvers
//     read as IPv4 numbers ("127.1", "0x7f.1", "0x") are refused.
//   - Every decision is audited with the job's identity (refusals of
//     credentials that did not verify, under actor "unauthenticated"; a
//     request with no credentials at all, the challenge round every client
//     that answers 407 makes first, is only logged). An
//     allowed connection is dialed only after the sink accepted its open
//     event (fail closed); its close event records bytes each way,
//     duration and why it ended. Every allowed connection has its own
//     events, always.
//   - Refusals are audited within a budget, so that a job cannot bury the
//     evidence, or fill the audit log's disk, under thousands of refused
//     requests a second. Each job identity, and before authentication
//     each client network (an IPv4 address, an IPv6 /64), has a token
//     bucket: Limits.RefusalBurst refusals (default 20) are audited one by
//     one, then one more per Limits.RefusalRefill (default 10 s). The
//     refusals beyond it are refused all the same, never allowed, and
//     counted: every Limits.RefusalSummaryInterval (default 30 s), and at
//     [Proxy.Close], one [ActionRefusalsSuppressed] event per source says
//     how many there were, since when, and of which destinations and
//     rules: the most frequent kinds, which decoys refused first cannot
//     push out of the list. At most Limits.MaxRefusalSources sources
//     (default 4096) have a bucket of their own; the rest share one,
//     summarised with the proxy as actor. A consumer that counts deny events must add the
//     [AttrSuppressed] counts of the summaries. The deny that cuts a
//     tunnel for [RuleSNIMismatch] or [RuleHostMismatch] follows an
//     allowed connection and is always audited.
//   - Kill switch: [Proxy.Cut] closes a job identity's open connections at
//     once; with [WithCompromiseChecker] a marked identity gets no new
//     connection and its open ones are cut within Limits.CompromiseRecheck.
//   - Bounded: connections per job, header size, header read, connect and
//     idle timeouts, copy buffers, decision cache ([Limits]); the header of
//     a forwarded response to 1 MiB; what a request puts in an audit event
//     (the method to 32 bytes, a TLS server name to 253, the error that
//     ended a connection to 512), so that no request, and no destination,
//     can make its record too large for the audit log. Every connection to the proxy is
//     bounded by one limit at any time: while it carries an admitted
//     request (authenticated, not refused before the destination is
//     decided) by its job's Limits.MaxConnsPerJob; otherwise (accepted,
//     in its TLS handshake, reading a header, being refused, idle between
//     requests) it is pending, and Limits.MaxPendingConnsPerClient
//     (default 64 per client network) and Limits.MaxPendingConns (default
//     1024 in all) bound those: a connection beyond them is closed as it
//     is accepted, and counted in the client's [ActionRefusalsSuppressed]
//     event ([RuleTooManyPending]). The header timeout (default 10 s) also
//     bounds a TLS listener's handshake. A refusal never waits for a
//     request body the job announced: it is answered at once and the
//     connection closed. [Proxy.Serve] applies these, and speaks
//     HTTP/1.1 only, even on a TLS listener whose configuration offers
//     "h2" (HTTP/2 would carry hundreds of requests on one connection,
//     past the pending limits); a server of the caller's own must do the
//     same.
//   - One job, or several of one attacker (a build matrix), cannot take
//     what a shared proxy's other jobs need. Open connections are bounded
//     per job (Limits.MaxConnsPerJob, default 64, refused with 429,
//     [RuleTooManyConnections]) and in all (Limits.MaxConns, default
//     4096, refused with 503, [RuleTooManyProxyConnections]; each holds a
//     connection upstream, so this bounds the proxy's file descriptors);
//     both refusals are audited as denies. The decision cache is bounded
//     per job (Limits.DecisionsPerJob) and in all
//     (Limits.DecisionCacheSize); when full it drops the oldest decision
//     of the job holding the most, so a job holding fewer keeps its
//     decisions (a dropped one would be decided again and reported to
//     [WithFirstSeen] as new). [New] refuses ([ErrConfig]) limits whose
//     per-job or per-client bound exceeds the proxy-wide one, which would
//     cancel this: MaxConns below MaxConnsPerJob, DecisionCacheSize below
//     DecisionsPerJob, MaxPendingConnsPerClient not below
//     MaxPendingConns. A proxy serving one job sets the first two pairs
//     alike, and MaxPendingConns above MaxPendingConnsPerClient.
//   - Plain http:// requests get a fresh upstream connection each, with
//     hop-by-hop and proxy headers removed; a request's trailer is not
//     forwarded, and a response's trailer loses the fields its header
//     loses (hop-by-hop ones such as Proxy-Authenticate and Connection,
//     and [HeaderRule]), declared or not. Upgrades (WebSocket, h2c) over
//     plain HTTP are not relayed. An offer of h2c alone (every Upgrade
//     value "h2c", with one HTTP2-Settings: what curl --http2 sends) is
//     declined as a server ignoring Upgrade declines it: Upgrade,
//     HTTP2-Settings and those Connection tokens are removed and the
//     request is forwarded as HTTP/1.1. Any other forwarded request that
//     carries Upgrade or HTTP2-Settings (any value) or lists "upgrade" in
//     Connection (any case) is refused with 501 and [RuleUpgrade], and
//     audited as a deny, before it is decided or dialled, so the
//     destination never reads a request whose answer the job would not
//     get.
//   - HTTPS is tunnelled, never intercepted. The decision is on the CONNECT
//     host; when the tunnel's first bytes are TLS (a record of any type:
//     crypto/tls skips warning alerts before the ClientHello, and so does
//     the proxy), the ClientHello's server name (SNI) must be that host, ASCII
//     case aside, or absent, or the tunnel is cut before a byte reaches the
//     destination ([RuleSNIMismatch]; bytes that start like TLS but hold no
//     hello crypto/tls reads within 64 KiB are cut too). This stops
//     fronting by SNI, not by an HTTP Host header inside TLS, which the
//     proxy cannot see, nor by the inner server name of Encrypted Client
//     Hello (only the outer, public name is visible, and checked), nor TLS
//     started after cleartext (STARTTLS, PostgreSQL's SSLRequest), nor a
//     second ClientHello after a TLS 1.3 HelloRetryRequest.
//   - Cleartext HTTP through a tunnel (clients that tunnel http:// URLs,
//     such as Node's undici or curl -p) is held to the CONNECT host too:
//     a front routes by Host header, so CONNECT deb.debian.org:80 with
//     "Host: evil.example" would reach whatever else that CDN serves.
//     When the tunnel's first line (after empty lines) holds "HTTP/", in
//     any case, every request in it is parsed (its header bounded by
//     Limits.MaxHeaderBytes) and written again by net/http, so that the
//     destination reads exactly the requests, and the framing, the proxy
//     checked; each must name the CONNECT host and port in its Host
//     header and, in absolute form, its URL (a Host without a port names
//     the CONNECT port). A request that names another host, none, cannot
//     be read, has a target other than a path, "*" or an http(s) URL, or
//     asks to switch protocols (CONNECT, or Upgrade as the forwarding
//     path reads it: WebSocket is not relayed in a cleartext tunnel, as it
//     is not on the forwarding path) cuts
//     the tunnel before it reaches the destination ([RuleHostMismatch],
//     [EndHostMismatch]). The first line is read whole before a byte of
//     it is relayed, up to a control byte (other than tab and CR) or
//     Limits.MaxHeaderBytes: a protocol whose client speaks first with a
//     printable message without a line end (none common does: SSH,
//     Redis, PostgreSQL, AMQP and git's do not) waits, and a tunnel whose
//     first MaxHeaderBytes are one printable line is cut, since it could
//     be a request line padded past the limit. A tunnel whose first line
//     is not HTTP is relayed as it is.
//   - CONNECT to an IP literal is not checked (neither SNI nor Host). Pass
//     an allowed host only when whoever serves it will not serve another
//     name on the same connection by means the proxy cannot see (a CDN
//     front may, by the Host header inside TLS).
package egress
