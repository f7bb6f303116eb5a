package vault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/internal/bounded"
	"github.com/ztci/ztci/internal/origin"
	"github.com/ztci/ztci/internal/redact"
	"github.com/ztci/ztci/secrets"
)

// Errors.
var (
	// ErrLoginDenied: Vault refused the job's token (wrong audience,
	// unbound claims, expired). It is a [secrets.ErrDenied].
	ErrLoginDenied = fmt.Errorf("%w: vault jwt login refused", secrets.ErrDenied)
	// ErrNoToken: the job has no token to log in with.
	ErrNoToken = fmt.Errorf("%w: no job token for vault jwt login", secrets.ErrDenied)
	// ErrUnwrap: a wrapping token could not be unwrapped: used before,
	// expired or unknown. Treat it as a sign of interception.
	ErrUnwrap = errors.New("vault: unwrap failed")
	// ErrField: the secret has no such field, or it is not a string.
	ErrField = fmt.Errorf("%w: vault secret has no such string field", secrets.ErrNotFound)
	// ErrLeaseID: Vault answered a read with a lease id that is not
	// under the path read, so not one the read created, or with the
	// lease id or wrapping accessor of a lease this backend has handed
	// out and not yet revoked: it is neither renewed nor revoked for this
	// read (see [Backend.Issue]).
	ErrLeaseID = fmt.Errorf("%w: vault: a lease id the read did not create", secrets.ErrBackend)
	// ErrLeaseDuration: Vault answered with a lease or wrapping TTL that is
	// negative, 0, or too large to be a time.Duration, a lease TTL longer
	// than the broker asked for that could not be brought down to it, or a
	// wrapping TTL longer than asked; or a renewal or a wrapping was to
	// last less than a second, which Vault cannot express (see
	// [*DurationError]).
	ErrLeaseDuration = fmt.Errorf("%w: vault: unusable lease duration", secrets.ErrBackend)
)

// DurationError reports a TTL from Vault that cannot be used: negative,
// too large for a time.Duration, 0 for a Vault lease or a wrapping token,
// or longer than asked (Asked set); or a renewal increment or a wrapping
// TTL under a second. The lease it came with has been revoked (Issue) or
// left as it was (Renew).
type DurationError struct {
	Field   string // e.g. "lease_duration"
	Seconds int
	// Asked is the lifetime asked for, in whole seconds, when Seconds is
	// longer than that; 0 otherwise.
	Asked int
}

func (e *DurationError) Error() string {
	if e.Asked > 0 {
		return fmt.Sprintf("vault: %s of %d seconds is longer than the %d asked for", e.Field, e.Seconds, e.Asked)
	}
	return fmt.Sprintf("vault: %s of %d seconds is out of range", e.Field, e.Seconds)
}

// Unwrap returns ErrLeaseDuration.
func (e *DurationError) Unwrap() error { return ErrLeaseDuration }

// seconds converts a TTL in seconds from Vault, refusing what would
// overflow time.Duration or is negative.
func seconds(field string, n int) (time.Duration, error) {
	if n < 0 || int64(n) > math.MaxInt64/int64(time.Second) {
		return 0, &DurationError{Field: field, Seconds: n}
	}
	return time.Duration(n) * time.Second, nil
}

// leaseSeconds is seconds for the TTL of something Vault created for the
// lease (a Vault lease, a wrapping token), which also refuses 0: a
// Grant's TTL of 0 says "the backend sets no expiry", so a Vault lease
// answered with lease_duration 0 would have been handed out as one whose
// credential outlives a failed revocation (the broker holds its own lease
// to the TTL it asked for, not Vault's).
func leaseSeconds(field string, n int) (time.Duration, error) {
	if n == 0 {
		return 0, &DurationError{Field: field, Seconds: n}
	}
	return seconds(field, n)
}

type kind int

const (
	kindKV kind = iota
	kindDynamic
)

// Source says where in Vault a named secret comes from. Build one with
// [KV] or [Dynamic]; [Source.Wrapped] delivers it response-wrapped.
type Source struct {
	kind    kind
	mount   string
	path    string
	field   string
	wrapTTL time.Duration
}

// KV reads field of the latest version of the KV v2 secret at path under
// mount (e.g. KV("secret", "ci/deploy", "token")). KV values have no Vault
// lease: revoking the broker's lease ends the job's handle, not the value.
func KV(mount, path, field string) Source {
	return Source{kind: kindKV, mount: strings.Trim(mount, "/"), path: strings.Trim(path, "/"), field: field}
}

// Dynamic reads a dynamic secret (e.g. Dynamic("database/creds/ci",
// "password")) whose Vault lease the broker's lease renews and revokes.
func Dynamic(path, field string) Source {
	return Source{kind: kindDynamic, path: strings.Trim(path, "/"), field: field}
}

// readPath is the Vault path Issue reads.
func (s Source) readPath() string {
	if s.kind == kindKV {
		return s.mount + "/data/" + s.path
	}
	return s.path
}

