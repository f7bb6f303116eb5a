package gate

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/verify/image"
)

// Limits bound what one request may cost. Zero fields keep their default.
type Limits struct {
	// MaxBody is the largest request body in bytes (default 1 MiB); a
	// larger body is refused with 413 before any work is done.
	MaxBody int64
	// BodyTimeout bounds how long the handler waits for the whole body
	// (default 2 s). The body is read before a decision slot is taken, so a
	// client that stalls mid-body holds no slot and times out here.
	BodyTimeout time.Duration
	// MaxInFlight is the number of decisions running at once (default 64);
	// more are refused at once with 503 and Retry-After.
	MaxInFlight int
	// MaxInFlightPerJob is the number of decisions one job identity may
	// have running at once (default 8); more are undecided at once
	// ([ErrJobBusy], HTTP 503 with Retry-After). Without it one job with a
	// valid token, asking about images on a registry that answers slowly,
	// would hold every decision slot for a decision timeout at a time and
	// starve every other job. Raise it for a job that deploys more images
	// at once.
	MaxInFlightPerJob int
	// MaxInFlightPerRepository and MaxInFlightPerOwner bound the
	// decisions in flight of all the jobs of one repository (default 16)
	// and of all the repositories of one owner (default 32), each at
	// least the bound below it (a MaxInFlightPerJob raised to 40 raises
	// their defaults to 40; set below it, New fails), keyed by the
	// token's issuer and the platform's immutable ids (names where it
	// gives none). A job's identity is its issuer and subject, and a
	// subject names what the pipeline author chooses (the branch, the
	// environment): without these, a repository pushing N branches held N
	// times MaxInFlightPerJob slots. An identity without repository
	// claims (a SPIFFE ID) counts against MaxInFlightPerJob only. Over
	// either, a decision is [ErrJobBusy] as above.
	MaxInFlightPerRepository int
	MaxInFlightPerOwner      int
	// Timeout bounds one decision: verification, policy and audit
	// (default 10 s). The policy's evaluation is bounded by the
	// engine's own limit as well (policy.WithEvalTimeout, default 5 s),
	// which a longer Timeout does not raise.
	Timeout time.Duration
	// MaxBundles is the most inline bundles one request may carry
	// (default 16).
	MaxBundles int
	// MaxFetchBytes bounds the bytes one image verification reads from
	// the registry: the manifest, referrers listings, attestation
	// manifests and bundles (default 64 MiB). The per-read limits alone
	// allowed 256 referrers of 8 MiB each, 2 GiB per decision, to anyone
	// who can push to the repository. Past it the request is undecided
	// ([ErrBudgetExceeded]); the trusted-summary lookup ([WithTrustedVSAs])
	// and the full verification each have their own.
	MaxFetchBytes int64
	// MaxVerifiedBundles bounds the bundles one image verification hands
	// to a verifier, fetched or from the content cache (default 64).
	// Bundles claiming a predicate type the gate has no verifier for are
	// rejected without cryptography and do not count. Past it the request
	// is undecided ([ErrBudgetExceeded]).
	MaxVerifiedBundles int
}

// Defaults for [Limits].
const (
	DefaultMaxBody     = 1 << 20
	DefaultBodyTimeout = 2 * time.Second
	DefaultMaxInFlight = 64
	// DefaultMaxInFlightPerJob is an eighth of DefaultMaxInFlight: eight
	// jobs at their bound are needed to fill the gate.
	DefaultMaxInFlightPerJob = DefaultMaxInFlight / 8
	// DefaultMaxInFlightPerRepository is two jobs at their bound, and
	// DefaultMaxInFlightPerOwner two repositories at theirs: half the
	// gate.
	DefaultMaxInFlightPerRepository = DefaultMaxInFlight / 4
	DefaultMaxInFlightPerOwner      = DefaultMaxInFlight / 2
	DefaultTimeout                  = 10 * time.Second
	DefaultMaxBundles               = 16
	// DefaultMaxFetchBytes holds eight platform manifests' provenance and
	// a 2 MB SBOM each several times over.
	DefaultMaxFetchBytes      = 64 << 20
	DefaultMaxVerifiedBundles = 64
)

// Option configures [New]. An option given a nil or invalid value makes New
// fail with an error wrapping [ErrConfig].
type Option func(*config) error

type config struct {
	log         *slog.Logger
	now         func() time.Time
	registries  []string
	imageOpts   []image.Option
	observer    Observer
	limits      Limits
	revocations Revocations
	inventory   inventory.Store
	vsaIssuer   *VSAIssuer          // WithVSA
	svrIssuer   *SVRIssuer          // WithSVR
	vsaTrust    map[string]VSATrust // WithTrustedVSAs, by verifier id
	thirdParty  *ThirdPartyVSAs     // WithThirdPartyVSAs
	imagesOnly  bool                // WithImagesOnly
}

func defaults() config {
	return config{
		log: slog.New(slog.DiscardHandler), now: time.Now, observer: ObserverFunc(func(Observation) {}),
		limits: Limits{MaxBody: DefaultMaxBody, BodyTimeout: DefaultBodyTimeout, MaxInFlight: DefaultMaxInFlight,
			MaxInFlightPerJob: DefaultMaxInFlightPerJob, Timeout: DefaultTimeout, MaxBundles: DefaultMaxBundles,
			MaxFetchBytes: DefaultMaxFetchBytes, MaxVerifiedBundles: DefaultMaxVerifiedBundles},
	}
}

