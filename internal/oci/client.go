package oci

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/origin"
)

// Client makes the registry requests of verify/image and attest/attach.
// Authentication (the /v2/ ping, token exchange and refresh) is
// go-containerregistry's transport; Client adds bounded reads, digest
// checks, bounded redirects and typed errors. Safe for concurrent use.
type Client struct {
	cfg  Config
	push bool // request push (and pull) scope for every request
	mu   sync.Mutex
	// one authenticated client per repository and access scope; the ping
	// and token exchange happen once per entry.
	hc map[string]*clientEntry
	// addrs and checked handle destinations the registry chose (see guard).
	addrs   *addrPolicy
	checked http.RoundTripper
}

type clientEntry struct {
	mu sync.Mutex
	hc *http.Client
}

// NewClient returns a client for cfg. With push, every request asks for
// push (and pull) scope, so a writer does one auth handshake per repository
// for everything it reads and writes.
func NewClient(cfg Config, push bool) *Client {
	addrs := newAddrPolicy(cfg)
	return &Client{cfg: cfg, push: push, hc: map[string]*clientEntry{}, addrs: addrs, checked: checkedTransport(cfg.Transport, addrs)}
}

// Log returns the client's diagnostics logger.
func (c *Client) Log() *slog.Logger { return c.cfg.Log }

// idempotentRetry retries GET and HEAD (ggcr's retry transport, bounded
// backoff) and sends anything else once: a PUT body cannot be replayed, and
// the tag-schema writer has its own conditional retry loop.
type idempotentRetry struct {
	retry, once http.RoundTripper
}

func (t idempotentRetry) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return t.retry.RoundTrip(r)
	}
	return t.once.RoundTrip(r)
}

func retryable(err error) bool {
	var te *transport.Error
	if errors.As(err, &te) {
		return te.Temporary()
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)
}

// HTTP returns the authenticated client for repo, doing the auth handshake
// on first use per repository and scope, within one Config.Timeout.
func (c *Client) HTTP(ctx context.Context, repo name.Repository, push bool) (*http.Client, error) {
	scope := repo.Scope(transport.PullScope)
	if push || c.push {
		scope = repo.Scope(transport.PushScope)
	}
	key := repo.Name() + " " + scope
	c.mu.Lock()
	e, ok := c.hc[key]
	if !ok {
		e = &clientEntry{}
		c.hc[key] = e
	}
	c.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.hc != nil {
		return e.hc, nil
	}
	auth, err := authn.Resolve(ctx, c.cfg.Keychain, repo)
	if err != nil {
		return nil, fmt.Errorf("%w: resolve credentials for %s: %w", ErrRegistry, repo.RegistryStr(), err)
	}
	guarded := guard{base: c.cfg.Transport, https: repo.Scheme() == "https", credentialed: auth != authn.Anonymous,
		registry: repo.Registry, realms: c.cfg.TokenRealms, addrs: c.addrs, checked: c.checked}
	base := idempotentRetry{
		retry: transport.NewRetry(guarded,
			transport.WithRetryBackoff(c.cfg.Backoff),
			transport.WithRetryPredicate(retryable),
			transport.WithRetryStatusCodes(http.StatusTooManyRequests, http.StatusInternalServerError,
				http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout)),
		once: guarded,
	}
	// The handshake (the /v2/ ping, the token exchange) is requests to the
	// registry like any other, so the per-request timeout bounds it:
	// go-containerregistry's clients for it set none, and its ping reads
	// the answer to the end, so a registry that trickled or never ended an
	// answer held this caller, and every other one waiting on e.mu for the
	// same repository, as long as ctx allowed (for ever without a
	// deadline). The transport keeps no context of the handshake.
	hctx, cancel := ctx, context.CancelFunc(func() {})
	if c.cfg.Timeout > 0 {
		hctx, cancel = context.WithTimeout(ctx, c.cfg.Timeout)
	}
	defer cancel()
	rt, err := transport.NewWithContext(hctx, repo.Registry, auth, base, []string{scope})
	if err != nil {
		return nil, WrapTransport("connect to "+repo.RegistryStr(), err)
	}
	e.hc = &http.Client{
		Transport:     rt,
		Timeout:       c.cfg.Timeout,
		CheckRedirect: checkRedirect,
	}
	return e.hc, nil
}

