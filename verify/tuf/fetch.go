package tuf

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/fetcher"

	"github.com/ztci/ztci/internal/clip"
)

// maxRedirects bounds a chain of same-origin redirects.
const maxRedirects = 5

// MaxDownloadSize bounds every file read from the repository, metadata and
// target alike, whatever length the signed metadata states for it. go-tuf
// reads a snapshot or targets role up to the length its timestamp or
// snapshot lists, and those are signed by the repository's online keys: a
// holder of one, serving the mirror too, could otherwise state terabytes
// and stream until the process runs out of memory. Public repositories'
// metadata is kilobytes; the trusted root target is bounded tighter still.
const MaxDownloadSize = 32 << 20

// userAgent names ztci to the repository; it carries no credential.
const userAgent = "ztci-verify-tuf"

// checkOrigin accepts https, and http only on a loopback address (a
// repository served on the same host, as in tests): a root fetched over
// plain HTTP from elsewhere would rest on the network alone.
func checkOrigin(u *url.URL) error {
	switch u.Scheme {
	case "https":
	case "http":
		ip := net.ParseIP(u.Hostname())
		if ip == nil || !ip.IsLoopback() {
			return fmt.Errorf("plain http is accepted only on a loopback address, not %q", u.Host)
		}
	default:
		return fmt.Errorf("scheme %q is neither https nor loopback http", u.Scheme)
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("repository URL must be scheme://host[/path] with no user, query or fragment")
	}
	return nil
}

func sameOrigin(a, b *url.URL) bool {
	return a.Scheme == b.Scheme && a.Host == b.Host
}

// newHTTPClient copies c and replaces its CheckRedirect: a redirect is
// followed only within origin (same scheme, host and port), so it can
// neither leave the repository nor downgrade https to http.
func newHTTPClient(c *http.Client, origin *url.URL) *http.Client {
	hc := *c
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if !sameOrigin(req.URL, origin) {
			return fmt.Errorf("redirect from %s to another origin %s refused", origin.Host, strconv.Quote(clip.String(req.URL.Redacted(), maxReason)))
		}
		if len(via) >= maxRedirects {
			return fmt.Errorf("more than %d redirects", maxRedirects)
		}
		return nil
	}
	return &hc
}

// ctxFetcher is go-tuf's Fetcher for one refresh: go-tuf's interface has no
// context, so each refresh builds its own fetcher around the caller's ctx
// and drops it when the refresh returns (the context is never kept beyond
// the call that received it).
type ctxFetcher struct {
	ctx    context.Context
	client *http.Client
	origin *url.URL
	// offline refuses every download: the cache-only load must not touch
	// the network even when go-tuf looks for a file it lacks.
	offline bool
}

var _ fetcher.Fetcher = (*ctxFetcher)(nil)

// DownloadFile implements fetcher.Fetcher: GET urlPath (which must be in
// the repository's origin) and read at most maxLength bytes, and never more
// than MaxDownloadSize. A status other than 200 is go-tuf's
// *metadata.ErrDownloadHTTP, whose 404 ends the search for newer root
// versions.
func (f *ctxFetcher) DownloadFile(urlPath string, maxLength int64, _ time.Duration) ([]byte, error) {
	if f.offline {
		return nil, fmt.Errorf("%w: %s is not in the cache and the network is not used here", ErrOffline, urlPath)
	}
	if err := f.ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	// maxLength may come from signed metadata (a snapshot's or a targets
	// role's length): bounded by this client's ceiling all the same.
	maxLength = min(maxLength, MaxDownloadSize)
	u, err := url.Parse(urlPath)
	if err != nil || !sameOrigin(u, f.origin) {
		return nil, fmt.Errorf("%w: %s is outside the repository", ErrFetch, urlPath)
	}
	req, err := http.NewRequestWithContext(f.ctx, http.MethodGet, urlPath, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	req.Header.Set("User-Agent", userAgent)
	res, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFetch, clip.Error(err, maxReason))
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		// Drain a little so the connection can be reused; bounded.
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4<<10))
		return nil, &metadata.ErrDownloadHTTP{StatusCode: res.StatusCode, URL: urlPath}
	}
	if cl := res.Header.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n > maxLength {
			return nil, fmt.Errorf("%w: %s is %d bytes, more than the %d allowed", ErrFetch, urlPath, n, maxLength)
		}
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, maxLength+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrFetch, urlPath, clip.Error(err, maxReason))
	}
	if int64(len(b)) > maxLength {
		return nil, fmt.Errorf("%w: %s is more than the %d bytes allowed", ErrFetch, urlPath, maxLength)
	}
	return b, nil
}
