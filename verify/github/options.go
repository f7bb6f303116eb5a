package github

import (
	"fmt"
	"log/slog"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/ztci/ztci/verify"
)

// Option configures a Verifier.
type Option func(*config) error

type config struct {
	logger       *slog.Logger
	publicGood   root.TrustedMaterial
	github       root.TrustedMaterial
	noPublicGood bool
}

// WithPublicGoodRoot replaces the embedded public-good trusted root
// (verify.PublicGood) by tm, for example a root verify/tuf keeps current.
func WithPublicGoodRoot(tm root.TrustedMaterial) Option {
	return func(c *config) error {
		if tm == nil {
			return fmt.Errorf("%w: github: nil public-good trust material", verify.ErrConfig)
		}
		c.publicGood = tm
		return nil
	}
}

// WithGitHubRoot replaces the embedded GitHub trusted root
// (GitHubTrustedRoot) by tm, for example the trusted_root.json target of
// tuf-repo.github.com kept current by verify/tuf.
func WithGitHubRoot(tm root.TrustedMaterial) Option {
	return func(c *config) error {
		if tm == nil {
			return fmt.Errorf("%w: github: nil GitHub trust material", verify.ErrConfig)
		}
		c.github = tm
		return nil
	}
}

// WithoutPublicGood refuses bundles from the public-good instance (gh's
// --no-public-good): only attestations made under GitHub's own Fulcio and
// TSA count.
func WithoutPublicGood() Option {
	return func(c *config) error {
		c.noPublicGood = true
		return nil
	}
}

// WithLogger sets the diagnostics logger (silent by default); it is handed
// to both underlying verify.Verifiers.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: github: nil logger", verify.ErrConfig)
		}
		c.logger = l
		return nil
	}
}
