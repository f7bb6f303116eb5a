package oci

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ztci/ztci/internal/clip"
)

// Limits on what is read from a registry. A registry that sends more gets a
// *TooLargeError, never a truncated parse.
const (
	// MaxManifestSize bounds image manifests, indexes and artifact manifests
	// (the OCI distribution spec asks registries to accept at least 4 MiB).
	MaxManifestSize = 4 << 20
	// MaxBundleSize bounds one Sigstore bundle blob.
	MaxBundleSize = 8 << 20
	// MaxReferrers bounds candidate artifacts per image (entries that may
	// hold a Sigstore bundle), over all pages. Entries of other artifact
	// types (SBOMs, other tools' signatures) do not count against it: they
	// are dropped before the limit, so that unrelated referrers cannot fill
	// it and fail every verification of the image.
	MaxReferrers = 256
	// MaxReferrerEntries bounds the entries of a referrers listing of any
	// type, over all pages, and of a referrers tag index.
	MaxReferrerEntries = 4096
	// maxReferrersPages bounds Link-header pagination of the referrers API.
	maxReferrersPages = 16
	// maxRedirects bounds redirects per request.
	maxRedirects = 5
)

// Config is what every registry client needs, whichever public package
// (verify/image, attest/attach) configures it. The public packages embed it
// in their own option structs and set it through the Set methods, so both
// validate the same way.
type Config struct {
	Keychain      authn.Keychain
	Transport     http.RoundTripper
	RemoteOptions []remote.Option
	Backoff       remote.Backoff
	Timeout       time.Duration
	Log           *slog.Logger
	Now           func() time.Time
	// TokenRealms are origins ("https://host[:port]") trusted with the
	// keychain's credentials as a registry's token service, besides the
	// registry's own origin and the few fixed in code (Docker Hub's,
	// GitLab's). A realm the registry names elsewhere gets nothing.
	TokenRealms []string
	// InternalRedirectNets and InternalRedirectHosts lift the public-address
	// check for destinations the registry chose (redirects to blob storage):
	// an address in one of the prefixes, or any address of one of the host
	// names, may be reached. See AddInternalRedirects.
	InternalRedirectNets  []netip.Prefix
	InternalRedirectHosts []string

	// interfaceAddrs lists this host's own addresses, refused as
	// destinations the registry chose (nil: net.InterfaceAddrs; tests
	// replace it).
	interfaceAddrs func() ([]net.Addr, error)
}

// DefaultConfig returns the defaults: the default keychain and transport,
// 4 attempts for 429 and 5xx waiting 100, 300, 900 ms, 30 s per request,
// a silent logger and the system clock.
func DefaultConfig() Config {
	return Config{
		Keychain:  authn.DefaultKeychain,
		Transport: remote.DefaultTransport,
		Backoff:   remote.Backoff{Duration: 100 * time.Millisecond, Factor: 3, Jitter: 0.1, Steps: 4},
		Timeout:   30 * time.Second,
		Log:       slog.New(slog.DiscardHandler),
		Now:       time.Now,
	}
}

// SetKeychain sets the credential source; nil is rejected.
func (c *Config) SetKeychain(kc authn.Keychain) error {
	if kc == nil {
		return fmt.Errorf("%w: nil keychain", ErrConfig)
	}
	c.Keychain = kc
	return nil
}

// SetTransport sets the base HTTP transport; nil is rejected.
func (c *Config) SetTransport(t http.RoundTripper) error {
	if t == nil {
		return fmt.Errorf("%w: nil transport", ErrConfig)
	}
	c.Transport = t
	return nil
}

// AddRemoteOptions appends options for go-containerregistry's remote calls.
func (c *Config) AddRemoteOptions(opts ...remote.Option) error {
	for i, o := range opts {
		if o == nil {
			return fmt.Errorf("%w: remote option %d is nil", ErrConfig, i)
		}
	}
	c.RemoteOptions = append(c.RemoteOptions, opts...)
	return nil
}

// SetBackoff sets the retry backoff of idempotent requests; it rejects a
// schedule that could wait more than 2 minutes in total.
func (c *Config) SetBackoff(b remote.Backoff) error {
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
	c.Backoff = b
	return nil
}

// SetTimeout sets the per-request timeout; it must be positive.
func (c *Config) SetTimeout(d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("%w: timeout must be positive", ErrConfig)
	}
	c.Timeout = d
	return nil
}

// SetLogger sets the diagnostics logger; nil is rejected.
func (c *Config) SetLogger(l *slog.Logger) error {
	if l == nil {
		return fmt.Errorf("%w: nil logger", ErrConfig)
	}
	c.Log = l
	return nil
}

// SetClock sets the clock; nil is rejected.
func (c *Config) SetClock(now func() time.Time) error {
	if now == nil {
		return fmt.Errorf("%w: nil clock", ErrConfig)
	}
	c.Now = now
	return nil
}

// AddTokenRealm trusts the token service at origin ("https://host[:port]",
// nothing else) with the keychain's credentials, for a registry whose
// WWW-Authenticate realm is on another origin.
func (c *Config) AddTokenRealm(o string) error {
	u, err := url.Parse(o)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return fmt.Errorf("%w: token realm: want https://host[:port], no user, path, query or fragment", ErrConfig)
	}
	c.TokenRealms = append(c.TokenRealms, o)
	return nil
}

// AddInternalRedirects lets destinations the registry chose (the storage a
// blob or manifest read is redirected to) be reached on addresses that are
// not public (loopback, RFC 1918, unique local, link-local, CGNAT and other
// special-purpose ranges) or on this host's own interface addresses
// (public or not: services of the host itself), which are refused
// otherwise. Each target is an IP prefix ("10.20.0.0/16", "fd00:1::/64"),
// an IP address, or a host name ("minio.storage.internal", matched
// exactly, case-insensitively), whose every address is then allowed: the
// vendor's DNS answers for it. A prefix
// of length 0 is rejected: it would turn the check off. The registry
// itself (its own origin) and configured token realms are never checked.
func (c *Config) AddInternalRedirects(targets ...string) error {
	for _, t := range targets {
		if p, err := netip.ParsePrefix(t); err == nil {
			if p.Bits() == 0 {
				return fmt.Errorf("%w: internal redirect target %q allows every address; name the storage's prefixes", ErrConfig, t)
			}
			c.InternalRedirectNets = append(c.InternalRedirectNets, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(t); err == nil {
			a = a.WithZone("").Unmap()
			c.InternalRedirectNets = append(c.InternalRedirectNets, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		h := strings.TrimSuffix(t, ".")
		if h == "" || len(h) > 253 || strings.ContainsAny(h, "/:@?#*[] \t\r\n") {
			return fmt.Errorf("%w: internal redirect target %s: want an IP prefix, an IP address or a host name", ErrConfig, clip.Quote(t, maxQuote))
		}
		c.InternalRedirectHosts = append(c.InternalRedirectHosts, h)
	}
	return nil
}
