package egress

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spiffe/go-spiffe/v2/svid/x509svid"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/svid"
	"github.com/ztci/ztci/internal/asciifold"
)

// errUnverified: the credential did not verify (the verifier's error is
// wrapped; it never holds the token).
var errUnverified = errors.New("egress: credential did not verify")

// authenticate returns the job behind r and when its credential expires:
// its client X.509-SVID when it presented one, else the token read from
// Proxy-Authorization (tok, or tokErr when there was none). An error
// wrapping [ErrBadCredentials] means no credential was offered;
// errUnverified that one was and failed, errExpired among them (a
// credential that has expired by the proxy's clock).
func (p *Proxy) authenticate(ctx context.Context, r *http.Request, tok string, tokErr error) (identity.Identity, time.Time, error) {
	job, exp, err := p.credential(ctx, r, tok, tokErr)
	if err != nil {
		return identity.Identity{}, time.Time{}, err
	}
	if !p.cfg.now().Before(exp) {
		return identity.Identity{}, time.Time{}, fmt.Errorf("%w: %w", errUnverified, errExpired)
	}
	return job, exp, nil
}

// credential verifies the SVID or the token of r (see authenticate) and
// returns the identity it proves and when it expires.
func (p *Proxy) credential(ctx context.Context, r *http.Request, tok string, tokErr error) (identity.Identity, time.Time, error) {
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		if p.cfg.svids == nil {
			return identity.Identity{}, time.Time{}, fmt.Errorf("%w: client certificates are not accepted here", errUnverified)
		}
		id, chains, err := x509svid.Verify(r.TLS.PeerCertificates, p.cfg.svids)
		if err == nil {
			// The chain check does not refuse a trust domain's own ID
			// or an over-long one; a matcher admitting the trust
			// domain's members would admit them (svid.CheckPeerID).
			err = svid.CheckPeerID(id)
		}
		if err == nil {
			// Nor does it read what the key is for: a certificate a CA
			// of the bundle signed for code signing is no client SVID.
			err = svid.CheckPeerKeyUsage(chains, x509.ExtKeyUsageClientAuth)
		}
		if err != nil {
			return identity.Identity{}, time.Time{}, fmt.Errorf("%w: client SVID: %w", errUnverified, err)
		}
		return identity.Identity{SPIFFEID: id}, chainsExpiry(chains), nil
	}
	if tokErr != nil {
		return identity.Identity{}, time.Time{}, tokErr
	}
	job, err := p.tokens.Verify(ctx, tok)
	if err != nil {
		return identity.Identity{}, time.Time{}, fmt.Errorf("%w: %w", errUnverified, err)
	}
	if job.IsZero() {
		return identity.Identity{}, time.Time{}, fmt.Errorf("%w: the verifier returned no identity", errUnverified)
	}
	// Only now is the payload the issuer's: read before verification, exp
	// would be the job's to choose.
	exp, err := tokenExpiry(tok)
	if err != nil {
		return identity.Identity{}, time.Time{}, fmt.Errorf("%w: %w", errUnverified, err)
	}
	return job, exp, nil
}

// proxyToken returns the job token from a request's Proxy-Authorization
// header: "Bearer <token>", or "Basic base64(user:token)" — the form curl,
// git and Go's http.Transport send for a proxy URL's userinfo, so a runner
// sets HTTPS_PROXY=http://job:<token>@proxy:port. The user name is ignored.
// A missing, repeated or malformed header wraps [ErrBadCredentials]; errors
// never contain the header's value.
func proxyToken(h http.Header) (string, error) {
	vs := h.Values("Proxy-Authorization")
	switch len(vs) {
	case 0:
		return "", fmt.Errorf("%w: no Proxy-Authorization header", ErrBadCredentials)
	case 1:
	default:
		return "", fmt.Errorf("%w: %d Proxy-Authorization headers", ErrBadCredentials, len(vs))
	}
	return parseProxyAuthorization(vs[0])
}

func parseProxyAuthorization(v string) (string, error) {
	scheme, cred, ok := strings.Cut(v, " ")
	if !ok {
		return "", fmt.Errorf("%w: want \"Bearer <token>\" or \"Basic <credentials>\"", ErrBadCredentials)
	}
	cred = strings.TrimLeft(cred, " ")
	if cred == "" || strings.ContainsAny(cred, " \t") {
		return "", fmt.Errorf("%w: credentials must be one non-empty word", ErrBadCredentials)
	}
	switch {
	case asciifold.Equal(scheme, "Bearer"):
		return cred, nil
	case asciifold.Equal(scheme, "Basic"):
		b, err := base64.StdEncoding.DecodeString(cred)
		if err != nil {
			return "", fmt.Errorf("%w: Basic credentials are not base64", ErrBadCredentials)
		}
		_, pass, ok := strings.Cut(string(b), ":")
		if !ok || pass == "" {
			return "", fmt.Errorf("%w: Basic credentials carry no password; put the job token in the proxy URL's password", ErrBadCredentials)
		}
		return pass, nil
	default:
		return "", fmt.Errorf("%w: unsupported scheme; use Bearer or Basic", ErrBadCredentials)
	}
}
