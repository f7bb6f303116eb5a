package image

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ztci/ztci/internal/oci"
)

// Limits on what is read from a registry. A registry that sends more gets a
// *TooLargeError, never a truncated parse.
const (
	// MaxManifestSize bounds image manifests, indexes and artifact manifests
	// (the OCI distribution spec asks registries to accept at least 4 MiB).
	MaxManifestSize = oci.MaxManifestSize
	// MaxBundleSize bounds one Sigstore bundle blob.
	MaxBundleSize = oci.MaxBundleSize
	// MaxReferrers bounds candidate artifacts per image (listed with a
	// Sigstore bundle's artifactType, or none), over all pages.
	MaxReferrers = oci.MaxReferrers
	// MaxReferrerEntries bounds the entries of a referrers listing of any
	// artifact type, over all pages.
	MaxReferrerEntries = oci.MaxReferrerEntries
)

// Option configures NewVerifier.
type Option func(*config) error

type config struct {
	oci.Config

	threshold       int
	platform        *v1.Platform
	allPlatforms    bool
	legacyTags      bool
	legacyDockerRef bool
	onlyTypes       []string
	parallelism     int
	cacheSize       int
	cacheTTL        time.Duration
	audit           *auditConfig
}

func makeConfig(opts []Option) (*config, error) {
	c := &config{
		Config:      oci.DefaultConfig(),
		threshold:   1,
		parallelism: 4,
		cacheSize:   1024,
		cacheTTL:    5 * time.Minute,
	}
	for _, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("%w: nil Option", ErrConfig)
		}
		if err := opt(c); err != nil {
			return nil, err
		}
	}
	if c.platform != nil && c.allPlatforms {
		return nil, fmt.Errorf("%w: WithPlatform and WithAllPlatforms conflict", ErrConfig)
	}
	if c.legacyDockerRef && !c.legacyTags {
		return nil, fmt.Errorf("%w: WithLegacyDockerReference checks the legacy tags WithLegacyTags reads; add it", ErrConfig)
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

// WithRetryBackoff bounds the retries of 429 and 5xx answers
// (default: 4 attempts, 100 ms growing ×3). A schedule that may wait more
// than 2 minutes in total is rejected.
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

// WithClock sets the clock used for cache expiry (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *config) error { return c.SetClock(now) }
}

// WithThreshold requires at least k distinct trusted signers per image
// (default 1): distinct BundleResult.Signer values. Through VerifyBundles
// that is a certificate identity, or a key by the fingerprint of the key
// that verified its bundle (pinned, or the trust material's answer to the
// bundle's hint: verify.SignerInfo.KeyFingerprint), each counted once
// however many of the verify.Verifiers accept its bundles and whatever
// hint names it. A certificate identity includes the ref in its SAN: see
// VerifyBundles for why each trusted signer wants its own exact SAN.
func WithThreshold(k int) Option {
	return func(c *config) error {
		if k < 1 {
			return fmt.Errorf("%w: threshold must be at least 1, got %d", ErrConfig, k)
		}
		c.threshold = k
		return nil
	}
}

// WithPlatform verifies, for a multi-platform index, only the manifest for p,
// using attestations attached to that platform manifest. An index that lists
// a manifest without a platform is refused with ErrPlatformAmbiguous: a
// runtime may pick that one for p by its config, and so is one that lists
// another index for p or without a platform (a runtime descends into it).
// An entry is for p when containerd would run it on a node of p: os and
// architecture compared in any case and with their aliases ("x86_64" is
// amd64, "aarch64" arm64), an entry without an os taken as p's, and each
// architecture's default variant ("arm64/v8" is "arm64"); a p without a
// variant takes every variant, so that two such entries are ambiguous.
// Without it (and without WithAllPlatforms) an index is verified as itself:
// attestations must be attached to the index digest.
//
// Only p's manifest is verified: a node of another platform pulling the
// same index runs a manifest nothing checked. A cluster or fleet with
// nodes of more than one platform needs WithAllPlatforms.
func WithPlatform(p v1.Platform) Option {
	return func(c *config) error {
		if p.OS == "" || p.Architecture == "" {
			return fmt.Errorf("%w: platform needs os and architecture", ErrConfig)
		}
		c.platform = &p
		return nil
	}
}

