package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ztci/ztci/internal/origin"
)

// maxDocument bounds discovery and JWKS responses.
const maxDocument = 1 << 20

// keySource finds the verification key for a kid.
type keySource interface {
	key(ctx context.Context, kid string) (*verificationKey, error)
}

type staticKeys struct{ ks *KeySet }

func (s staticKeys) key(_ context.Context, kid string) (*verificationKey, error) {
	if k := s.ks.lookup(kid); k != nil {
		return k, nil
	}
	return nil, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
}

type cachedSet struct {
	ks      *KeySet
	fetched time.Time
}

// remoteKeys fetches the issuer's discovery document and JWKS, caches the
// keys for ttl, and refreshes early (at most once per minRefresh) when a
// token names a kid it does not know.
type remoteKeys struct {
	issuer     string
	client     *http.Client
	now        func() time.Time
	ttl        time.Duration
	minRefresh time.Duration

	cur atomic.Pointer[cachedSet]

	mu          sync.Mutex // serializes fetches
	lastAttempt time.Time
}

func (r *remoteKeys) key(ctx context.Context, kid string) (*verificationKey, error) {
	now := r.now()
	c := r.cur.Load()
	if c != nil && now.Sub(c.fetched) < r.ttl {
		if k := c.ks.lookup(kid); k != nil {
			return k, nil // cache hit: no allocation
		}
	}
	c, err := r.refresh(ctx, c)
	if err != nil {
		return nil, err
	}
	if k := c.ks.lookup(kid); k != nil {
		return k, nil
	}
	return nil, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
}

// refresh fetches the key set unless another caller just did, or the last
// attempt was less than minRefresh ago (then the cached set, if any, stands).
func (r *remoteKeys) refresh(ctx context.Context, seen *cachedSet) (*cachedSet, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.cur.Load(); c != seen && c != nil {
		return c, nil // another caller refreshed while we waited
	}
	now := r.now()
	stale := seen == nil || now.Sub(seen.fetched) >= r.ttl
	if !stale && now.Sub(r.lastAttempt) < r.minRefresh {
		return seen, nil // rate limit: unknown kids do not hammer the issuer
	}
	if seen == nil && !r.lastAttempt.IsZero() && now.Sub(r.lastAttempt) < r.minRefresh/10 {
		return nil, fmt.Errorf("%w: recent fetch failed, retry later", ErrKeySet)
	}
	r.lastAttempt = now
	ks, err := r.fetch(ctx)
	if err != nil {
		// Keep serving the last good set for one more TTL while the issuer is
		// unreachable; after that fail closed, so a key the issuer has
		// withdrawn is not trusted forever.
		if seen != nil && now.Sub(seen.fetched) < 2*r.ttl {
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
		return nil, false, fmt.Errorf("%w: discovery: %v", ErrKeySet, err)
	}
	if disc.Issuer != r.issuer {
		return nil, false, fmt.Errorf("%w: discovery names issuer %q, want %q", ErrKeySet, disc.Issuer, r.issuer)
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

// checkJWKSURI accepts an https JWKS URI, or an http one only on a
// loopback host when the issuer itself is plain http (a loopback test
// issuer).
func checkJWKSURI(issuer, jwksURI string) error {
	u, err := url.Parse(jwksURI)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%w: bad jwks_uri %q", ErrKeySet, jwksURI)
	}
	iu, _ := url.Parse(issuer)
	if u.Scheme == "https" || (u.Scheme == "http" && iu.Scheme == "http" && origin.Loopback(u)) {
		return nil
	}
	return fmt.Errorf("%w: jwks_uri %q must use https", ErrKeySet, jwksURI)
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
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, false, fmt.Errorf("%w: %v", ErrKeySet, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := r.client.Do(req)
	if errors.Is(err, ErrRedirect) {
		return nil, false, fmt.Errorf("GET %s: %w", u, err)
	}
	if err != nil {
		return nil, ctx.Err() == nil, fmt.Errorf("%w: GET %s: %v", ErrKeySet, u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument+1))
	switch {
	case err != nil:
		return nil, true, fmt.Errorf("%w: GET %s: %v", ErrKeySet, u, err)
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return nil, true, fmt.Errorf("%w: GET %s: %s", ErrKeySet, u, resp.Status)
	case resp.StatusCode != http.StatusOK:
		return nil, false, fmt.Errorf("%w: GET %s: %s", ErrKeySet, u, resp.Status)
	case len(body) > maxDocument:
		return nil, false, fmt.Errorf("%w: GET %s: larger than %d bytes", ErrKeySet, u, maxDocument)
	}
	return body, false, nil
}