// checkRedirect bounds redirects and refuses a downgrade from https to plain
// http. Registries redirect blob reads to storage on other hosts (a CDN),
// which is why redirects are followed at all; credentials do not follow them
// (ggcr's transport adds them only for the registry's own host), and what is
// read is checked against its digest. A write (PUT, POST, PATCH) is never
// redirected: it would re-send the body somewhere the caller did not choose.
func checkRedirect(req *http.Request, via []*http.Request) error {
	switch first := via[0]; {
	case len(via) > maxRedirects:
		return fmt.Errorf("%w: more than %d", ErrTooManyRedirects, maxRedirects)
	case first.URL.Scheme == "https" && req.URL.Scheme != "https":
		return fmt.Errorf("%w: redirect from https to %s refused", ErrRegistry, req.URL.Scheme)
	case first.Method != http.MethodGet && first.Method != http.MethodHead:
		return fmt.Errorf("%w: redirect of a %s refused", ErrRegistry, first.Method)
	}
	return nil
}

// guard is the transport under go-containerregistry's auth transport, so
// it sees every request made with the registry's credentials: ours, and
// those of go-containerregistry's own clients (blob uploads, the token
// exchange), whose redirect policy we do not set and which follow a
// redirected write, re-send a token-exchange POST (with its refresh token)
// to where a 307 points, and follow redirects without a bound. Whatever
// client made the request, guard refuses any request a redirect of a write
// (anything but GET and HEAD) created, a chain of more than maxRedirects
// redirects, and, for a registry reached over https, any request over
// plain http. With credentials, it also refuses plain http to any host
// but a loopback one: go-containerregistry reaches a registry on a private
// (RFC 1918) address, or one named insecure, over http, and would send the
// credentials (or the token exchange's form) in clear, also through an
// HTTP_PROXY. With credentials, it also refuses a request that carries them
// (see carriesCredentials) to an origin other than the registry's, unless
// that origin is a token service fixed in code for the registry or
// configured (mayCarryCredentials): go-containerregistry sends the
// keychain's credentials to whatever realm the registry's WWW-Authenticate
// names, and that header is the server's to write. A request to any other
// origin (one the registry chose: a redirect's Location, a realm) goes out
// through checked, whose dials refuse addresses that are not public, or
// are this host's own, unless
// configured (addrs, Config.AddInternalRedirects), after an IP literal host
// is checked here; a redirect whose Location holds user information is
// refused. Nothing refused is sent.
type guard struct {
	base         http.RoundTripper
	https        bool
	credentialed bool
	registry     name.Registry
	realms       []string // origins configured as token services (Config.TokenRealms)
	// addrs and checked: see above. A guard without addrs (unit tests of
	// the other checks) sends everything through base.
	addrs   *addrPolicy
	checked http.RoundTripper
}