// Wrapped makes the secret arrive response-wrapped: the lease's value is a
// single-use wrapping token valid for ttl, or for the lifetime the broker
// asks for the lease if that is shorter (at most [secrets.WithTTL], and no
// later than the job's deadline; whole seconds, rounded down), which only
// the job unwraps (see [Unwrap]), so the broker never sees the secret.
// The lease is single-use, and revoking it revokes the wrapping token if
// still unused. Only a [KV] source can be wrapped: [New] refuses a wrapped
// [Dynamic] one, whose Vault lease would be inside the wrapped answer,
// where the broker cannot see its id to revoke it when the job ends.
func (s Source) Wrapped(ttl time.Duration) Source {
	s.wrapTTL = ttl
	return s
}

// JWTAuth names the JWT auth method and role the job logs in with. The
// role's bound_audiences and bound_claims decide which jobs get in; keep its
// token_ttl short.
type JWTAuth struct {
	// Mount is the auth method's mount (default "jwt").
	Mount string
	// Role is the JWT auth role.
	Role string
}

// Backend reads secrets from Vault or OpenBao as the job: each Issue logs in
// through the JWT auth method with the job's own token ([secrets.Request]
// Token), so Vault's policies for the job apply, then reads the secret. The
// broker's client (with its own token) revokes and renews leases, so a
// crashed job's leases can be revoked after its token expired.
type Backend struct {
	client  *api.Client
	auth    JWTAuth
	sources map[string]Source
	config  // fixed at New

	// owned records what each lease id this backend handed out stands for.
	// Which ids need no Vault call is decided here, never by the id's
	// form: Vault derives lease ids from mount paths, which an operator
	// names, so any prefix of ours can also begin a real lease id.
	mu    sync.Mutex
	owned map[string]owned
}

// config is what the options set.
type config struct {
	log *slog.Logger
}

// ErrConfig: New was given an unusable argument or option.
var ErrConfig = errors.New("vault: invalid configuration")

// owned is what a lease id handed out by Issue stands for.
type owned struct {
	kind     ownedKind
	accessor string // ownedWrap: the wrapping token's accessor
	// login is, for an ownedLease, the job's login token the lease hangs
	// on, revoked with it: the lease is its only use, and it holds the
	// job's Vault policies until its token_ttl otherwise.
	login secrets.Value
}

type ownedKind int

const (
	ownedNone  ownedKind = iota // KV read: no Vault lease
	ownedLease                  // a Vault lease
	ownedWrap                   // an unused wrapping token, by accessor
)

// claim records id as o, unless id is already recorded: an id Vault
// answered twice is not a new lease, and recording it again would make
// the first holder's revocation end the second's login token, or the
// reverse.
func (b *Backend) claim(id string, o owned) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, dup := b.owned[id]; dup {
		return false
	}
	b.owned[id] = o
	return true
}

func (b *Backend) own(id string, o owned) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.owned[id] = o
}

// String names the role; the broker's Vault token, held by its client, is
// never printed.
func (b *Backend) String() string {
	return "vault.Backend{role:" + b.auth.Role + ", token:" + redact.Marker + "}"
}

// GoString is String.
func (b *Backend) GoString() string { return b.String() }

// Format writes String for every verb: %s or %q of the struct would
// otherwise print the client, and the token in it, by reflection.
func (b *Backend) Format(f fmt.State, _ rune) { redact.Format(f, b.String()) }

// LogValue is String.
func (b *Backend) LogValue() slog.Value { return slog.StringValue(b.String()) }

// MarshalJSON is String as a JSON string.
func (b *Backend) MarshalJSON() ([]byte, error) { return json.Marshal(b.String()) }

// Option configures a [Backend].
type Option func(*config) error

// WithLogger sets the logger (never values or tokens). The default discards.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("vault: WithLogger: nil logger")
		}
		c.log = l
		return nil
	}
}

