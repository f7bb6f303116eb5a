package github

import (
	"fmt"
	"log/slog"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/verify"
)

// Option configures a Verifier.
type Option func(*config) error

type config struct {
	logger       *slog.Logger
	publicGood   root.TrustedMaterial
	github       root.TrustedMaterial
	noPublicGood bool
	audit        audit.Sink
	auditName    string
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

// WithAudit sends one event per Verify call to sink, as verify.WithAudit
// does (it is handed to both underlying verify.Verifiers, with verifier as
// the actor's name): the artifact digest, the outcome with the error's
// category, and for a success the signer and predicate type. A bundle
// refused before it reaches verify (too large, unreadable, its certificate
// issued by no trusted instance's CA) or by the Policy's checks after it
// (a case-insensitive field that does not match, a non-ASCII SAN or
// issuer) is audited as that one failure, never as a success; a refusal
// before the artifact is hashed names it "artifact:unreadable", as
// verify's own early refusals do. A Verify whose event the sink does not
// accept fails with verify.ErrAudit. VerifyAll writes one event per bundle.
func WithAudit(sink audit.Sink, verifier string) Option {
	return func(c *config) error {
		if sink == nil || verifier == "" {
			return fmt.Errorf("%w: github: WithAudit needs a sink and a verifier name", verify.ErrConfig)
		}
		c.audit, c.auditName = sink, verifier
		return nil
	}
}