func (g guard) RoundTrip(r *http.Request) (*http.Response, error) {
	var err error
	// Walk back the redirects that led here: Go turns a POST answered 301,
	// 302 or 303 into a GET, so the method that counts is the first one's.
	first, hops := r, 0
	for first.Response != nil && first.Response.Request != nil && hops <= maxRedirects {
		first = first.Response.Request
		hops++
	}
	switch {
	case r.Response != nil && (!readOnly(r.Method) || !readOnly(first.Method)):
		err = fmt.Errorf("%w: redirect of a %s refused", ErrRegistry, first.Method)
	case hops > maxRedirects:
		err = fmt.Errorf("%w: more than %d", ErrTooManyRedirects, maxRedirects)
	case g.https && r.URL.Scheme != "https":
		err = fmt.Errorf("%w: plain %s request refused for a registry reached over https", ErrRegistry, r.URL.Scheme)
	case g.credentialed && r.URL.Scheme != "https" && !origin.Loopback(r.URL):
		err = fmt.Errorf("%w: credentials are not sent over plain %s to %s (only to a loopback registry); serve the registry over https", ErrRegistry, r.URL.Scheme, clip.String(r.URL.Host, maxQuote))
	case g.credentialed && carriesCredentials(r) && !g.mayCarryCredentials(r):
		err = &origin.Error{Want: g.registryOrigin(r.URL.Scheme), Got: origin.OfRequest(r), Redirect: r.Response != nil}
		err = fmt.Errorf("%w: %w (a token service on another origin must be configured: TokenRealms)", ErrRegistry, err)
	case r.Response != nil && r.URL.User != nil:
		err = fmt.Errorf("%w: redirect to a URL with user information refused", ErrRegistry)
	}
	dest := g.base
	if err == nil && g.addrs != nil && !g.mayCarryCredentials(r) {
		err, dest = g.addrs.checkURL(r.URL), g.checked
	}
	if err != nil {
		if r.Body != nil {
			_ = r.Body.Close()
		}
		return nil, err
	}
	return dest.RoundTrip(r)
}

func readOnly(method string) bool { return method == http.MethodGet || method == http.MethodHead }

// carriesCredentials reports whether r may hold the keychain's credentials:
// an Authorization header (go-containerregistry's Basic token exchange), or
// a form body (its OAuth token exchange, whose form holds the refresh token
// or password). A blob read or upload sent elsewhere carries neither.
func carriesCredentials(r *http.Request) bool {
	ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	return r.Header.Get("Authorization") != "" ||
		strings.EqualFold(strings.TrimSpace(ct), "application/x-www-form-urlencoded")
}

// knownTokenRealms are the token services of registries whose realm is on
// another origin, by registry host. They are fixed here, not read from the
// registry's answer.
var knownTokenRealms = map[string]string{
	name.DefaultRegistry:  "https://auth.docker.io",
	"registry.gitlab.com": "https://gitlab.com",
}

// mayCarryCredentials reports whether credentials may be sent with r, by
// the origin it names to the server (its URL, Host and request target
// agreeing): the registry's own origin (in the scheme of the request, whose downgrade the
// other checks refuse), or, over https, a token service in
// knownTokenRealms or configured.
func (g guard) mayCarryCredentials(r *http.Request) bool {
	// The origin the request names to the server, not only its URL's: a
	// Host or request target naming another host is what a shared front
	// end routes on (origin.OfRequest; "" when they disagree).
	got, u := origin.OfRequest(r), r.URL
	if got == "" {
		return false
	}
	if got == g.registryOrigin(u.Scheme) {
		return true
	}
	if u.Scheme != "https" {
		return false
	}
	for _, realm := range append([]string{knownTokenRealms[g.registry.RegistryStr()]}, g.realms...) {
		if ru, err := url.Parse(realm); err == nil && realm != "" && origin.Of(ru) == got {
			return true
		}
	}
	return false
}

// registryOrigin is the registry's origin for a request in scheme.
func (g guard) registryOrigin(scheme string) string {
	return origin.Of(&url.URL{Scheme: scheme, Host: g.registry.RegistryStr()})
}

