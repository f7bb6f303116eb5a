package httpauth

import (
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/spiffe/go-spiffe/v2/bundle/x509bundle"
	"github.com/spiffe/go-spiffe/v2/spiffetls/tlsconfig"
	"github.com/spiffe/go-spiffe/v2/svid/x509svid"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/svid"
	"github.com/ztci/ztci/internal/clip"
	originpkg "github.com/ztci/ztci/internal/origin"
)

// Errors.
var (
	// ErrConfig: invalid constructor argument or option.
	ErrConfig = errors.New("httpauth: invalid configuration")
	// ErrUnauthenticated: the request carried no acceptable credential.
	ErrUnauthenticated = errors.New("httpauth: unauthenticated")
	// ErrPlaintext: a bearer token came on a request that reached the
	// server without TLS, and no [WithTLSTerminatingProxy] says a trusted
	// proxy in front terminated it. It wraps [ErrUnauthenticated].
	ErrPlaintext = fmt.Errorf("%w: bearer token over plain HTTP", ErrUnauthenticated)
	// ErrOrigin: the token transport refused a request for another origin
	// than the token's (a redirect to another host, port or to plain HTTP,
	// or a misdirected request). Nothing was sent.
	ErrOrigin = errors.New("httpauth: request outside the token's origin")
)

// maxQuoted bounds the bytes of caller-chosen text (a certificate's
// names, a path, a Host) that an error or a log line repeats.
const maxQuoted = 256

// maxError bounds the text of an error from the chain check, the
// authorizer or the token verifier that Authenticate's error repeats.
const maxError = 1024

// Option configures an [Authenticator].
type Option func(*config) error

// WithMTLS authenticates callers by their client X.509-SVID, verified
// against bundle and accepted by authz (see identity/mtls). The chain is
// verified again here, its leaf must be for TLS client authentication
// (svid.CheckPeerKeyUsage), so the middleware is safe behind any TLS server
// configuration that requests client certificates, and authz receives the
// verified chains (SVID to bundle authority), never the certificates as the
// client presented them.
func WithMTLS(bundle x509bundle.Source, authz tlsconfig.Authorizer) Option {
	return func(c *config) error {
		if bundle == nil || authz == nil {
			return fmt.Errorf("%w: WithMTLS needs a bundle and an authorizer", ErrConfig)
		}
		c.bundle, c.authz = bundle, authz
		return nil
	}
}

// WithBearer authenticates callers by an "Authorization: Bearer" token
// verified by v (an *oidc.Verifier, or an *svid.JWTVerifier). v sees only
// an RFC 6750 b64token (letters, digits, "-._~+/", then any "="): a field
// with anything else after "Bearer " (a second space, a trailing space or
// tab, a comma-joined second credential) is refused before v runs.
//
// With a single-use verifier (oidc.WithSingleUse) the token is spent when
// Authenticate succeeds, before the handler runs: a handler that then
// refuses for a passing reason of its own (busy, rate limited) has cost
// the caller its token, and a retry with it is refused as a replay. Such
// a service verifies tokens itself, spending them only once its own
// refusals are past ([identity.DeferredTokenVerifier], as policy/gate
// does). WithBearer accepts a single-use verifier (one token, one
// request); a component that verifies one token on every request of a
// job refuses it ([identity.RequireReusable]), as policy/egress does.
func WithBearer(v identity.TokenVerifier) Option {
	return func(c *config) error {
		if v == nil {
			return fmt.Errorf("%w: nil token verifier", ErrConfig)
		}
		c.bearer = v
		return nil
	}
}

// WithTLSTerminatingProxy says that TLS is terminated by a trusted proxy
// or load balancer in front of this server, so that requests reach it over
// plain HTTP from there: a bearer token on such a request is then
// accepted. Without it one is refused ([ErrPlaintext]) before it is
// verified: the token crossed the network in clear, where anyone on the
// path could copy it and present it themselves, and a client configured
// for http:// would otherwise keep working, and leaking, unnoticed. Give it
// only when nothing but that proxy can reach the server.
func WithTLSTerminatingProxy() Option {
	return func(c *config) error {
		c.proxyTLS = true
		return nil
	}
}

// WithLogger sets the diagnostics logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrConfig)
		}
		c.logger = l
		return nil
	}
}

// Authenticator establishes the caller of an HTTP request by mTLS, by bearer
// token, or by either (a client certificate, when present, takes
// precedence, and a request that presents a bad certificate is refused even
// if it also has a good token).
type Authenticator struct {
	config // fixed at New
}

// config is what the options set.
type config struct {
	bundle   x509bundle.Source
	authz    tlsconfig.Authorizer
	bearer   identity.TokenVerifier
	proxyTLS bool // WithTLSTerminatingProxy
	logger   *slog.Logger
}