// WithLogger sets the diagnostics logger (default: silent). Tokens are never
// logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrConfig)
		}
		c.log = l
		return nil
	}
}

// WithClock sets the clock used for audit timestamps and latency.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrConfig)
		}
		c.now = now
		return nil
	}
}

// WithRegistries restricts image references to these registry hosts
// ("host[:port]", as name.Registry.RegistryStr writes them). Without it any
// registry is read: set it for a gate that takes requests from a network,
// or a caller can make the gate fetch from any host it can reach. Hosts are
// compared case-insensitively, after go-containerregistry's defaults:
// "docker.io" names Docker Hub as "index.docker.io" does, the registry an
// image reference like "docker.io/library/nginx" resolves to. A host that
// is not a URI authority ("https://ghcr.io", "ghcr.io/org"), or not one an
// image reference may name (a Unicode name: give an IDNA name in its xn--
// form; a trailing dot), is refused with ErrConfig instead of silently
// matching nothing.
func WithRegistries(hosts ...string) Option {
	return func(c *config) error {
		if len(hosts) == 0 {
			return fmt.Errorf("%w: WithRegistries needs at least one host", ErrConfig)
		}
		for _, h := range hosts {
			r, err := name.NewRegistry(h, name.StrictValidation)
			if err != nil || h == "" || !runtimeHost(r.RegistryStr()) {
				return fmt.Errorf("%w: registry %q is not a host[:port]", ErrConfig, clip.String(h, 128))
			}
			c.registries = append(c.registries, strings.ToLower(r.RegistryStr()))
		}
		return nil
	}
}

// registryAllowed reports whether ref names a registry WithRegistries
// allows (any, without it).
func (c *config) registryAllowed(ref name.Reference) bool {
	return len(c.registries) == 0 || slices.Contains(c.registries, strings.ToLower(ref.Context().RegistryStr()))
}

// WithImageOptions passes options to the gate's image.Verifier (transport,
// keychain, verdict cache, threshold, platforms).
func WithImageOptions(opts ...image.Option) Option {
	return func(c *config) error {
		for _, o := range opts {
			if o == nil {
				return fmt.Errorf("%w: nil image option", ErrConfig)
			}
		}
		c.imageOpts = append(c.imageOpts, opts...)
		return nil
	}
}

// WithImagesOnly refuses requests carrying inline bundles (ErrBadRequest):
// the gate decides images by reference only. Set it on a gate that admits
// container images: inline bundles are decided for the digest they name,
// which the gate does not fetch, so it cannot tell an image index from a
// platform manifest, and a job could have an index decided on the index's
// own attestations instead of each platform manifest's
// (image.WithPlatform, image.WithAllPlatforms).
func WithImagesOnly() Option {
	return func(c *config) error {
		c.imagesOnly = true
		return nil
	}
}

// WithObserver reports every decision and every refused request to o, for
// metrics (the example gate feeds Prometheus from it). o is called
// synchronously on the request path and must be cheap and concurrency-safe.
func WithObserver(o Observer) Option {
	return func(c *config) error {
		if o == nil {
			return fmt.Errorf("%w: nil observer", ErrConfig)
		}
		c.observer = o
		return nil
	}
}

// WithLimits bounds request size, read time, concurrency, decision time
// and the work of one image verification.
func WithLimits(l Limits) Option {
	return func(c *config) error {
		if l.MaxBody < 0 || l.BodyTimeout < 0 || l.MaxInFlight < 0 || l.MaxInFlightPerJob < 0 || l.MaxInFlightPerRepository < 0 || l.MaxInFlightPerOwner < 0 || l.Timeout < 0 || l.MaxBundles < 0 ||
			l.MaxFetchBytes < 0 || l.MaxVerifiedBundles < 0 {
			return fmt.Errorf("%w: negative limit", ErrConfig)
		}
		if l.MaxBody > 0 {
			c.limits.MaxBody = l.MaxBody
		}
		if l.BodyTimeout > 0 {
			c.limits.BodyTimeout = l.BodyTimeout
		}
		if l.MaxInFlight > 0 {
			c.limits.MaxInFlight = l.MaxInFlight
		}
		if l.MaxInFlightPerJob > 0 {
			c.limits.MaxInFlightPerJob = l.MaxInFlightPerJob
		}
		if l.MaxInFlightPerRepository > 0 {
			c.limits.MaxInFlightPerRepository = l.MaxInFlightPerRepository
		}
		if l.MaxInFlightPerOwner > 0 {
			c.limits.MaxInFlightPerOwner = l.MaxInFlightPerOwner
		}
		if l.Timeout > 0 {
			c.limits.Timeout = l.Timeout
		}
		if l.MaxBundles > 0 {
			c.limits.MaxBundles = l.MaxBundles
		}
		if l.MaxFetchBytes > 0 {
			c.limits.MaxFetchBytes = l.MaxFetchBytes
		}
		if l.MaxVerifiedBundles > 0 {
			c.limits.MaxVerifiedBundles = l.MaxVerifiedBundles
		}
		return nil
	}
}