// WrapTransport turns a ggcr transport or network error into ours.
func WrapTransport(op string, err error) error {
	// net/http quotes the URL of the request that failed, also when this
	// package's own checks refused it or the context ended: that URL may
	// be a redirect's, with a pre-signed query (see below) or text the
	// registry chose, so it is cleaned and clipped here too.
	var ue *url.Error
	if errors.As(err, &ue) && (errors.Is(ue.Err, ErrRegistry) || errors.Is(ue.Err, context.Canceled) || errors.Is(ue.Err, context.DeadlineExceeded)) {
		return clip.Error(fmt.Errorf("%s: %s %s: %w", op, ue.Op, quote(withoutURLSecrets(ue.URL)), ue.Err), maxErrText)
	}
	if errors.Is(err, ErrRegistry) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var te *transport.Error
	if errors.As(err, &te) {
		se := &StatusError{Op: op, URL: "", StatusCode: te.StatusCode}
		for _, d := range te.Errors {
			se.Codes = appendCode(se.Codes, string(d.Code))
		}
		return se
	}
	// go-containerregistry quotes a response body after a line break (a
	// token answer without a token: "no token in bearer response:\n<body>").
	// The body is the server's, may echo the credentials sent or carry a
	// refresh token, and is dropped with the error it came in: only the
	// first line is kept, and nothing is wrapped that would still hold it.
	if msg := err.Error(); strings.Contains(msg, "\n") {
		first, _, _ := strings.Cut(msg, "\n")
		return clip.Error(fmt.Errorf("%w: %s: %s (response withheld)", ErrRegistry, op, withoutURLSecrets(strings.TrimSuffix(first, ":"))), maxErrText)
	}
	// net/http quotes the URL of the request that failed, which after a
	// redirect is the storage's: registries send blob reads to pre-signed
	// URLs (S3's X-Amz-Credential and X-Amz-Signature, GCS's, a CDN
	// token) whose query is a credential for the content. The error reaches
	// logs and callers (a gate's answer), so the query is withheld.
	if errors.As(err, &ue) {
		return clip.Error(fmt.Errorf("%w: %s: %s %s: %w", ErrRegistry, op, ue.Op, quote(withoutURLSecrets(ue.URL)), ue.Err), maxErrText)
	}
	// go-containerregistry's own errors quote what the registry sent (a
	// WWW-Authenticate header's parameters, a realm, a Location).
	return clip.Error(fmt.Errorf("%w: %s: %w", ErrRegistry, op, err), maxErrText)
}

// withoutURLSecrets returns a URL without its user information, query and
// fragment ("?…" marks a query withheld), or "(URL withheld)" when it does
// not parse. A message that is not a URL is returned as it is when it
// holds no "?"; otherwise everything from the first "?" is withheld.
func withoutURLSecrets(s string) string {
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.Host != "" {
		q := u.RawQuery != "" || u.ForceQuery || u.Fragment != ""
		u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
		if q {
			return u.String() + "?…"
		}
		return u.String()
	}
	if before, _, found := strings.Cut(s, "?"); found {
		return before + "?… (withheld)"
	}
	return s
}

// URL returns the distribution API URL of kind ("manifests", "blobs",
// "referrers") and id in repo.
func (c *Client) URL(repo name.Repository, kind, id string) string {
	return fmt.Sprintf("%s://%s/v2/%s/%s/%s", repo.Scheme(), repo.RegistryStr(), repo.RepositoryStr(), kind, id)
}

// Do sends req and returns the response when its status is one of ok.
func (c *Client) Do(ctx context.Context, repo name.Repository, push bool, op, method, url string, body []byte, hdr http.Header, ok ...int) (*http.Response, error) {
	hc, err := c.HTTP(ctx, repo, push)
	if err != nil {
		return nil, err
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrRegistry, op, err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, WrapTransport(op, err)
	}
	for _, s := range ok {
		if resp.StatusCode == s {
			return resp, nil
		}
	}
	eb, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return nil, &StatusError{Op: op, URL: url, StatusCode: resp.StatusCode, Codes: errorCodes(eb)}
}

// readBounded reads at most limit bytes of resp's body and fails with
// *TooLargeError beyond that. The bytes are charged to the ReadBudget ctx
// carries, if any, as they arrive: a budget that refuses stops the read.
func readBounded(ctx context.Context, resp *http.Response, what string, limit int64) ([]byte, error) {
	defer resp.Body.Close()
	if resp.ContentLength > limit {
		return nil, &TooLargeError{What: what, Limit: limit, Got: resp.ContentLength}
	}
	var body io.Reader = io.LimitReader(resp.Body, limit+1)
	charged := &chargedReader{r: body, b: readBudgetOf(ctx)}
	if charged.b != nil {
		body = charged
	}
	b, err := readAll(body, min(limit, resp.ContentLength, maxSizeHint))
	if charged.err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrReadBudget, what, charged.err)
	}
	if err != nil {
		return nil, WrapTransport("read "+what, err)
	}
	if int64(len(b)) > limit {
		return nil, &TooLargeError{What: what, Limit: limit, Got: -1}
	}
	return b, nil
}