// New returns a backend. client is the broker's own Vault client: its
// address and TLS settings are used for the job's logins, and its token
// revokes and renews leases. sources maps secret names to where they are.
func New(client *api.Client, auth JWTAuth, sources map[string]Source, opts ...Option) (*Backend, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: New: nil client", ErrConfig)
	}
	if auth.Role == "" {
		return nil, fmt.Errorf("%w: New: JWTAuth.Role is required", ErrConfig)
	}
	if auth.Mount = strings.Trim(auth.Mount, "/"); auth.Mount == "" {
		auth.Mount = "jwt"
	}
	if err := checkPath(auth.Mount); err != nil {
		return nil, fmt.Errorf("%w: New: JWTAuth.Mount: %w", ErrConfig, err)
	}
	if len(sources) == 0 {
		return nil, fmt.Errorf("%w: New: no sources", ErrConfig)
	}
	for name, s := range sources {
		if s.path == "" || s.field == "" || (s.kind == kindKV && s.mount == "") {
			return nil, fmt.Errorf("%w: New: source %q: mount, path and field are required", ErrConfig, name)
		}
		for _, p := range []string{s.mount, s.path} {
			if err := checkPath(p); p != "" && err != nil {
				return nil, fmt.Errorf("%w: New: source %q: %w", ErrConfig, name, err)
			}
		}
		if s.kind == kindDynamic && s.wrapTTL > 0 {
			// The wrapped answer holds the dynamic secret's Vault lease id;
			// the broker only ever learns the wrapping token's accessor, so
			// once the job unwrapped it, revoking the lease at the job's end
			// would revoke nothing and the credential would live on until
			// its Vault TTL (or the login token's) ran out.
			return nil, fmt.Errorf("%w: New: source %q: a Dynamic source cannot be Wrapped: its Vault lease could not be revoked when the job ends", ErrConfig, name)
		}
	}
	own, err := withoutRedirects(client)
	if err != nil {
		return nil, err
	}
	b := &Backend{client: own, auth: auth, sources: sources, config: config{log: slog.New(slog.DiscardHandler)}, owned: map[string]owned{}}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil Option", ErrConfig)
		}
		if err := o(&b.config); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	return b, nil
}

