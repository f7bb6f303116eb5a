package egress

import "errors"

// Errors. Tests and callers match them with errors.Is.
var (
	// ErrConfig: New, NewAllowList or an option was given a missing
	// argument or an invalid value.
	ErrConfig = errors.New("egress: invalid configuration")
	// ErrBadDestination: a request names a destination that is not a valid
	// host name or IP literal with a port.
	ErrBadDestination = errors.New("egress: bad destination")
	// ErrBadCredentials: the Proxy-Authorization header is missing,
	// repeated or malformed.
	ErrBadCredentials = errors.New("egress: bad proxy credentials")
)

// Rules the proxy itself applies before and around the [Decider]. They name
// the refusal in the 403 body, the X-Ztci-Egress-Rule header and the audit
// event.
const (
	// RuleDefaultDeny: no rule of the [AllowList] allows the destination.
	RuleDefaultDeny = "egress.default_deny"
	// RuleInternalAddress: every address the destination resolved to is
	// private, loopback, link-local or otherwise not public, or an address
	// of the proxy's own host, and none is lifted by a pairing of
	// [WithInternalHosts] for the destination's host; or the connection
	// reached the proxy's own host all the same.
	RuleInternalAddress = "egress.internal_address"
	// RuleCompromised: the job's identity is marked compromised
	// ([WithCompromiseChecker]).
	RuleCompromised = "egress.compromised"
	// RuleWrongJob: the credentials verified, but as an identity this proxy
	// does not serve (the jobs matcher given to [New]).
	RuleWrongJob = "egress.wrong_job"
	// RuleTooManyConnections: the job already has Limits.MaxConnsPerJob
	// connections open.
	RuleTooManyConnections = "egress.too_many_connections"
	// RuleTooManyProxyConnections: the proxy already has Limits.MaxConns
	// connections open, of all jobs.
	RuleTooManyProxyConnections = "egress.too_many_proxy_connections"
	// RuleTooManyPending: a connection to the proxy was closed as it was
	// accepted, because Limits.MaxPendingConns or MaxPendingConnsPerClient
	// connections carried no admitted request. Only counted, in the
	// client's [ActionRefusalsSuppressed] event: no request was read.
	RuleTooManyPending = "egress.too_many_pending_connections"
	// RuleUndecided: the Decider returned an error; a deny.
	RuleUndecided = "egress.undecided"
	// RuleSNIMismatch: the tunnel's TLS ClientHello names another server
	// than the CONNECT host (see [EndSNIMismatch]).
	RuleSNIMismatch = "egress.sni_mismatch"
	// RuleHostMismatch: a cleartext HTTP request in the tunnel names
	// another host than the CONNECT destination (see [EndHostMismatch]).
	RuleHostMismatch = "egress.host_mismatch"
	// RuleUpgrade: a forwarded http:// request asks to switch protocols
	// (it carries Upgrade or HTTP2-Settings, or lists "upgrade" in
	// Connection), other than an offer of h2c alone, which is stripped;
	// refused with 501 before it is decided or dialled.
	RuleUpgrade = "egress.upgrade"
)
