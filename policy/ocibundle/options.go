package ocibundle

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ztci/ztci/internal/oci"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/verify"
)

// Option configures [New]. A nil Option, or one given an unusable value,
// makes New fail with [ErrConfig].
type Option func(*config) error

type config struct {
	oci.Config
	verifyOpts []verify.Option
	maxBundle  int64
	floorStore FloorStore // nil: the floor lives as long as the Source
	scope      []string   // repository names a statement must name; nil: the reference's
	unscoped   bool       // WithUnscopedSignatures
	bindTag    bool       // WithTagBinding
	tag        string     // the reference's tag, with WithTagBinding
	maxAge     time.Duration
	now        func() time.Time
}

func makeConfig(opts []Option) (*config, error) {
	c := &config{Config: oci.DefaultConfig(), maxBundle: policy.MaxBundleBytes, now: time.Now}
	for i, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: Option %d is nil", ErrConfig, i)
		}
		if err := o(c); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	if c.unscoped && c.scope != nil {
		return nil, fmt.Errorf("%w: WithRepositoryScope and WithUnscopedSignatures contradict each other", ErrConfig)
	}
	return c, nil
}

// WithKeychain resolves registry credentials with kc (default
// authn.DefaultKeychain); go-containerregistry does the auth handshake.
func WithKeychain(kc authn.Keychain) Option {
	return func(c *config) error { return c.SetKeychain(kc) }
}

// WithTransport sets the base HTTP transport (default
// remote.DefaultTransport); auth, retries and redirects are layered on it.
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
// 169.254.169.254), CGNAT or other special-purpose address: a hostile
// registry cannot make this process issue requests to internal services.
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

// WithRetryBackoff bounds the retries of 429 and 5xx answers (default 4
// attempts, 100 ms growing ×3); a schedule that may wait more than 2
// minutes in total is refused.
func WithRetryBackoff(b remote.Backoff) Option {
	return func(c *config) error { return c.SetBackoff(b) }
}

// WithTimeout bounds each HTTP request, its body included (default 30 s).
func WithTimeout(d time.Duration) Option {
	return func(c *config) error { return c.SetTimeout(d) }
}

// WithLogger receives a line for each bundle verified and each refused
// (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error { return c.SetLogger(l) }
}

// WithVerifyOptions passes opts to verify.New, e.g.
// verify.WithTlogThreshold(0) and verify.WithSCTThreshold(0) for a private
// Sigstore without a transparency log. The expected signer stays required
// whatever they say.
func WithVerifyOptions(opts ...verify.Option) Option {
	return func(c *config) error {
		for i, o := range opts {
			if o == nil {
				return fmt.Errorf("verify option %d is nil", i)
			}
		}
		c.verifyOpts = append(c.verifyOpts, opts...)
		return nil
	}
}

// WithMaxBundleBytes lowers the limit on the bundle layer's compressed size
// from [policy.MaxBundleBytes] (which also bounds it uncompressed) to n.
// A layer declared larger is refused before it is fetched.
func WithMaxBundleBytes(n int64) Option {
	return func(c *config) error {
		if n <= 0 || n > policy.MaxBundleBytes {
			return fmt.Errorf("bundle limit %d is not in 1..%d", n, policy.MaxBundleBytes)
		}
		c.maxBundle = n
		return nil
	}
}

// WithFloorStore keeps the rollback floor in fs as well as in memory, so
// that it outlives the Source. Without it a Source refuses to roll back
// for as long as it lives, but a new one (a replica that restarted)
// accepts whatever signed bundle the reference names first, however old.
//
// With it, Load reads the floor from fs before it admits a bundle it has
// not returned before, and records the bundle's signing time in fs before
// returning it; if fs fails either way, the bundle is refused with
// [ErrFloorStore] (fail closed: a floor that cannot be read cannot be
// enforced, and one that cannot be recorded would be lost by a restart).
// fs may be shared by the replicas following the same reference, so that
// none activates a bundle older than one any of them activated, and by
// no other: the floor records its reference ([Floor.Ref]), and a Source
// refuses another reference's floor with [ErrFloorStore]; its
// RaiseFloor must then check and write in one atomic step, and a replica
// whose raise the store did not keep refuses its bundle ([ErrRollback]).
func WithFloorStore(fs FloorStore) Option {
	return func(c *config) error {
		if fs == nil {
			return errors.New("nil FloorStore")
		}
		c.floorStore = fs
		return nil
	}
}

