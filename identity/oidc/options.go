package oidc

import (
	"crypto"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/claims"
)

// Option configures an [Issuer] or a [Verifier]. Each option says which of
// the two it applies to; passing it to the other constructor is an error
// (wrapping [ErrConfig]) rather than being silently ignored.
type Option func(*config) error

type target uint8

const (
	forIssuer target = 1 << iota
	forVerifier
)

type config struct {
	used target // which constructors the given options apply to (intersection)
	name string // name of the first option that does not apply, for errors

	logger *slog.Logger
	sink   audit.Sink
	now    func() time.Time

	// issuer
	alg       Algorithm
	ttl       time.Duration
	masker    identity.Masker
	signer    crypto.Signer // WithSigner
	signerKID string
	multiAud  bool          // WithMultipleAudiences (Issuer and Verifier)
	store     KeyStore      // WithKeyStore
	rotation  time.Duration // WithRotation

	// verifier
	client          *http.Client
	keySet          *KeySet
	algs            []Algorithm
	leeway          time.Duration
	maxSize         int
	refreshInterval time.Duration
	cacheTTL        time.Duration
	replay          ReplayCache
	bound           []boundRule
	normalize       claims.Normalizer
}

func (c *config) apply(t target, opts []Option) error {
	for _, o := range opts {
		if o == nil {
			return fmt.Errorf("%w: nil Option", ErrConfig)
		}
		c.used = forIssuer | forVerifier
		if err := o(c); err != nil {
			return err
		}
		if c.used&t == 0 {
			return fmt.Errorf("%w: option %s does not apply here", ErrConfig, c.name)
		}
	}
	return nil
}

func only(c *config, t target, name string) {
	c.used &= t
	c.name = name
}

// WithLogger sets the diagnostics logger (default: discard). Issuer and Verifier.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrConfig)
		}
		c.logger = l
		return nil
	}
}

// WithAudit sends audit events to sink: every minted token (jti, subject,
// audiences, never the token) from an Issuer, every rejected token from a
// Verifier. Audit failures fail the mint or the verification closed.
// Issuer and Verifier.
func WithAudit(sink audit.Sink) Option {
	return func(c *config) error {
		if sink == nil {
			return fmt.Errorf("%w: nil audit sink", ErrConfig)
		}
		c.sink = sink
		return nil
	}
}

// WithClock sets the time source (default time.Now). Issuer and Verifier.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrConfig)
		}
		c.now = now
		return nil
	}
}

// WithAlgorithm selects the issuer's signing algorithm (default ES256).
// Issuer only.
func WithAlgorithm(a Algorithm) Option {
	return func(c *config) error {
		only(c, forIssuer, "WithAlgorithm")
		if !a.valid() {
			return fmt.Errorf("%w: unsupported algorithm %q", ErrConfig, a)
		}
		c.alg = a
		return nil
	}
}

// WithTTL sets the lifetime of minted tokens (default 10m, at most 1h).
// Issuer only.
func WithTTL(d time.Duration) Option {
	return func(c *config) error {
		only(c, forIssuer, "WithTTL")
		if d <= 0 || d > time.Hour {
			return fmt.Errorf("%w: token TTL %v outside (0, 1h]", ErrConfig, d)
		}
		c.ttl = d
		return nil
	}
}

// WithMasker registers every minted token with m before Mint returns it.
// Issuer only.
func WithMasker(m identity.Masker) Option {
	return func(c *config) error {
		only(c, forIssuer, "WithMasker")
		if m == nil {
			return fmt.Errorf("%w: nil masker", ErrConfig)
		}
		c.masker = m
		return nil
	}
}

// WithHTTPClient sets the client used for discovery and JWKS (default: a
// client with a 10s timeout). The verifier uses a copy whose redirect policy
// also refuses redirects to another origin ([ErrRedirect]). Verifier only.
func WithHTTPClient(h *http.Client) Option {
	return func(c *config) error {
		only(c, forVerifier, "WithHTTPClient")
		if h == nil {
			return fmt.Errorf("%w: nil HTTP client", ErrConfig)
		}
		c.client = h
		return nil
	}
}

// WithKeySet pins the issuer's keys instead of fetching discovery and JWKS
// (offline verification). Verifier only.
func WithKeySet(ks *KeySet) Option {
	return func(c *config) error {
		only(c, forVerifier, "WithKeySet")
		if ks == nil || ks.Len() == 0 {
			return fmt.Errorf("%w: empty key set", ErrConfig)
		}
		c.keySet = ks
		return nil
	}
}

