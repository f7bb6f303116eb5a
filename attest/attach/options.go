package attach

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ztci/ztci/internal/oci"
)

// MaxBundleSize bounds the bundle Bundle accepts, the same bound the
// verifier in verify/image reads.
const MaxBundleSize = oci.MaxBundleSize

// Option configures Bundle.
type Option func(*config) error

type config struct {
	oci.Config
	audit *auditConfig // WithAudit; nil: no events
}

func makeConfig(opts []Option) (*config, error) {
	c := &config{Config: oci.DefaultConfig()}
	for _, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("%w: nil Option", ErrConfig)
		}
		if err := opt(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// WithKeychain resolves registry credentials with kc (default
// authn.DefaultKeychain). go-containerregistry performs the auth handshake.
func WithKeychain(kc authn.Keychain) Option {
	return func(c *config) error { return c.SetKeychain(kc) }
}

// WithTransport sets the base HTTP transport (default remote.DefaultTransport).
// Auth, retries and redirects are layered on top of it, so a counting
// transport here sees every request that reaches the network.
func WithTransport(t http.RoundTripper) Option {
	return func(c *config) error { return c.SetTransport(t) }
}

// WithTokenRealm trusts the token service at origin ("https://host[:port]")
// with the keychain's credentials, for a registry whose WWW-Authenticate
// realm is on another origin. Without it the credentials go only to the
// registry's own origin (and to Docker Hub's and GitLab's token services
// for their registries): the realm is the registry's answer, so a realm
// elsewhere fails the handshake instead of receiving them.
func WithTokenRealm(origin string) Option {
	return func(c *config) error { return c.AddTokenRealm(origin) }
}

// WithInternalRedirects allows destinations the registry chose (the blob
// storage a manifest or blob read is redirected to, a token realm that is
// not configured) to be on addresses that are not public. Without it such
// a request is refused with ErrInternalAddress before anything is sent,
// when its host is, resolves to, or connects to a loopback, private
// (RFC 1918, unique local), link-local (the cloud metadata service
// 169.254.169.254), CGNAT or other special-purpose address, or one of
// this host's own interface addresses (public or not: the services of the
// host itself): a hostile registry cannot make this process issue requests
// to internal services.
// Each target is an IP prefix ("10.20.0.0/16"), an IP address, or a host
// name matched exactly ("minio.storage.internal"), whose every address is
// then allowed. The configured registry itself is never checked, so a
// registry on 127.0.0.1 or a private address works without this option.
// Names are checked at the dial when the transport is an *http.Transport
// (the default); with any other WithTransport, and through an HTTP proxy,
// only IP literals are.
func WithInternalRedirects(targets ...string) Option {
	return func(c *config) error { return c.AddInternalRedirects(targets...) }
}

// WithRemoteOptions passes options to go-containerregistry's blob uploads
// (e.g. remote.WithUserAgent or remote.WithJobs). They are applied after the
// transport that already authenticated with the keychain; remote.WithTransport
// or remote.WithAuth here replace it.
func WithRemoteOptions(opts ...remote.Option) Option {
	return func(c *config) error { return c.AddRemoteOptions(opts...) }
}

// WithRetryBackoff bounds the retries of 429 and 5xx answers to reads
// (default: 4 attempts, 100 ms growing ×3); writes are sent once. A schedule
// that may wait more than 2 minutes in total is rejected.
func WithRetryBackoff(b remote.Backoff) Option {
	return func(c *config) error { return c.SetBackoff(b) }
}

// WithTimeout bounds each HTTP request, reading its body included
// (default 30 s); the caller's context bounds the whole call.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error { return c.SetTimeout(d) }
}

// WithLogger sets the logger for diagnostics (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error { return c.SetLogger(l) }
}

// WithClock sets the clock of the artifact's creation annotation
// (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *config) error { return c.SetClock(now) }
}