// WithRepositoryScope names the repositories a bundle's signature may be
// meant for, replacing the default, the repository of the reference given
// to [New]: a Source reading a mirror names the repository the publisher
// signs for. Each name is a repository without tag or digest
// ("registry.example/policies"), compared as go-containerregistry
// normalises it ("docker.io/x" is "index.docker.io/library/x") with the
// name of the signed statement's subject (see [ErrScope]).
func WithRepositoryScope(repos ...string) Option {
	return func(c *config) error {
		if len(repos) == 0 {
			return errors.New("WithRepositoryScope names no repository")
		}
		for _, r := range repos {
			n, err := scopeName(r)
			if err != nil {
				return fmt.Errorf("repository scope %q: %w", r, err)
			}
			c.scope = append(c.scope, n)
		}
		return nil
	}
}

// WithUnscopedSignatures admits a signature that names no repository (a
// message signature over the manifest, expect.PredicateType empty) or
// another repository than this Source's. The signer identity and the
// predicate type are then all that tells this policy's bundles from the
// others the same publisher signs: anyone who can push here can copy a
// bundle signed for another repository (a permissive sandbox policy) and
// its signature, and it loads. Use it only with a signer identity (or
// key) that signs this policy and nothing else.
func WithUnscopedSignatures() Option {
	return func(c *config) error {
		c.unscoped = true
		return nil
	}
}

// RefNameAnnotation is the annotation of a signed statement's subject
// that names the tag the publisher signed a bundle for, with
// [WithTagBinding]: the OCI image-spec's annotation for the name of a
// reference ("prod").
const RefNameAnnotation = "org.opencontainers.image.ref.name"

// WithTagBinding makes a signature count only for the tag it names: the
// signed in-toto statement's subject (the manifest digest, named by a
// repository of the scope) must carry the annotation [RefNameAnnotation]
// whose value is the tag of the reference given to [New]
// ({"org.opencontainers.image.ref.name": "prod"}). Without it a signature
// names the repository only, so whoever can push to the repository can
// point the prod tag at a bundle the publisher signed for staging, and,
// staging being usually ahead of prod, it passes the rollback floor and
// loads for prod. With it, that bundle is refused ([ErrUnverified] holding
// [ErrTag]) and its signature is not counted as a signing time; promoting
// a bundle means signing it again for the new tag (a statement may name
// the digest once per tag, each subject with its annotation). The
// reference must be a tag, and the option contradicts
// [WithUnscopedSignatures]: New fails with [ErrConfig] otherwise.
// cosign attest writes no subject annotations, so the publisher must
// sign with a tool that does (attest.Sign, with the annotation on the
// subject).
func WithTagBinding() Option {
	return func(c *config) error {
		c.bindTag = true
		return nil
	}
}

// WithMaxAge refuses a bundle whose signature is older than d, measured
// from its proven signing time (the time [ErrRollback] orders bundles by)
// to the clock's now: Load fails with [ErrStale], which wraps
// [policy.ErrExpired], so an Engine stops deciding with the policy in
// force instead of keeping it (see policy.Engine.Reload). The publisher
// must sign the bundle in force again, by the same identity and for the
// same repository, more often than d (signing the same manifest again is
// enough: Load verifies it anew once the signature it holds is older than
// d). Without it (the default) a signed bundle never expires.
func WithMaxAge(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("max age %v is not positive", d)
		}
		c.maxAge = d
		return nil
	}
}

// WithClock sets the clock [WithMaxAge] measures against (default
// time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("nil clock")
		}
		c.now = now
		return nil
	}
}
