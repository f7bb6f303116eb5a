package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/netaddr"
	"github.com/ztci/ztci/internal/origin"
)

// maxDocument bounds discovery and JWKS responses.
const maxDocument = 1 << 20

// maxQuotedURL bounds a URL, or an error that repeats one, from a
// discovery document or a fetch quoted in an error.
const maxQuotedURL = 512

// keySource finds the verification key for a kid.
type keySource interface {
	key(ctx context.Context, kid string) (*verificationKey, error)
}

type staticKeys struct{ ks *KeySet }

func (s staticKeys) key(_ context.Context, kid string) (*verificationKey, error) {
	if k := s.ks.lookup(kid); k != nil {
		return k, nil
	}
	return nil, fmt.Errorf("%w: kid %s", ErrUnknownKey, clip.Quote(kid, maxQuoted))
}

type cachedSet struct {
	ks      *KeySet
	fetched time.Time
}

// remoteKeys fetches the issuer's discovery document and JWKS, caches the
// keys for ttl, and refreshes early (at most once per minRefresh) when a
// token names a kid it does not know.
//
// One caller fetches at a time. A failed fetch is not retried before
// minRefresh has passed (minRefresh/10 when there is no usable set), however
// many tokens arrive, stale set or not: a failing or slow issuer must not
// turn every verification into a fetch. While a fetch is in flight, a
// caller whose kid is in the last good set (stale, within one extra TTL)
// uses it without waiting, and the others wait no longer than their context.
type remoteKeys struct {
	issuer     string
	client     *http.Client
	now        func() time.Time
	ttl        time.Duration
	minRefresh time.Duration

	cur atomic.Pointer[cachedSet]

	// requestTimeout bounds each request when client has no Timeout of
	// its own, so a stalled response cannot hold the fetch.
	requestTimeout time.Duration

	// fetching (capacity 1) is held by the one caller fetching; it guards
	// lastAttempt.
	fetching    chan struct{}
	lastAttempt time.Time
}

// defaultRequestTimeout bounds one discovery or JWKS request made with a
// client that has no Timeout.
const defaultRequestTimeout = 10 * time.Second

func newRemoteKeys(issuer string, client *http.Client, now func() time.Time, ttl, minRefresh time.Duration) *remoteKeys {
	return &remoteKeys{issuer: issuer, client: client, now: now, ttl: ttl, minRefresh: minRefresh,
		requestTimeout: defaultRequestTimeout, fetching: make(chan struct{}, 1)}
}

func (r *remoteKeys) key(ctx context.Context, kid string) (*verificationKey, error) {
	now := r.now()
	c := r.cur.Load()
	if c != nil && now.Sub(c.fetched) < r.ttl {
		if k := c.ks.lookup(kid); k != nil {
			return k, nil // cache hit: no allocation
		}
	}
	c, err := r.refresh(ctx, c, kid)
	if err != nil {
		return nil, err
	}
	if k := c.ks.lookup(kid); k != nil {
		return k, nil
	}
	return nil, fmt.Errorf("%w: kid %s", ErrUnknownKey, clip.Quote(kid, maxQuoted))
}

// usable reports whether c may still serve at now: for one more TTL after
// it went stale, so a key the issuer has withdrawn is not trusted forever.
func (r *remoteKeys) usable(c *cachedSet, now time.Time) bool {
	return c != nil && now.Sub(c.fetched) < 2*r.ttl
}

