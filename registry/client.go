package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"syscall"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// client makes the registry requests of this package. Authentication (the
// /v2/ ping, token exchange and refresh) is go-containerregistry's
// transport; client adds bounded reads, digest checks, bounded redirects and
// typed errors. Safe for concurrent use.
type client struct {
	o    *options
	push bool // request push (and pull) scope for every request
	mu   sync.Mutex
	// one authenticated client per repository and access scope; the ping
	// and token exchange happen once per entry.
	hc map[string]*clientEntry
}

type clientEntry struct {
	mu sync.Mutex
	hc *http.Client
}

func newClient(o *options) *client {
	return &client{o: o, hc: map[string]*clientEntry{}}
}

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

func (c *client) http(ctx context.Context, repo name.Repository, push bool) (*http.Client, error) {
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
	auth, err := authn.Resolve(ctx, c.o.keychain, repo)
	if err != nil {
		return nil, fmt.Errorf("%w: resolve credentials for %s: %w", ErrRegistry, repo.RegistryStr(), err)
	}
	base := idempotentRetry{
		retry: transport.NewRetry(c.o.transport,
			transport.WithRetryBackoff(c.o.backoff),
			transport.WithRetryPredicate(retryable),
			transport.WithRetryStatusCodes(http.StatusTooManyRequests, http.StatusInternalServerError,
				http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout)),
		once: c.o.transport,
	}
	rt, err := transport.NewWithContext(ctx, repo.Registry, auth, base, []string{scope})
	if err != nil {
		return nil, wrapTransport("connect to "+repo.RegistryStr(), err)
	}
	e.hc = &http.Client{
		Transport: rt,
		Timeout:   c.o.timeout,
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return fmt.Errorf("%w: more than %d", ErrTooManyRedirects, maxRedirects)
			}
			return nil
		},
	}
	return e.hc, nil
}

// wrapTransport turns a ggcr transport or network error into ours.
func wrapTransport(op string, err error) error {
	if errors.Is(err, ErrRegistry) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var te *transport.Error
	if errors.As(err, &te) {
		return &StatusError{Op: op, URL: "", StatusCode: te.StatusCode}
	}
	return fmt.Errorf("%w: %s: %w", ErrRegistry, op, err)
}

func (c *client) url(repo name.Repository, kind, id string) string {
	return fmt.Sprintf("%s://%s/v2/%s/%s/%s", repo.Scheme(), repo.RegistryStr(), repo.RepositoryStr(), kind, id)
}

// do sends req and returns the response when its status is one of ok.
func (c *client) do(ctx context.Context, repo name.Repository, push bool, op, method, url string, body []byte, hdr http.Header, ok ...int) (*http.Response, error) {
	hc, err := c.http(ctx, repo, push)
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
		return nil, wrapTransport(op, err)
	}
	for _, s := range ok {
		if resp.StatusCode == s {
			return resp, nil
		}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return nil, &StatusError{Op: op, URL: url, StatusCode: resp.StatusCode}
}

// readBounded reads at most limit bytes of resp's body and fails with
// *TooLargeError beyond that.
func readBounded(resp *http.Response, what string, limit int64) ([]byte, error) {
	defer resp.Body.Close()
	if resp.ContentLength > limit {
		return nil, &TooLargeError{What: what, Limit: limit, Got: resp.ContentLength}
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, wrapTransport("read "+what, err)
	}
	if int64(len(b)) > limit {
		return nil, &TooLargeError{What: what, Limit: limit, Got: -1}
	}
	return b, nil
}

func sha256Hash(b []byte) v1.Hash {
	s := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(s[:])}
}

// manifest is a manifest or index as fetched, with its computed digest.
type fetched struct {
	Body      []byte
	MediaType string
	Digest    v1.Hash
	ETag      string
}

var acceptManifests = strings.Join([]string{
	mtOCIManifest, mtOCIIndex, mtDockerManifest, mtDockerList,
}, ", ")

// getManifest fetches a manifest by tag or digest. By digest, the body must
// hash to it; by tag, a Docker-Content-Digest header must match the body.
func (c *client) getManifest(ctx context.Context, repo name.Repository, id string, want *v1.Hash, accept, what string) (*fetched, error) {
	url := c.url(repo, "manifests", id)
	resp, err := c.do(ctx, repo, false, "get "+what, http.MethodGet, url, nil, http.Header{"Accept": {accept}}, http.StatusOK)
	if err != nil {
		return nil, err
	}
	hdrDigest := resp.Header.Get("Docker-Content-Digest")
	ct := resp.Header.Get("Content-Type")
	etag := resp.Header.Get("ETag")
	b, err := readBounded(resp, what, MaxManifestSize)
	if err != nil {
		return nil, err
	}
	got := sha256Hash(b)
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
	return &fetched{Body: b, MediaType: mt, Digest: got, ETag: etag}, nil
}

// getBlob fetches a blob by descriptor: exactly d.Size bytes hashing to d.Digest.
func (c *client) getBlob(ctx context.Context, repo name.Repository, d v1.Descriptor, limit int64, what string) ([]byte, error) {
	if d.Size < 0 || d.Size > limit {
		return nil, &TooLargeError{What: what, Limit: limit, Got: d.Size}
	}
	if d.Digest.Algorithm != "sha256" {
		return nil, fmt.Errorf("%w: %s digest algorithm %q is not sha256", ErrMalformed, what, d.Digest.Algorithm)
	}
	resp, err := c.do(ctx, repo, false, "get "+what, http.MethodGet, c.url(repo, "blobs", d.Digest.String()), nil, nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	b, err := readBounded(resp, what, d.Size)
	if err != nil {
		return nil, err
	}
	if got := sha256Hash(b); got != d.Digest || int64(len(b)) != d.Size {
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