// New returns an Authenticator; at least one of [WithMTLS] and [WithBearer]
// is required.
func New(opts ...Option) (*Authenticator, error) {
	a := &Authenticator{config{logger: slog.New(slog.DiscardHandler)}}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil Option", ErrConfig)
		}
		if err := o(&a.config); err != nil {
			return nil, err
		}
	}
	if a.bundle == nil && a.bearer == nil {
		return nil, fmt.Errorf("%w: need WithMTLS or WithBearer", ErrConfig)
	}
	return a, nil
}

// Authenticate returns the caller of r. Any error means "unauthenticated".
func (a *Authenticator) Authenticate(r *http.Request) (identity.Identity, error) {
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		if a.bundle == nil {
			return identity.Identity{}, fmt.Errorf("%w: client certificates are not accepted here", ErrUnauthenticated)
		}
		// The authorizer gets the chains verified against the bundle, as
		// go-spiffe's tlsconfig gives it, never the presented list: a client
		// may append any certificate to that.
		id, chains, err := x509svid.Verify(r.TLS.PeerCertificates, a.bundle)
		if err != nil {
			// Its text may name the trust domain of a certificate the client
			// made itself, of any size.
			return identity.Identity{}, fmt.Errorf("%w: client SVID: %w", ErrUnauthenticated, clip.Error(err, maxError))
		}
		// go-spiffe parses IDs of any length and a trust domain's own ID; the
		// specification bounds IDs at 2048 bytes and has validators refuse a
		// leaf without a path (X509-SVID §5.2), and no conforming issuer
		// signs either.
		if err := svid.CheckPeerID(id); err != nil {
			return identity.Identity{}, fmt.Errorf("%w: client SVID: %w", ErrUnauthenticated, err)
		}
		// go-spiffe verifies for any key usage: a certificate a CA of the
		// bundle signed for code signing, or a server's, is no client SVID.
		if err := svid.CheckPeerKeyUsage(chains, x509.ExtKeyUsageClientAuth); err != nil {
			return identity.Identity{}, fmt.Errorf("%w: client SVID: %w", ErrUnauthenticated, err)
		}
		if err := a.authz(id, chains); err != nil {
			return identity.Identity{}, fmt.Errorf("%w: %w", ErrUnauthenticated, clip.Error(err, maxError))
		}
		return identity.Identity{SPIFFEID: id}, nil
	}
	// Authorization is a singleton field (RFC 9110 §5.3, §11.6.2): with two
	// of them, a proxy or gateway in front that reads the last one would
	// authorize another caller than the one this reads (the first), so a
	// request carrying both of two tokens would pass each layer as a
	// different identity. Neither is chosen.
	hs := authorization(r.Header)
	if len(hs) > 1 {
		return identity.Identity{}, fmt.Errorf("%w: %d Authorization header fields", ErrUnauthenticated, len(hs))
	}
	var h string
	if len(hs) == 1 {
		h = hs[0]
	}
	if a.bearer == nil || h == "" {
		return identity.Identity{}, fmt.Errorf("%w: no credential", ErrUnauthenticated)
	}
	if r.TLS == nil && !a.proxyTLS {
		return identity.Identity{}, ErrPlaintext
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || !b64token(tok) {
		return identity.Identity{}, fmt.Errorf("%w: Authorization is not a bearer token", ErrUnauthenticated)
	}
	id, err := a.bearer.Verify(r.Context(), tok)
	if err != nil {
		return identity.Identity{}, fmt.Errorf("%w: %w", ErrUnauthenticated, clip.Error(redact(err, tok), maxError))
	}
	return id, nil
}

// minSecretPart is the length from which a dot-separated part of a token
// (a JWT's payload or signature) is cut out of a verifier's error too.
const minSecretPart = 16

// redact returns err with its text cleared of tok, and of each
// dot-separated part of tok at least minSecretPart bytes long: a verifier
// (a vendor's) may quote what it was given, or the signature it could not
// check, and the middleware logs its error. err stays in the chain for
// errors.Is and errors.As.
func redact(err error, tok string) error {
	msg := err.Error()
	out := strings.ReplaceAll(msg, tok, "[token]")
	for part := range strings.SplitSeq(tok, ".") {
		if len(part) >= minSecretPart {
			out = strings.ReplaceAll(out, part, "[token]")
		}
	}
	if out == msg {
		return err
	}
	return redacted{msg: out, err: err}
}

// redacted is an error whose text had a token cut out of it.
type redacted struct {
	msg string
	err error
}

func (e redacted) Error() string { return e.msg }
func (e redacted) Unwrap() error { return e.err }

// authorization returns the values of every Authorization key of h, of
// any case: net/http's server writes the canonical key only, but a request
// built in-process (a bridge from gRPC metadata, a serverless adapter) may
// hold "authorization" as well, which Header.Values would not see.
func authorization(h http.Header) []string {
	var vs []string
	for k, v := range h {
		if strings.EqualFold(k, "Authorization") {
			vs = append(vs, v...)
		}
	}
	return vs
}