// checkPath refuses a Vault path (a mount, a secret's path) that would not
// be read as written. Vault's client joins request paths with path.Join,
// which resolves "." and ".." segments and drops empty ones: a path with
// one, built from a job's claims ("ci/" + repository), would read another
// secret than the source names, or log in at another mount. A
// percent-encoded dot, slash or backslash, a backslash, or a control
// character is refused too: a proxy that decodes twice, or reads a
// backslash as a separator, would make the same of it. Text from the path
// is not quoted.
func checkPath(p string) error {
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return errors.New(`vault: a path has an empty, "." or ".." segment`)
		}
	}
	lower := strings.ToLower(p)
	for _, bad := range []string{"%2e", "%2f", "%5c", `\`} {
		if strings.Contains(lower, bad) {
			return errors.New("vault: a path has a percent-encoded dot, slash or backslash, or a backslash")
		}
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return errors.New("vault: a path has a control character")
		}
	}
	return nil
}

// withoutRedirects returns a copy of client that never follows a redirect.
// Vault's client follows one 301/302/307 to any host and sends the token
// there too; a Vault standby forwards requests to the active node itself,
// so no redirect is needed, and a redirect answered by anyone on the path
// would carry the broker's token to another origin. A redirect is then an
// error the broker fails closed on. The caller's client is left as it is.
//
// It also refuses a client whose address would carry tokens over plain
// HTTP to another machine (https, or http only to a loopback host or a
// unix socket), that would not verify Vault's certificate (but to a
// loopback IP), or whose requests DNS SRV records would route (SRV lookup
// on), and bounds every response body to [MaxResponseSize].
func withoutRedirects(client *api.Client) (*api.Client, error) {
	cfg := client.CloneConfig()
	if overUnixSocket(cfg) {
		// The transport Vault's client made already dials the socket
		// (the clone shares it). Keep the URL it named the server by, so
		// that NewClient below leaves the transport alone: it refuses a
		// unix address over the wrapped transport built here.
		cfg.Address = client.Address()
	} else {
		if u, err := url.Parse(client.Address()); err != nil || !origin.Secure(u) {
			return nil, fmt.Errorf("%w: vault address %q: tokens are sent over https only (plain http only to a loopback IP or a unix socket)", ErrConfig, redactedAddr(client.Address()))
		}
	}
	if cfg.SRVLookup {
		// Vault's client would send each request to the host and port a
		// DNS SRV record names (when the address has no port) and check
		// TLS against that name: whoever answers DNS would get the tokens
		// over a valid certificate for their own host.
		if u, err := url.Parse(client.Address()); err != nil || u.Port() == "" {
			return nil, fmt.Errorf("%w: vault client has SRV lookup on (VAULT_SRV_LOOKUP): tokens would go to whatever host DNS names; turn it off", ErrConfig)
		}
		cfg.SRVLookup = false // a port is given: the client would not look it up
	}
	cfg.DisableRedirects = true
	// A client whose Timeout is not positive (SetClientTimeout(-1) is
	// Vault's "none") has no bound at all: a server that trickles its
	// answer would hold a login, or a revocation run under
	// context.WithoutCancel, forever.
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	// With redirects off, Vault's client hands a 3xx back as if it were an
	// answer, and a revocation answered 307 would count as done: make every
	// 3xx an error at the transport, on a copy of the caller's http.Client.
	hc := http.Client{}
	if cfg.HttpClient != nil {
		hc = *cfg.HttpClient
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	if skipsVerify(base) && !overUnixSocket(cfg) {
		// VAULT_SKIP_VERIFY=true, or api.TLSConfig.Insecure: https to
		// whoever is on the path. As with plain http, only a loopback IP
		// is exempt.
		if u, err := url.Parse(client.Address()); err != nil || !origin.Loopback(u) {
			return nil, fmt.Errorf("%w: vault address %q: the client does not verify Vault's certificate (VAULT_SKIP_VERIFY, TLSConfig.Insecure), so tokens would go to whoever is on the path", ErrConfig, redactedAddr(client.Address()))
		}
	}
	hc.Transport = refuseRedirects{base}
	cfg.HttpClient = &hc
	c, err := api.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("vault: New: %w", err)
	}
	c.SetToken(client.Token())
	c.SetHeaders(client.Headers())
	c.SetNamespace(client.Namespace())
	return c, nil
}

// skipsVerify reports whether rt is an *http.Transport that does not
// verify the server's certificate and has no verification of the
// caller's own in its place (VerifyPeerCertificate, VerifyConnection).
func skipsVerify(rt http.RoundTripper) bool {
	t, ok := rt.(*http.Transport)
	if !ok || t.TLSClientConfig == nil {
		return false
	}
	c := t.TLSClientConfig
	return c.InsecureSkipVerify && c.VerifyPeerCertificate == nil && c.VerifyConnection == nil
}

// DefaultTimeout bounds each Vault request, reading its answer included,
// when the client given has no timeout of its own (api.DefaultConfig's is
// also 60 s).
const DefaultTimeout = 60 * time.Second

// ErrRedirect: Vault (or something on the path) answered with a redirect,
// which the backend never follows; the call did not happen.
var ErrRedirect = errors.New("vault: redirect refused")

// refuseRedirects turns every 3xx answer into ErrRedirect.
type refuseRedirects struct{ base http.RoundTripper }

func (t refuseRedirects) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	if resp.StatusCode < 300 || resp.StatusCode > 399 {
		resp.Body = bounded.Body(resp.Body, MaxResponseSize, errResponseTooLarge)
		return resp, nil
	}
	_ = resp.Body.Close()
	return nil, fmt.Errorf("%w: %s %s answered %d", ErrRedirect, r.Method, r.URL.Path, resp.StatusCode)
}

// MaxResponseSize bounds what is read of one Vault response (Vault's own
// default limit on a request, so on a stored value, is 32 MiB). A longer
// body is an error, never a truncated secret.
const MaxResponseSize = 32 << 20

// errResponseTooLarge: a Vault response was longer than [MaxResponseSize].
var errResponseTooLarge = fmt.Errorf("%w: vault: response larger than %d bytes", secrets.ErrBackend, MaxResponseSize)

// redactedAddr drops user info, query and fragment from a Vault address
// for an error message.
func redactedAddr(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable address)"
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment = nil, "", false, ""
	return u.String()
}

// wrapPrefix begins the lease id of a wrapping token: the id names the
// accessor, so that Recover in a later process can still revoke it.
const wrapPrefix = "wrap-accessor:"

// Issue logs in as the job and reads the secret called req.Name.
func (b *Backend) Issue(ctx context.Context, req secrets.Request) (secrets.Grant, error) {
	src, ok := b.sources[req.Name]
	if !ok {
		return secrets.Grant{}, fmt.Errorf("%w: %q", secrets.ErrNotFound, req.Name)
	}
	// The id the broker reserved never names anything in Vault (Vault picks
	// its own lease ids); it is what the broker revokes if no other id is
	// granted.
	b.own(req.LeaseID, owned{kind: ownedNone})
	// A wrapping token lives no longer than the lease asked for (at most
	// the broker's TTL, and no later than the job's deadline), in whole
	// seconds rounded down: one that outlived the job would stay good for
	// whoever intercepted it if the revocation at the job's end failed.
	wrapSecs := 0
	if src.wrapTTL > 0 {
		wrap := src.wrapTTL
		if req.TTL > 0 {
			wrap = min(wrap, req.TTL)
		}
		if wrapSecs = int(wrap / time.Second); wrapSecs < 1 {
			return secrets.Grant{}, &DurationError{Field: "wrap ttl", Seconds: wrapSecs}
		}
	}
	c, err := b.login(ctx, req.Token)
	if err != nil {
		return secrets.Grant{}, err
	}
	// The login token is needed only as long as a Vault lease it created
	// is: Vault revokes a token's leases with it. Otherwise (a KV read,
	// wrapped or not, whose wrapping token is an orphan, or any failure)
	// it is revoked here, not left with the job's policies until its
	// token_ttl, past the job and past the lease's revocation; with it
	// goes a lease Vault created for a read whose answer never arrived.
	keepLogin := false
	defer func() {
		if !keepLogin {
			b.logout(ctx, c)
		}
	}()
	if wrapSecs > 0 {
		ttl := strconv.Itoa(wrapSecs) + "s"
		c.SetWrappingLookupFunc(func(string, string) string { return ttl })
	}
	path := src.readPath()
	s, err := c.Logical().ReadWithContext(ctx, path)
	if err != nil {
		return secrets.Grant{}, classify("read "+path, err)
	}
	if s == nil {
		return secrets.Grant{}, fmt.Errorf("%w: vault: nothing at %s", secrets.ErrNotFound, path)
	}
	if src.wrapTTL > 0 {
		if s.WrapInfo == nil || s.WrapInfo.Token == "" {
			return secrets.Grant{}, fmt.Errorf("%w: vault: asked for a wrapped response from %s, got none", secrets.ErrBackend, path)
		}
		if s.WrapInfo.Accessor == "" {
			// The accessor is the only way to revoke the token: without it
			// revocation would "succeed" (Vault refuses an empty accessor
			// with 400, read as already gone) and leave the token live.
			return secrets.Grant{}, fmt.Errorf("%w: vault: wrapped response from %s has no accessor to revoke it by", secrets.ErrBackend, path)
		}
		id := wrapPrefix + s.WrapInfo.Accessor
		if !b.claim(id, owned{kind: ownedWrap, accessor: s.WrapInfo.Accessor}) {
			// Another lease of this backend's: not revoked here.
			return secrets.Grant{}, fmt.Errorf("%w: the wrapping token answered for %s has the accessor of a lease already handed out", ErrLeaseID, path)
		}
		ttl, err := leaseSeconds("wrap_info.ttl", s.WrapInfo.TTL)
		if err == nil && s.WrapInfo.TTL > wrapSecs {
			err = &DurationError{Field: "wrap_info.ttl", Seconds: s.WrapInfo.TTL, Asked: wrapSecs}
		}
		if err != nil {
			return secrets.Grant{}, errors.Join(err, b.Revoke(context.WithoutCancel(ctx), id))
		}
		b.granted(req.LeaseID, id)
		return secrets.Grant{LeaseID: id, Value: secrets.NewValue(s.WrapInfo.Token), TTL: ttl, SingleUse: true}, nil
	}
	if s.LeaseID != "" && (!leaseUnder(s.LeaseID, path) || !b.claim(s.LeaseID, owned{kind: ownedLease})) {
		// Not revoked by that id: it names something this read did not
		// create (another job's or tenant's lease, a token's, one this
		// backend already handed out), which the broker's token would
		// renew or end. The deferred logout revokes the login token, and
		// with it whatever the read did create.
		return secrets.Grant{}, fmt.Errorf("%w: the lease id answered for %s", ErrLeaseID, path)
	}
	// Anything Vault created is revoked before an error is returned: the
	// broker only knows the id it reserved, not Vault's.
	fail := func(err error) (secrets.Grant, error) {
		if s.LeaseID != "" {
			err = errors.Join(err, b.Revoke(context.WithoutCancel(ctx), s.LeaseID))
		}
		return secrets.Grant{}, err
	}
	v, err := field(s, src.kind == kindKV, src.field)
	if err != nil {
		return fail(fmt.Errorf("%s: %w", path, err))
	}
	if s.LeaseID == "" {
		return secrets.Grant{Value: v}, nil
	}
	ttl, err := leaseSeconds("lease_duration", s.LeaseDuration)
	if err != nil {
		return fail(err)
	}
	if ttl, err = b.shorten(ctx, s, ttl, req.TTL); err != nil {
		return fail(err)
	}
	b.granted(req.LeaseID, s.LeaseID)
	b.own(s.LeaseID, owned{kind: ownedLease, login: secrets.NewValue(c.Token())})
	keepLogin = true
	return secrets.Grant{LeaseID: s.LeaseID, Value: v, TTL: ttl, Renewable: s.Renewable}, nil
}

// leaseUnder reports whether id can be the id of a lease Vault created for
// a read of path: Vault names a lease "<request path>/<random id>", with
// ".<namespace id>" appended in a namespace, where the request path is
// relative to the namespace — so path may carry the namespace in front of
// it. The id's directory must be path or a whole-segment suffix of it, and
// its last segment a name.
func leaseUnder(id, path string) bool {
	dir, last, ok := cutLast(id)
	if !ok || last == "" || last == "." || last == ".." || dir == "" {
		return false
	}
	return path == dir || strings.HasSuffix(path, "/"+dir)
}

func cutLast(s string) (dir, last string, ok bool) {
	i := strings.LastIndexByte(s, '/')
	if i < 0 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// logout revokes the job's login token c holds. A failure is logged, not
// returned: what was read is good, and the token, which nobody else holds,
// still ends with its token_ttl.
func (b *Backend) logout(ctx context.Context, c *api.Client) {
	if err := c.Auth().Token().RevokeSelfWithContext(context.WithoutCancel(ctx), ""); err != nil {
		b.log.WarnContext(ctx, "vault: the job's login token could not be revoked; it ends with the JWT role's token_ttl",
			"error", classify("revoke login token", err).Error())
	}
}

// shorten brings a Vault lease granted for longer than asked down to what
// was asked, by renewing it with that increment (Vault sets a renewed
// lease's TTL to the increment from now). A dynamic secret's TTL is its
// role's default, whatever the request: a lease of an hour handed to a
// job whose broker asked for 15 minutes, or for the minute left to its
// deadline, would outlive a failed revocation at the job's end by that
// much. A lease Vault does not renew down to the ask is refused.
func (b *Backend) shorten(ctx context.Context, s *api.Secret, granted, asked time.Duration) (time.Duration, error) {
	if asked <= 0 || granted <= asked {
		return granted, nil
	}
	if !s.Renewable {
		return 0, &DurationError{Field: "lease_duration", Seconds: s.LeaseDuration, Asked: int(asked / time.Second)}
	}
	return b.Renew(ctx, s.LeaseID, asked)
}

// granted forgets the reserved id of a lease granted under another id:
// the broker revokes such a lease by the granted id only, so the reserved
// one would otherwise be remembered for the life of the process, one entry
// per lease ever issued. A reserved id revoked later all the same (Recover)
// is unknown, and revoked as a Vault lease, which Vault accepts.
func (b *Backend) granted(reserved, id string) {
	if id == reserved {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if o, ok := b.owned[reserved]; ok && o.kind == ownedNone {
		delete(b.owned, reserved)
	}
}

// login exchanges the job's token for a Vault token on a clone of the
// broker's client.
func (b *Backend) login(ctx context.Context, jwt secrets.Value) (*api.Client, error) {
	if jwt.IsZero() {
		return nil, ErrNoToken
	}
	// With its headers: the namespace is one (X-Vault-Namespace), and
	// Clone drops them unless the client was configured with
	// CloneHeaders. Without it the job logged in and read in the root
	// namespace (or VAULT_NAMESPACE's), another tenant's mounts, while the
	// broker renewed and revoked its lease in the configured one, where
	// that lease id is unknown and revoking it "succeeds".
	c, err := b.client.CloneWithHeaders()
	if err != nil {
		return nil, fmt.Errorf("%w: vault: %w", secrets.ErrBackend, err)
	}
	c.ClearToken()
	s, err := c.Logical().WriteWithContext(ctx, "auth/"+b.auth.Mount+"/login", map[string]any{
		"role": b.auth.Role,
		"jwt":  jwt.Reveal(),
	})
	if err != nil {
		var re *api.ResponseError
		if errors.As(err, &re) && (re.StatusCode == http.StatusBadRequest || re.StatusCode == http.StatusForbidden) {
			return nil, fmt.Errorf("%w (HTTP %d, role %q)", ErrLoginDenied, re.StatusCode, b.auth.Role)
		}
		return nil, classify("jwt login", err)
	}
	if s == nil || s.Auth == nil || s.Auth.ClientToken == "" {
		return nil, fmt.Errorf("%w: vault: jwt login returned no token", secrets.ErrBackend)
	}
	c.SetToken(s.Auth.ClientToken)
	return c, nil
}

// classify wraps a client error: context errors stay visible, everything
// else is a backend failure. Response bodies are not included.
func classify(op string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return fmt.Errorf("%w: vault: %s: %w", secrets.ErrBackend, op, err)
	}
	var re *api.ResponseError
	if errors.As(err, &re) {
		if re.StatusCode == http.StatusForbidden {
			return fmt.Errorf("%w: vault: %s: permission denied (HTTP 403)", secrets.ErrDenied, op)
		}
		return fmt.Errorf("%w: vault: %s: HTTP %d", secrets.ErrBackend, op, re.StatusCode)
	}
	return fmt.Errorf("%w: vault: %s: %w", secrets.ErrBackend, op, err)
}

func field(s *api.Secret, kv bool, name string) (secrets.Value, error) {
	data := s.Data
	if kv {
		inner, ok := data["data"].(map[string]any)
		if !ok {
			return secrets.Value{}, fmt.Errorf("%w: not a KV v2 response", secrets.ErrBackend)
		}
		data = inner
	}
	v, ok := data[name].(string)
	if !ok {
		return secrets.Value{}, fmt.Errorf("%w: %q", ErrField, name)
	}
	return secrets.NewValue(v), nil
}

// Revoke revokes a Vault lease (or an unused wrapping token) with the
// broker's token. What an id stands for is what this backend recorded when
// it handed the id out (a KV read needs no Vault call). An id it did not
// hand out — Recover after a crash — is revoked as a Vault lease (Vault
// answers success for an id it does not know) and, if it has the form of a
// wrapping token's id, its accessor is revoked too: nothing is skipped
// because of what an id looks like. When the broker's token cannot revoke
// a dynamic secret's lease, the job's login token it hangs on is revoked
// instead (Vault revokes its leases with it) and the error is returned.
func (b *Backend) Revoke(ctx context.Context, leaseID string) error {
	b.mu.Lock()
	o, known := b.owned[leaseID]
	b.mu.Unlock()
	var err error
	switch {
	case known && o.kind == ownedNone:
	case known && o.kind == ownedWrap:
		err = b.revokeAccessor(ctx, o.accessor)
	case known:
		if err = b.revokeLease(ctx, leaseID); err != nil {
			// The broker's token could not revoke the lease (expired,
			// revoked, without sys/leases/revoke, or Vault failed): the
			// job's login token can, by revoking itself, which revokes
			// the leases it created with it. The error still stands, so
			// that the broker retries, and reports, with its own token.
			if login := b.takeLogin(leaseID); !login.IsZero() {
				b.revokeLogin(ctx, login)
			}
		}
	default:
		err = b.revokeLease(ctx, leaseID)
		if acc, ok := strings.CutPrefix(leaseID, wrapPrefix); ok && err == nil {
			err = b.revokeAccessor(ctx, acc)
		}
	}
	if err != nil {
		return err
	}
	b.mu.Lock()
	o, known = b.owned[leaseID]
	delete(b.owned, leaseID)
	b.mu.Unlock()
	if known && !o.login.IsZero() {
		b.revokeLogin(ctx, o.login)
	}
	return nil
}

// takeLogin returns the login token recorded with leaseID and forgets it,
// so that it is revoked once.
func (b *Backend) takeLogin(leaseID string) secrets.Value {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, ok := b.owned[leaseID]
	if !ok {
		return secrets.Value{}
	}
	login := o.login
	o.login = secrets.Value{}
	b.owned[leaseID] = o
	return login
}

// revokeLogin revokes the job's login token a revoked Vault lease hung on
// (and, with it, anything else it created). A failure is logged, not
// returned: the lease is revoked, and the token, which only this backend
// held, still ends with the JWT role's token_ttl.
func (b *Backend) revokeLogin(ctx context.Context, login secrets.Value) {
	defer login.Wipe()
	c, err := b.client.CloneWithHeaders()
	if err != nil {
		b.log.WarnContext(ctx, "vault: the job's login token could not be revoked; it ends with the JWT role's token_ttl",
			"error", fmt.Errorf("%w: vault: %w", secrets.ErrBackend, err).Error())
		return
	}
	c.SetToken(login.Reveal())
	b.logout(ctx, c)
}

func (b *Backend) revokeLease(ctx context.Context, leaseID string) error {
	if err := b.client.Sys().RevokeWithContext(ctx, leaseID); err != nil {
		return classify("revoke lease", err)
	}
	return nil
}

func (b *Backend) revokeAccessor(ctx context.Context, accessor string) error {
	err := b.client.Auth().Token().RevokeAccessorWithContext(ctx, accessor)
	var re *api.ResponseError
	if errors.As(err, &re) && re.StatusCode == http.StatusBadRequest {
		return nil // unwrapped or expired already: nothing left to revoke
	}
	if err != nil {
		return classify("revoke wrapping token", err)
	}
	return nil
}

// Renew sets a Vault lease's TTL to ttl from now, in whole seconds rounded
// down, and returns the TTL Vault granted. A ttl under a second is refused
// without asking Vault, which reads an increment of 0 as "the lease's
// default TTL"; a TTL granted longer than asked, or of 0, is an error.
func (b *Backend) Renew(ctx context.Context, leaseID string, ttl time.Duration) (time.Duration, error) {
	inc := int(ttl / time.Second) // rounded down: never past what was asked
	if inc < 1 {
		return 0, &DurationError{Field: "increment", Seconds: inc}
	}
	s, err := b.client.Sys().RenewWithContext(ctx, leaseID, inc)
	if err != nil {
		return 0, classify("renew lease", err)
	}
	if s == nil {
		return 0, fmt.Errorf("%w: vault: empty renew response", secrets.ErrBackend)
	}
	// 0 is refused too: as a Grant's TTL, 0 reads "no expiry".
	got, err := leaseSeconds("lease_duration", s.LeaseDuration)
	switch {
	case err != nil:
		return 0, err
	case s.LeaseDuration > inc:
		return 0, &DurationError{Field: "lease_duration", Seconds: s.LeaseDuration, Asked: inc}
	}
	return got, nil
}

// Unwrap is the job's side of wrapped delivery: it unwraps the wrapping
// token (the lease's value) with client and returns the named field. A
// wrapping token works once; a second unwrap fails with [ErrUnwrap], which
// means someone else unwrapped it first.
//
// As in [New], a copy of client that never follows a redirect is used: the
// wrapping token (sent as the request's Vault token) does not leave client's
// address, and a redirect fails with an error matching both [ErrUnwrap] and
// [ErrRedirect]. The caller's client is left as it is.
//
// The broker's masker learnt only the wrapping token, never the secret
// (it never sees it): pass the job's log masker with [WithUnwrapMasker] so
// that the value is masked like every other lease's.
//
// Unwrap trusts that the token it is given is the broker's. Pass the
// lease's source with [WithUnwrapSource] to have it checked first: a token
// swapped on the way for one wrapping a value of someone else's choosing
// is then refused ([ErrWrongSource]) instead of unwrapped and used.
func Unwrap(ctx context.Context, client *api.Client, wrapping secrets.Value, name string, opts ...UnwrapOption) (secrets.Value, error) {
	if client == nil {
		return secrets.Value{}, fmt.Errorf("%w: nil client", ErrUnwrap)
	}
	var cfg unwrapConfig
	for _, o := range opts {
		if o == nil {
			return secrets.Value{}, fmt.Errorf("%w: nil UnwrapOption", ErrUnwrap)
		}
		if err := o(&cfg); err != nil {
			return secrets.Value{}, fmt.Errorf("%w: %w", ErrUnwrap, err)
		}
	}
	c, err := withoutRedirects(client)
	if err != nil {
		return secrets.Value{}, fmt.Errorf("%w: %w", ErrUnwrap, err)
	}
	c.ClearToken()
	kvHint := false
	if cfg.source != nil {
		if err := checkCreationPath(ctx, c, wrapping, *cfg.source); err != nil {
			return secrets.Value{}, err
		}
		kvHint = cfg.source.kind == kindKV
	}
	s, err := c.Logical().UnwrapWithContext(ctx, wrapping.Reveal())
	if err != nil || s == nil {
		if err == nil {
			err = errors.New("empty response")
		}
		var re *api.ResponseError
		if errors.As(err, &re) {
			err = fmt.Errorf("HTTP %d", re.StatusCode)
		}
		return secrets.Value{}, fmt.Errorf("%w: %w", ErrUnwrap, err)
	}
	_, kv := s.Data["data"].(map[string]any)
	if cfg.source != nil {
		kv = kvHint
	}
	v, err := field(s, kv, name)
	if err == nil && cfg.masker != nil {
		cfg.masker.AddMask(v.Reveal())
	}
	return v, err
}

// UnwrapOption configures [Unwrap].
type UnwrapOption func(*unwrapConfig) error

type unwrapConfig struct {
	masker identity.Masker
	source *Source
}

// ErrWrongSource: the wrapping token given to [Unwrap] was not created by
// a read of the source [WithUnwrapSource] names — someone on the way
// swapped it for one wrapping a value of their choosing. It is an
// [ErrUnwrap]; the token is left unused.
var ErrWrongSource = fmt.Errorf("%w: the wrapping token was not created by a read of the expected source", ErrUnwrap)

// WithUnwrapSource makes [Unwrap] check, before unwrapping, that the
// wrapping token was created by the read [Backend.Issue] makes for src (the
// source the broker was configured with for the lease's name), as Vault
// advises: it looks the token up (sys/wrapping/lookup, which needs no
// token and does not use it up) and refuses with [ErrWrongSource] a token
// whose creation path differs — one that wraps whatever its maker chose,
// through sys/wrapping/wrap or another path, and that a job would
// otherwise unwrap and use as its deploy token or signing key. Without
// it, Unwrap trusts that the token it is given is the broker's.
//
// The creation path must be the path read exactly. Vault reports it
// relative to the namespace the token was made in, so a source whose path
// starts with its namespace ("ns1/secret/...") never matches: give the
// namespace by header (api.Client.SetNamespace) instead.
func WithUnwrapSource(src Source) UnwrapOption {
	return func(c *unwrapConfig) error {
		if src.path == "" || (src.kind == kindKV && src.mount == "") {
			return errors.New("WithUnwrapSource: source has no path")
		}
		c.source = &src
		return nil
	}
}

// checkCreationPath looks the wrapping token up and refuses it unless it
// was created by a read of src.
func checkCreationPath(ctx context.Context, c *api.Client, wrapping secrets.Value, src Source) error {
	s, err := c.Logical().WriteWithContext(ctx, "sys/wrapping/lookup", map[string]any{"token": wrapping.Reveal()})
	if err != nil || s == nil {
		if err == nil {
			err = errors.New("empty lookup response")
		}
		var re *api.ResponseError
		if errors.As(err, &re) {
			err = fmt.Errorf("HTTP %d", re.StatusCode)
		}
		return fmt.Errorf("%w: lookup: %w", ErrUnwrap, err)
	}
	if cp, _ := s.Data["creation_path"].(string); cp != src.readPath() {
		// The path is not quoted: whoever made the token chose it.
		return fmt.Errorf("%w (created at a %d-byte path, want %s)", ErrWrongSource, len(cp), src.readPath())
	}
	return nil
}

// WithUnwrapMasker registers the unwrapped value with m (the job's log
// redactor, a *secrets.Redactor) before Unwrap returns it.
func WithUnwrapMasker(m identity.Masker) UnwrapOption {
	return func(c *unwrapConfig) error {
		if m == nil {
			return errors.New("nil masker")
		}
		c.masker = m
		return nil
	}
}

// overUnixSocket reports whether cfg reaches Vault through a unix socket
// (an address "unix:///path"). Vault's client then dials the socket and
// names the server "http://localhost" in every request URL; the token
// never leaves the host, whatever that name resolves to, so the address
// is not held to the rule for network addresses (origin.Secure, which
// accepts loopback IP literals only).
func overUnixSocket(cfg *api.Config) bool {
	return strings.HasPrefix(cfg.Address, "unix://")
}