// refresh fetches the key set unless another caller just did, or the last
// attempt was less than minRefresh ago (then the cached set, if still
// usable, stands).
func (r *remoteKeys) refresh(ctx context.Context, seen *cachedSet, kid string) (*cachedSet, error) {
	select {
	case r.fetching <- struct{}{}:
	default:
		// Another caller is fetching. A kid the last good set holds needs
		// no wait; any other caller waits for the fetch, within its context.
		if r.usable(seen, r.now()) && seen.ks.lookup(kid) != nil {
			return seen, nil
		}
		select {
		case r.fetching <- struct{}{}:
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: waiting for a key fetch: %w", ErrKeySet, ctx.Err())
		}
	}
	defer func() { <-r.fetching }()
	if c := r.cur.Load(); c != seen && c != nil {
		return c, nil // another caller refreshed while we waited
	}
	now := r.now()
	usable := r.usable(seen, now)
	fresh := usable && now.Sub(seen.fetched) < r.ttl
	recent := !r.lastAttempt.IsZero() && now.Sub(r.lastAttempt) < r.minRefresh
	switch {
	case recent && fresh:
		return seen, nil // rate limit: unknown kids do not hammer the issuer
	case recent && usable && r.lastAttempt.After(seen.fetched):
		// Stale, and the attempt after it failed (a success would have
		// replaced it): not repeated before minRefresh, however many
		// tokens arrive.
		return seen, nil
	case !usable && !r.lastAttempt.IsZero() && now.Sub(r.lastAttempt) < r.minRefresh/10:
		return nil, fmt.Errorf("%w: recent fetch failed, retry later", ErrKeySet)
	}
	r.lastAttempt = now
	ks, err := r.fetch(ctx)
	if errors.Is(err, ErrPrivateKey) {
		// The issuer has published the power to sign: keys it served
		// before may be the ones exposed, so the last good set goes too.
		r.cur.Store(nil)
		return nil, err
	}
	if err != nil {
		// Keep serving the last good set for one more TTL while the issuer is
		// unreachable; after that fail closed, so a key the issuer has
		// withdrawn is not trusted forever.
		if usable {
			return seen, nil
		}
		return nil, err
	}
	c := &cachedSet{ks: ks, fetched: now}
	r.cur.Store(c)
	return c, nil
}

func (r *remoteKeys) fetch(ctx context.Context) (*KeySet, error) {
	var last error
	backoff := 100 * time.Millisecond
	for attempt := range 3 {
		if attempt > 0 {
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, fmt.Errorf("%w: %w", ErrKeySet, ctx.Err())
			case <-t.C:
			}
			backoff *= 2
		}
		ks, retry, err := r.fetchOnce(ctx)
		if err == nil {
			return ks, nil
		}
		last = err
		if !retry {
			break
		}
	}
	return nil, last
}

func (r *remoteKeys) fetchOnce(ctx context.Context) (*KeySet, bool, error) {
	var disc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	body, retry, err := r.get(ctx, strings.TrimSuffix(r.issuer, "/")+"/.well-known/openid-configuration")
	if err != nil {
		return nil, retry, err
	}
	if err := strict(body, "issuer", "jwks_uri"); err != nil {
		return nil, false, fmt.Errorf("%w: discovery: %w", ErrKeySet, err)
	}
	if err := json.Unmarshal(body, &disc); err != nil {
		return nil, false, fmt.Errorf("%w: discovery: %v", ErrKeySet, clip.Error(err, maxQuotedURL))
	}
	if disc.Issuer != r.issuer {
		return nil, false, fmt.Errorf("%w: discovery names issuer %s, want %q", ErrKeySet, clip.Quote(disc.Issuer, maxQuotedURL), r.issuer)
	}
	if err := checkJWKSURI(r.issuer, disc.JWKSURI); err != nil {
		return nil, false, err
	}
	body, retry, err = r.get(ctx, disc.JWKSURI)
	if err != nil {
		return nil, retry, err
	}
	ks, err := ParseKeySet(body)
	return ks, false, err
}