// WithAlgorithms narrows the algorithms the verifier accepts (default: all
// of [ES256], [ES384], [ES512], [EdDSA], [RS256], [RS384], [RS512], [PS256],
// [PS384], [PS512]). Each key is further limited to the algorithms its type
// and its "alg" member allow. Verifier only.
func WithAlgorithms(algs ...Algorithm) Option {
	return func(c *config) error {
		only(c, forVerifier, "WithAlgorithms")
		if len(algs) == 0 {
			return fmt.Errorf("%w: no algorithms", ErrConfig)
		}
		for _, a := range algs {
			if !a.valid() {
				return fmt.Errorf("%w: unsupported algorithm %q", ErrConfig, a)
			}
		}
		c.algs = append([]Algorithm(nil), algs...)
		return nil
	}
}

// WithLeeway sets the clock-skew allowance for exp, nbf and iat (default 30s,
// at most 5m). Verifier only.
func WithLeeway(d time.Duration) Option {
	return func(c *config) error {
		only(c, forVerifier, "WithLeeway")
		if d < 0 || d > 5*time.Minute {
			return fmt.Errorf("%w: leeway %v outside [0, 5m]", ErrConfig, d)
		}
		c.leeway = d
		return nil
	}
}

// WithMaxTokenSize sets the largest token accepted, in bytes (default 16 KiB).
// Verifier only.
func WithMaxTokenSize(n int) Option {
	return func(c *config) error {
		only(c, forVerifier, "WithMaxTokenSize")
		if n < 64 {
			return fmt.Errorf("%w: max token size %d too small", ErrConfig, n)
		}
		c.maxSize = n
		return nil
	}
}

// WithRefreshInterval sets the minimum time between two JWKS refreshes
// triggered by an unknown kid (default 30s), and WithCacheTTL how long a
// fetched JWKS is used before it is refreshed (default 10m). Verifier only.
func WithRefreshInterval(d time.Duration) Option {
	return func(c *config) error {
		only(c, forVerifier, "WithRefreshInterval")
		if d <= 0 {
			return fmt.Errorf("%w: refresh interval %v", ErrConfig, d)
		}
		c.refreshInterval = d
		return nil
	}
}

// WithCacheTTL sets how long a fetched JWKS is trusted before it is fetched
// again (default 10m). Verifier only.
func WithCacheTTL(d time.Duration) Option {
	return func(c *config) error {
		only(c, forVerifier, "WithCacheTTL")
		if d <= 0 {
			return fmt.Errorf("%w: cache TTL %v", ErrConfig, d)
		}
		c.cacheTTL = d
		return nil
	}
}

// WithSingleUse makes every token usable once: its jti is recorded in rc
// until the token expires, and a second presentation fails with
// [ErrReplayed]. Tokens without jti are refused. Verifier only.
func WithSingleUse(rc ReplayCache) Option {
	return func(c *config) error {
		only(c, forVerifier, "WithSingleUse")
		if rc == nil {
			return fmt.Errorf("%w: nil replay cache", ErrConfig)
		}
		c.replay = rc
		return nil
	}
}

// WithNormalizer sets how raw claims become [identity.Claims] (default:
// chosen by issuer, see package identity/claims). Verifier only.
func WithNormalizer(n claims.Normalizer) Option {
	return func(c *config) error {
		only(c, forVerifier, "WithNormalizer")
		if n == nil {
			return fmt.Errorf("%w: nil normalizer", ErrConfig)
		}
		c.normalize = n
		return nil
	}
}

// WithMultipleAudiences accepts tokens meant for several parties, at the
// cost of a replay: every audience of such a token holds a credential the
// others accept, so a compromised (or merely logging) Vault could use a
// job's token minted for Vault and the deploy gate at the gate.
//
// Issuer: Mint accepts more than one audience (without it, it refuses
// with [ErrConfig]); the token carries no azp.
//
// Verifier: accepts a token whose aud lists audiences besides its own,
// whatever its azp. Without it such a token is refused
// ([ErrAuthorizedParty]) unless its azp equals the verifier's audience
// (OIDC Core 3.1.3.7). Tokens with this verifier's audience alone are
// accepted either way, whatever their azp (Google's, for one, names the
// service account there, not the audience).
//
// Prefer one token per audience; use this only for an issuer that mints
// multi-audience tokens and a relying party that trusts every other
// audience not to replay them. Issuer and Verifier.
func WithMultipleAudiences() Option {
	return func(c *config) error {
		c.multiAud = true
		return nil
	}
}