// b64token reports whether tok is an RFC 6750 (§2.1) b64token: 1*( ALPHA /
// DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=". Nothing else reaches
// the verifier: not a second space, a trailing space or tab (HTTP/2 does
// not trim field values), nor a comma-joined second credential, which a
// lenient verifier (one that trims, or splits a list) would accept while a
// proxy in front read the field otherwise.
func b64token(tok string) bool {
	body := strings.TrimRight(tok, "=")
	if body == "" {
		return false
	}
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-', c == '.', c == '_', c == '~', c == '+', c == '/':
		default:
			return false
		}
	}
	return true
}

// Middleware authenticates every request, puts the caller in its context
// (read it with identity.FromContext), and answers 401 without calling next
// when authentication fails. The error detail is logged, not sent. next
// receives the request without its Authorization header fields: the
// caller is in the context, and a handler that logs headers, or proxies
// the request on, would otherwise pass the bearer token on with it.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := a.Authenticate(r)
		if err != nil || id.IsZero() {
			a.logger.InfoContext(r.Context(), "request not authenticated", "path", clip.String(r.URL.Path, maxQuoted), "error", err)
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			http.Error(w, "unauthenticated", http.StatusUnauthorized)
			return
		}
		r = r.WithContext(identity.NewContext(r.Context(), id))
		r.Header = r.Header.Clone() // WithContext shares the caller's map
		for k := range r.Header {
			if strings.EqualFold(k, "Authorization") {
				delete(r.Header, k)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// RoundTripper returns a transport that adds "Authorization: Bearer
// <token>" from src to requests for origin, and refuses every other
// request before it is sent, with an error wrapping [ErrOrigin].
//
// origin is "https://host[:port]" (nothing after the authority); plain
// "http://" is accepted only for a loopback IP literal (127.0.0.0/8, ::1;
// not the name localhost, which a resolver may send elsewhere), whose
// traffic never leaves the machine. A request whose Host field or
// request target (URL.Opaque, or a URL.Path not beginning with "/", which
// net/http may send in absolute form) names another origin than its URL is
// refused as well: a front end that several hosts share (an ingress, a
// CDN) routes on it, and httputil.ReverseProxy passes its own caller's
// Host on. Because a request is compared by scheme, host and port, a
// redirect that an http.Client follows to another host, another port or
// to plain HTTP is refused instead of carrying the token there (Go's
// client strips Authorization on a cross-host redirect, but a transport
// that adds the token would put it back); a redirect within origin, such
// as a path canonicalization, is followed and carries the token again.
// The token is the request's only Authorization field, whatever the case
// of the caller's keys. The caller's request is cloned, never modified. base is http.DefaultTransport when nil; for mTLS, give an
// *http.Transport whose TLSClientConfig comes from mtls.ClientConfig.
func RoundTripper(origin string, src identity.TokenSource, base http.RoundTripper) (http.RoundTripper, error) {
	if src == nil {
		return nil, fmt.Errorf("%w: nil token source", ErrConfig)
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return nil, fmt.Errorf("%w: token origin %q is not scheme://host[:port]", ErrConfig, origin)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && originpkg.Loopback(u):
	default:
		return nil, fmt.Errorf("%w: token origin %q must use https (plain http only to a loopback host)", ErrConfig, origin)
	}
	if base == nil {
		base = http.DefaultTransport
	}
	return roundTripper{base: base, src: src, origin: originpkg.Of(u)}, nil
}

// OriginError reports a request that the token transport refused to send
// because its origin is not the token's. It holds origins only (scheme,
// host, port), never a path, query or token.
type OriginError struct {
	Want, Got string
}

func (e *OriginError) Error() string {
	return fmt.Sprintf("%v: token is for %s, request is for %s", ErrOrigin, e.Want, clip.Quote(e.Got, maxQuoted))
}

func (e *OriginError) Unwrap() error { return ErrOrigin }

type roundTripper struct {
	base   http.RoundTripper
	src    identity.TokenSource
	origin string
}

func (t roundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	if got := originpkg.OfRequest(r); got != t.origin || got == "" {
		if r != nil && r.Body != nil {
			r.Body.Close()
		}
		return nil, &OriginError{Want: t.origin, Got: clip.String(got, maxQuoted)}
	}
	tok, err := t.src.Token(r.Context())
	if err != nil {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, fmt.Errorf("httpauth: token: %w", err)
	}
	r2 := r.Clone(r.Context())
	// A key Header.Set does not replace ("authorization", as a bridge
	// from gRPC metadata writes it) would go out as a second field.
	for k := range r2.Header {
		if strings.EqualFold(k, "Authorization") {
			delete(r2.Header, k)
		}
	}
	r2.Header.Set("Authorization", "Bearer "+tok)
	return t.base.RoundTrip(r2)
}
