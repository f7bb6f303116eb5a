package verify

import (
	"fmt"
	"log/slog"
)

// Option configures a Verifier.
type Option func(*config) error

type config struct {
	logger         *slog.Logger
	tlog           int
	observer       int
	signed         int
	sct            int
	cacheSize      int
	anySigner      bool
	anyPredicate   bool
	maxBundleBytes int
	audit          *auditConfig
}

func defaultConfig() config {
	return config{
		logger:         slog.New(slog.DiscardHandler),
		tlog:           1,
		observer:       1,
		sct:            1,
		maxBundleBytes: 32 << 20,
	}
}

// WithLogger sets the diagnostics logger (silent by default). It receives
// verification outcomes at debug level, never secrets.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrConfig)
		}
		c.logger = l
		return nil
	}
}

// WithTlogThreshold sets how many verified transparency-log entries a bundle
// needs (default 1). Zero accepts bundles with no log entry at all (then a
// signed timestamp must prove the time).
func WithTlogThreshold(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("%w: tlog threshold %d < 0", ErrConfig, n)
		}
		c.tlog = n
		return nil
	}
}

// WithTimestampThreshold sets how many verified observer timestamps (log
// integrated times and RFC 3161 timestamps together) prove when the bundle
// was signed (default 1, minimum 1).
func WithTimestampThreshold(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: timestamp threshold %d < 1", ErrConfig, n)
		}
		c.observer = n
		return nil
	}
}

// WithSignedTimestampThreshold additionally requires n verified RFC 3161
// timestamps from a trusted TSA (default 0), each from a different TSA:
// sigstore-go counts one per TSA URI, and over a Trust (NewTrust, or a
// trusted root given to New) a signing key the material lists under
// several URIs counts once. Other root.TrustedMaterial passed to New
// directly is counted by URI alone.
func WithSignedTimestampThreshold(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("%w: signed timestamp threshold %d < 0", ErrConfig, n)
		}
		c.signed = n
		return nil
	}
}

// WithSCTThreshold sets how many verified signed certificate timestamps a
// signing certificate needs (default 1). Zero disables the check, for
// private CAs without a CT log.
func WithSCTThreshold(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("%w: SCT threshold %d < 0", ErrConfig, n)
		}
		c.sct = n
		return nil
	}
}

// WithResultCache remembers up to n successful results, keyed by (artifact
// digest, bundle digest, expectation) and by whether the artifact was given
// whole (bytes or a stream) or as a digest: a result for a digest, whose
// other subject digests could not be checked, never answers for the bytes.
// Failures are never cached. n must be positive. The trust material must be
// static (a *root.TrustedRoot, or a *Trust from NewTrust): New refuses the
// option with any other, such as sigstore-go's root.LiveTrustedRoot, since a
// cached result would outlive a refresh that removes the CA, log or TSA it
// was verified under. With a refreshing root, rebuild Verifiers when it
// changes (verify/tuf's Live does). With WithAnySignerUnsafe, a Trust's
// public keys must be static too (built only from *root.TrustedRoot: see
// Trust), since a Trust cannot copy keys and the material's keys then
// decide a keyed bundle.
func WithResultCache(n int) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("%w: result cache size %d <= 0", ErrConfig, n)
		}
		c.cacheSize = n
		return nil
	}
}

// WithMaxBundleSize bounds the bundle size Verify accepts (default 32 MiB).
func WithMaxBundleSize(n int) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("%w: max bundle size %d <= 0", ErrConfig, n)
		}
		c.maxBundleBytes = n
		return nil
	}
}

// WithAnySignerUnsafe accepts a bundle whoever signed it, as long as its
// chain or key is trusted. Only for tools that display the signer for a
// human to judge; never for an automated gate.
func WithAnySignerUnsafe() Option {
	return func(c *config) error {
		c.anySigner = true
		return nil
	}
}

// WithAnyPredicateTypeUnsafe accepts any statement (or a message signature)
// when Expectation.PredicateType is empty.
func WithAnyPredicateTypeUnsafe() Option {
	return func(c *config) error {
		c.anyPredicate = true
		return nil
	}
}