// WithAllPlatforms verifies, for a multi-platform index, every platform
// manifest it lists; each must meet the threshold. A manifest listed
// without a platform is verified too (a runtime picks it by its config's
// platform); BuildKit's attestation manifests ("unknown/unknown") are not
// platform manifests and are left out. An index that lists another index
// (but for "unknown/unknown") is refused with ErrPlatformAmbiguous: a
// runtime descends into it, and its manifests are not verified here.
func WithAllPlatforms() Option {
	return func(c *config) error {
		c.allPlatforms = true
		return nil
	}
}

// WithLegacyTags also reads cosign's legacy "sha256-<hex>.sig" and
// "sha256-<hex>.att" tags (two more round trips per image): each
// simple-signing or DSSE layer there is converted to a Sigstore bundle
// (ConvertLegacy) and verified like any other. Opt-in because their log
// evidence is an inclusion promise (SET), not an inclusion proof; see the
// package documentation.
func WithLegacyTags() Option {
	return func(c *config) error {
		c.legacyTags = true
		return nil
	}
}

// WithLegacyDockerReference also requires a cosign ".sig" layer's
// critical.identity.docker-reference to name the repository the image was
// asked for (VerifyImage's reference), both read as go-containerregistry
// normalises them ("alpine" and "docker.io/library/alpine" are
// "index.docker.io/library/alpine"; a tag in the docker-reference is not
// compared, a digest in it must be the one the payload signs). A layer
// whose reference is absent, unparsable, names another repository or pins
// another image is a *LegacyPayloadError and does not count. It needs
// WithLegacyTags.
//
// By default the docker-reference is not checked, as cosign does not
// check it: an image is signed by digest, and a signature made for
// registry.example/app still counts for the same digest copied to a
// mirror. With this option it does not: a signature counts only in the
// repository it was made for, as containers/image's matchRepository and
// some admission controllers expect. Bundles and ".att" layers carry no
// such reference and are not affected.
func WithLegacyDockerReference() Option {
	return func(c *config) error {
		c.legacyDockerRef = true
		return nil
	}
}

// WithPredicateTypes fetches only the listed artifacts whose descriptor
// carries the annotation dev.sigstore.bundle.predicateType (attest/attach,
// cosign v3 and GitHub write it) with one of types; the others are counted
// in Target.Ignored without a request. The annotation is unsigned: it only
// selects what to fetch, and a bundle fetched is verified as any other (a
// false annotation fails the bundle verifier's predicate type). A verifier
// that looks for one kind of attestation (policy/gate's VSA lookup) so
// skips the rest. Cosign legacy tags (WithLegacyTags) are not filtered.
func WithPredicateTypes(types ...string) Option {
	return func(c *config) error {
		if len(types) == 0 || slices.Contains(types, "") {
			return fmt.Errorf("%w: WithPredicateTypes needs non-empty predicate types", ErrConfig)
		}
		c.onlyTypes = append(c.onlyTypes, types...)
		return nil
	}
}

// WithParallelism bounds how many images VerifyImages verifies at once (default 4).
func WithParallelism(n int) Option {
	return func(c *config) error {
		if n < 1 || n > 256 {
			return fmt.Errorf("%w: parallelism must be 1..256, got %d", ErrConfig, n)
		}
		c.parallelism = n
		return nil
	}
}

// WithCache bounds the verdict cache to size entries kept for ttl (default
// 1024 entries, 5 minutes); size 0 disables it. Fetched artifacts and bundles
// are content-addressed and kept in a cache of the same size.
func WithCache(size int, ttl time.Duration) Option {
	return func(c *config) error {
		if size < 0 || ttl < 0 {
			return fmt.Errorf("%w: cache size and TTL must not be negative", ErrConfig)
		}
		c.cacheSize, c.cacheTTL = size, ttl
		return nil
	}
}