// checkJWKSURI accepts an https JWKS URI without userinfo, or an http one
// only on a loopback host when the issuer itself is plain http (a loopback
// test issuer).
func checkJWKSURI(issuer, jwksURI string) error {
	u, err := url.Parse(jwksURI)
	if err != nil {
		return fmt.Errorf("%w: jwks_uri does not parse", ErrKeySet)
	}
	if u.User != nil {
		// A credential: it would be sent to the key host and quoted by
		// every fetch error (checkIssuerURL refuses it in the issuer).
		u.User = nil
		return fmt.Errorf("%w: jwks_uri %s holds userinfo", ErrKeySet, clip.Quote(u.String(), maxQuotedURL))
	}
	if u.Host == "" {
		return fmt.Errorf("%w: bad jwks_uri %s", ErrKeySet, clip.Quote(jwksURI, maxQuotedURL))
	}
	iu, _ := url.Parse(issuer)
	if u.Scheme != "https" && (u.Scheme != "http" || iu.Scheme != "http" || !origin.Loopback(u)) {
		return fmt.Errorf("%w: jwks_uri %s must use https", ErrKeySet, clip.Quote(jwksURI, maxQuotedURL))
	}
	if !sameHost(iu.Hostname(), u.Hostname()) && internalHost(u.Hostname()) {
		return fmt.Errorf("%w: jwks_uri %s is an internal address on another host than the issuer's", ErrKeySet, clip.Quote(jwksURI, maxQuotedURL))
	}
	return nil
}

// maxRedirects bounds the redirects one discovery or JWKS fetch follows.
const maxRedirects = 3

// sameOriginClient returns a copy of c that follows at most maxRedirects
// redirects, each within the origin (scheme, host, port) of the URL first
// requested, and refuses the rest with [ErrRedirect]: keys come from where
// the issuer's https discovery document said, never from wherever a
// response points, and never over plain HTTP. A redirect c itself would
// refuse (its CheckRedirect) is still refused.
func sameOriginClient(c *http.Client) *http.Client {
	cp := *c
	next := c.CheckRedirect
	cp.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if !origin.Same(via[0].URL, req.URL) {
			return fmt.Errorf("%w: %s redirected to another origin, %s", ErrRedirect, origin.Of(via[0].URL), origin.Of(req.URL))
		}
		if len(via) > maxRedirects {
			return fmt.Errorf("%w: more than %d redirects", ErrRedirect, maxRedirects)
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	return &cp
}

func (r *remoteKeys) get(ctx context.Context, u string) ([]byte, bool, error) {
	rctx := ctx
	if r.client.Timeout == 0 {
		var cancel context.CancelFunc
		rctx, cancel = context.WithTimeout(ctx, r.requestTimeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, false, fmt.Errorf("%w: %v", ErrKeySet, clip.Error(err, maxQuotedURL))
	}
	req.Header.Set("Accept", "application/json")
	resp, err := r.client.Do(req)
	if errors.Is(err, ErrRedirect) {
		return nil, false, fmt.Errorf("GET %s: %w", clip.Quote(u, maxQuotedURL), clip.Error(err, maxQuotedURL))
	}
	if err != nil {
		return nil, ctx.Err() == nil, fmt.Errorf("%w: GET %s: %v", ErrKeySet, clip.Quote(u, maxQuotedURL), clip.Error(err, maxQuotedURL))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument+1))
	switch {
	case err != nil:
		return nil, true, fmt.Errorf("%w: GET %s: %v", ErrKeySet, clip.Quote(u, maxQuotedURL), clip.Error(err, maxQuotedURL))
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return nil, true, fmt.Errorf("%w: GET %s: %s", ErrKeySet, clip.Quote(u, maxQuotedURL), clip.Quote(resp.Status, maxQuoted))
	case resp.StatusCode != http.StatusOK:
		return nil, false, fmt.Errorf("%w: GET %s: %s", ErrKeySet, clip.Quote(u, maxQuotedURL), clip.Quote(resp.Status, maxQuoted))
	case len(body) > maxDocument:
		return nil, false, fmt.Errorf("%w: GET %s: larger than %d bytes", ErrKeySet, clip.Quote(u, maxQuotedURL), maxDocument)
	}
	return body, false, nil
}

// sameHost reports whether two URL host names (no port) name one host:
// equal but for case and a trailing dot.
func sameHost(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
}

// internalHost reports whether a URL host name (no port) names an address
// that is not public ([netaddr.Public]: loopback, private, link-local such
// as the cloud metadata service, and the other special-purpose ranges) or
// localhost. Only literals and localhost are judged: a DNS name is not
// resolved here.
func internalHost(h string) bool {
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && !netaddr.Public(a)
}