// maxSizeHint bounds what readAll allocates before the bytes arrive, so a
// Content-Length the server does not honour costs at most this much.
const maxSizeHint = 1 << 20

// readAll is io.ReadAll starting from room for hint bytes and one more
// (to see EOF without growing), so a body whose length the response
// declares is read into one allocation instead of about a dozen.
func readAll(r io.Reader, hint int64) ([]byte, error) {
	b := make([]byte, 0, max(hint, 0)+1)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // let append pick the next capacity
		}
	}
}

// SHA256 returns the sha256 digest of b.
func SHA256(b []byte) v1.Hash {
	s := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(s[:])}
}

// Fetched is a manifest or index as fetched, with its computed digest.
type Fetched struct {
	Body      []byte
	MediaType string
	Digest    v1.Hash
	ETag      string
}

var acceptManifests = strings.Join([]string{
	MediaTypeOCIManifest, MediaTypeOCIIndex, mtDockerManifest, mtDockerList,
}, ", ")

// GetManifest fetches a manifest by tag or digest. By digest, the body must
// hash to it; by tag, a Docker-Content-Digest header must match the body.
func (c *Client) GetManifest(ctx context.Context, repo name.Repository, id string, want *v1.Hash, accept, what string) (*Fetched, error) {
	url := c.URL(repo, "manifests", id)
	resp, err := c.Do(ctx, repo, false, "get "+what, http.MethodGet, url, nil, http.Header{"Accept": {accept}}, http.StatusOK)
	if err != nil {
		return nil, err
	}
	hdrDigest := resp.Header.Get("Docker-Content-Digest")
	ct := resp.Header.Get("Content-Type")
	etag := resp.Header.Get("ETag")
	b, err := readBounded(ctx, resp, what, MaxManifestSize)
	if err != nil {
		return nil, err
	}
	got := SHA256(b)
	if want != nil && got != *want {
		return nil, &DigestMismatchError{What: what, Want: *want, Got: got}
	}
	if hdrDigest != "" {
		h, err := v1.NewHash(hdrDigest)
		if err != nil || (h.Algorithm == "sha256" && h != got) {
			return nil, &DigestMismatchError{What: what + " (Docker-Content-Digest header)", Want: got, Got: h}
		}
	}
	mt, err := manifestMediaType(b, ct)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, what)
	}
	return &Fetched{Body: b, MediaType: mt, Digest: got, ETag: etag}, nil
}

// GetBlob fetches a blob by descriptor: exactly d.Size bytes hashing to d.Digest.
func (c *Client) GetBlob(ctx context.Context, repo name.Repository, d v1.Descriptor, limit int64, what string) ([]byte, error) {
	if d.Size < 0 || d.Size > limit {
		return nil, &TooLargeError{What: what, Limit: limit, Got: d.Size}
	}
	if d.Digest.Algorithm != "sha256" {
		return nil, fmt.Errorf("%w: %s digest algorithm %q is not sha256", ErrMalformed, what, d.Digest.Algorithm)
	}
	resp, err := c.Do(ctx, repo, false, "get "+what, http.MethodGet, c.URL(repo, "blobs", d.Digest.String()), nil, nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	b, err := readBounded(ctx, resp, what, d.Size)
	if err != nil {
		return nil, err
	}
	if got := SHA256(b); got != d.Digest || int64(len(b)) != d.Size {
		return nil, &DigestMismatchError{What: what, Want: d.Digest, Got: got}
	}
	return b, nil
}

// baseMediaType strips parameters and lower-cases a media type.
func baseMediaType(s string) string {
	mt, _, err := mime.ParseMediaType(s)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(s))
	}
	return mt
}
