package registry

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Limits on what is read from a registry. A registry that sends more gets a
// *TooLargeError, never a truncated parse.
const (
	// MaxManifestSize bounds image manifests, indexes and artifact manifests
	// (the OCI distribution spec asks registries to accept at least 4 MiB).
	MaxManifestSize = 4 << 20
	// MaxBundleSize bounds one Sigstore bundle blob.
	MaxBundleSize = 8 << 20
	// MaxReferrers bounds candidate artifacts per image, over all pages.
	MaxReferrers = 256
	// maxReferrersPages bounds Link-header pagination of the referrers API.
	maxReferrersPages = 16
	// maxRedirects bounds redirects per request.
	maxRedirects = 5
)

// Option configures Attach and NewVerifier. Options that do not apply to a
// call are ignored by it.
type Option func(*options) error

type options struct {
	keychain   authn.Keychain
	transport  http.RoundTripper
	remoteOpts []remote.Option
	backoff    remote.Backoff
	timeout    time.Duration
	log        *slog.Logger

	// verifier
	threshold    int
	platform     *v1.Platform
	allPlatforms bool
	legacyTags   bool
	parallelism  int
	cacheSize    int
	cacheTTL     time.Duration
	now          func() time.Time

	// attach
	tagAttempts int
	settle      time.Duration
}

func makeOptions(opts []Option) (*options, error) {
	o := &options{
		keychain:  authn.DefaultKeychain,
		transport: remote.DefaultTransport,
		// Retries of 429 and 5xx: 4 attempts, waiting 100, 300, 900 ms.
		backoff:     remote.Backoff{Duration: 100 * time.Millisecond, Factor: 3, Jitter: 0.1, Steps: 4},
		timeout:     30 * time.Second,
		log:         slog.New(slog.DiscardHandler),
		threshold:   1,
		parallelism: 4,
		cacheSize:   1024,
		cacheTTL:    5 * time.Minute,
		now:         time.Now,
		tagAttempts: 16,
		settle:      50 * time.Millisecond,
	}
	for _, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("%w: nil Option", ErrConfig)
		}
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	if o.platform != nil && o.allPlatforms {
		return nil, fmt.Errorf("%w: WithPlatform and WithAllPlatforms conflict", ErrConfig)
	}
	return o, nil
}

// WithKeychain resolves registry credentials with kc (default
// authn.DefaultKeychain). go-containerregistry performs the auth handshake.
func WithKeychain(kc authn.Keychain) Option {
	return func(o *options) error {
		if kc == nil {
			return fmt.Errorf("%w: nil keychain", ErrConfig)
		}
		o.keychain = kc
		return nil
	}
}

// WithTransport sets the base HTTP transport (default remote.DefaultTransport).
// Auth, retries and redirects are layered on top of it, so a counting
// transport here sees every request that reaches the network.
func WithTransport(t http.RoundTripper) Option {
	return func(o *options) error {
		if t == nil {
			return fmt.Errorf("%w: nil transport", ErrConfig)
		}
		o.transport = t
		return nil
	}
}

// WithRemoteOptions passes options to the go-containerregistry calls this
// package makes (Attach's blob uploads, e.g. remote.WithUserAgent or
// remote.WithJobs). They are applied after the transport that already
// authenticated with the keychain; remote.WithTransport or remote.WithAuth
// here replace it.
func WithRemoteOptions(opts ...remote.Option) Option {
	return func(o *options) error {
		o.remoteOpts = append(o.remoteOpts, opts...)
		return nil
	}
}

// WithRetryBackoff bounds the retries of 429 and 5xx answers to idempotent
// requests (default: 4 attempts, 100 ms growing ×3).
func WithRetryBackoff(b remote.Backoff) Option {
	return func(o *options) error {
		if b.Steps < 1 || b.Steps > 10 || b.Duration < 0 || b.Factor < 0 || b.Factor > 10 || b.Jitter < 0 || b.Jitter > 1 {
			return fmt.Errorf("%w: retry backoff needs 1..10 steps, factor 0..10, jitter 0..1", ErrConfig)
		}
		total, d := time.Duration(0), float64(b.Duration)
		for range b.Steps - 1 {
			total += time.Duration(d * (1 + b.Jitter))
			d *= max(b.Factor, 1)
		}
		if total > 2*time.Minute {
			return fmt.Errorf("%w: retry backoff may wait %v in total, more than 2m", ErrConfig, total)
		}
		o.backoff = b
		return nil
	}
}

// WithTimeout bounds each HTTP request, reading its body included
// (default 30 s); the caller's context bounds the whole call.
func WithTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("%w: timeout must be positive", ErrConfig)
		}
		o.timeout = d
		return nil
	}
}

// WithLogger sets the logger for diagnostics (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrConfig)
		}
		o.log = l
		return nil
	}
}

// WithThreshold requires at least k distinct trusted signers per image
// (default 1).
func WithThreshold(k int) Option {
	return func(o *options) error {
		if k < 1 {
			return fmt.Errorf("%w: threshold must be at least 1, got %d", ErrConfig, k)
		}
		o.threshold = k
		return nil
	}
}

// WithPlatform verifies, for a multi-platform index, only the manifest for p,
// using attestations attached to that platform manifest. Without it (and
// without WithAllPlatforms) an index is verified as itself: attestations must
// be attached to the index digest.
func WithPlatform(p v1.Platform) Option {
	return func(o *options) error {
		if p.OS == "" || p.Architecture == "" {
			return fmt.Errorf("%w: platform needs os and architecture", ErrConfig)
		}
		o.platform = &p
		return nil
	}
}

// WithAllPlatforms verifies, for a multi-platform index, every platform
// manifest it lists; each must meet the threshold.
func WithAllPlatforms() Option {
	return func(o *options) error {
		o.allPlatforms = true
		return nil
	}
}

// WithLegacyTags also reads cosign's legacy "sha256-<hex>.sig" and
// "sha256-<hex>.att" tags (two more round trips per image).
func WithLegacyTags() Option {
	return func(o *options) error {
		o.legacyTags = true
		return nil
	}
}

// WithParallelism bounds how many images VerifyImages verifies at once (default 4).
func WithParallelism(n int) Option {
	return func(o *options) error {
		if n < 1 || n > 256 {
			return fmt.Errorf("%w: parallelism must be 1..256, got %d", ErrConfig, n)
		}
		o.parallelism = n
		return nil
	}
}

// WithCache bounds the verdict cache to size entries kept for ttl (default
// 1024 entries, 5 minutes); size 0 disables it. Fetched artifacts and bundles
// are content-addressed and kept in a cache of the same size.
func WithCache(size int, ttl time.Duration) Option {
	return func(o *options) error {
		if size < 0 || ttl < 0 {
			return fmt.Errorf("%w: cache size and TTL must not be negative", ErrConfig)
		}
		o.cacheSize, o.cacheTTL = size, ttl
		return nil
	}
}

// WithClock sets the clock used for cache expiry (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrConfig)
		}
		o.now = now
		return nil
	}
}
