package mtls

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/spiffe/go-spiffe/v2/bundle/x509bundle"
	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/spiffetls/tlsconfig"
	"github.com/spiffe/go-spiffe/v2/svid/x509svid"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/svid"
	"github.com/ztci/ztci/internal/clip"
)

// Errors.
var (
	// ErrConfig: a required argument is missing.
	ErrConfig = errors.New("mtls: invalid configuration")
	// ErrUnauthorized is wrapped by every refusal from the authorizers here.
	ErrUnauthorized = errors.New("mtls: peer not authorized")
)

// UnauthorizedError reports a peer whose SPIFFE ID was refused. Err, when
// set, is the refusal of a caller-supplied authorizer that did not itself
// wrap [ErrUnauthorized].
type UnauthorizedError struct {
	ID     string
	Reason string
	Err    error
}

func (e *UnauthorizedError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%v: %s: %s: %v", ErrUnauthorized, e.ID, e.Reason, e.Err)
	}
	return fmt.Sprintf("%v: %s: %s", ErrUnauthorized, e.ID, e.Reason)
}

// Unwrap returns ErrUnauthorized and Err, so that errors.Is finds both.
func (e *UnauthorizedError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrUnauthorized, e.Err}
	}
	return []error{ErrUnauthorized}
}

// refusal makes err, from an authorizer, wrap ErrUnauthorized.
func refusal(id spiffeid.ID, err error) error {
	if err == nil || errors.Is(err, ErrUnauthorized) {
		return err
	}
	return &UnauthorizedError{ID: id.String(), Reason: "authorizer refused", Err: err}
}

// Authorizer is go-spiffe's tlsconfig.Authorizer: it decides on the peer's
// SPIFFE ID after its certificate chain verified against the bundle (and,
// in the configurations here, after its key purpose was checked).
type Authorizer = tlsconfig.Authorizer

// AuthorizeID accepts exactly id; its refusals wrap [ErrUnauthorized]
// (go-spiffe's tlsconfig.AuthorizeID returns a bare error).
func AuthorizeID(id spiffeid.ID) Authorizer {
	return func(got spiffeid.ID, _ [][]*x509.Certificate) error {
		if got != id {
			return &UnauthorizedError{ID: got.String(), Reason: fmt.Sprintf("not %q", id.String())}
		}
		return nil
	}
}

// AuthorizeMemberOf accepts any workload ID in td (not td's own ID, at
// most the specification's 2048 bytes); its refusals wrap
// [ErrUnauthorized].
func AuthorizeMemberOf(td spiffeid.TrustDomain) Authorizer {
	return func(got spiffeid.ID, _ [][]*x509.Certificate) error {
		if err := notWorkload(got); err != nil {
			return err
		}
		if got.IsZero() || !got.MemberOf(td) {
			return &UnauthorizedError{ID: got.String(), Reason: fmt.Sprintf("not a member of trust domain %q", td.String())}
		}
		return nil
	}
}

// AuthorizeMatcher accepts peers whose identity (SPIFFE ID only: mTLS peers
// carry no CI claims) satisfies m, and whose ID names a workload (not a
// trust domain's own ID, at most the specification's 2048 bytes).
func AuthorizeMatcher(m identity.Matcher) Authorizer {
	return func(id spiffeid.ID, _ [][]*x509.Certificate) error {
		if err := notWorkload(id); err != nil {
			return err
		}
		if !m.Match(identity.Identity{SPIFFEID: id}) {
			return &UnauthorizedError{ID: id.String(), Reason: "matcher refused"}
		}
		return nil
	}
}

// AuthorizeAll accepts a peer only when every authorizer does. With no
// authorizers it refuses everyone. A refusal from a caller-supplied
// authorizer is wrapped so that it, too, wraps [ErrUnauthorized].
func AuthorizeAll(as ...Authorizer) Authorizer {
	return func(id spiffeid.ID, chains [][]*x509.Certificate) error {
		if len(as) == 0 {
			return &UnauthorizedError{ID: id.String(), Reason: "no authorizers"}
		}
		for _, a := range as {
			if a == nil {
				return &UnauthorizedError{ID: id.String(), Reason: "nil authorizer"}
			}
			if err := a(id, chains); err != nil {
				return refusal(id, err)
			}
		}
		return nil
	}
}

// AuthorizeAny accepts a peer when at least one authorizer does. With no
// authorizers it refuses everyone. Its refusal wraps [ErrUnauthorized] and
// every authorizer's refusal.
func AuthorizeAny(as ...Authorizer) Authorizer {
	return func(id spiffeid.ID, chains [][]*x509.Certificate) error {
		errs := []error{&UnauthorizedError{ID: id.String(), Reason: "no authorizer accepted"}}
		for _, a := range as {
			if a == nil {
				continue
			}
			err := a(id, chains)
			if err == nil {
				return nil
			}
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	}
}

// reverifyResumed returns a VerifyConnection callback that runs verify (the
// config's SPIFFE VerifyPeerCertificate: chain against the bundle, then
// the authorizer) again on a resumed session, which crypto/tls resumes
// without calling VerifyPeerCertificate: a peer refused since its first
// connection (its CA left the bundle, the authorizer now refuses it) must
// not get back in with a session ticket. optional admits a resumed session
// without a peer certificate (a bearer-token caller).
func reverifyResumed(verify func([][]byte, [][]*x509.Certificate) error, optional bool) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if !cs.DidResume {
			return nil // a full handshake: VerifyPeerCertificate ran
		}
		if len(cs.PeerCertificates) == 0 {
			if optional {
				return nil
			}
			return fmt.Errorf("%w: resumed session without a peer certificate", ErrUnauthorized)
		}
		raw := make([][]byte, len(cs.PeerCertificates))
		for i, c := range cs.PeerCertificates {
			raw[i] = c.Raw
		}
		return verify(raw, nil)
	}
}

func check(source x509svid.Source, bundle x509bundle.Source, authz Authorizer) error {
	if source == nil || bundle == nil || authz == nil {
		return fmt.Errorf("%w: SVID source, bundle source and authorizer are all required", ErrConfig)
	}
	return nil
}

// bounded runs authz only for a peer whose SPIFFE ID names a workload: at
// most the specification's 2048 bytes, and not a trust domain's own ID
// (the X509-SVID specification, §5.2, has validators refuse a leaf without
// a path). go-spiffe's chain check accepts both, no conforming issuer signs
// either (identity/svid refuses to), and an authorizer that matches
// prefixes or trust domains would admit them. Nor does authz run for a
// peer whose certificate is not for TLS authentication in its role, use
// (clientAuth for a client, serverAuth for a server; svid.CheckPeerKeyUsage):
// go-spiffe verifies chains for any key usage, so a certificate that a CA of
// the bundle signed for code signing, say, would otherwise authenticate a
// peer. Any refusal wraps [ErrUnauthorized].
func bounded(authz Authorizer, use x509.ExtKeyUsage) Authorizer {
	return func(id spiffeid.ID, chains [][]*x509.Certificate) error {
		if err := notWorkload(id); err != nil {
			return err
		}
		if err := svid.CheckPeerKeyUsage(chains, use); err != nil {
			return &UnauthorizedError{ID: id.String(), Reason: "certificate not for TLS authentication", Err: err}
		}
		return refusal(id, authz(id, chains))
	}
}

// notWorkload refuses an ID that svid.CheckPeerID refuses: a trust
// domain's own ID, or one longer than the SPIFFE specification's 2048
// bytes (named by its first 64 bytes only).
func notWorkload(id spiffeid.ID) error {
	err := svid.CheckPeerID(id)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, svid.ErrIDTooLong):
		return &UnauthorizedError{ID: id.String()[:64] + "...", Reason: "SPIFFE ID too long", Err: err}
	}
	return &UnauthorizedError{ID: id.String(), Reason: "SPIFFE ID names no workload", Err: err}
}

// refusing makes every error of verify (go-spiffe's chain check against the
// bundle, then the authorizer) wrap [ErrUnauthorized]: a peer whose chain
// does not lead to the bundle of its ID's trust domain is refused like one
// the authorizer refuses.
func refusing(verify func([][]byte, [][]*x509.Certificate) error) func([][]byte, [][]*x509.Certificate) error {
	return func(raw [][]byte, chains [][]*x509.Certificate) error {
		err := verify(raw, chains)
		if err == nil || errors.Is(err, ErrUnauthorized) {
			return err
		}
		// go-spiffe's text may name the trust domain of a certificate
		// the peer made itself, of any size: it is clipped.
		return fmt.Errorf("%w: peer certificate: %w", ErrUnauthorized, clip.Error(err, maxError))
	}
}

// maxError bounds the text of go-spiffe's chain-check error that a refusal
// repeats.
const maxError = 1024

// ServerConfig returns a TLS 1.3 server configuration that presents the
// SVID from svid, requires a client SVID that verifies against bundle, and
// admits the client only if authz accepts its SPIFFE ID, on every
// connection: it issues no session tickets, and a resumed session is
// verified and authorized again. The client is authorized at the handshake
// only: serve it through [NewListener], or a connection outlives the
// client's SVID (see the package documentation for gRPC).
func ServerConfig(svid x509svid.Source, bundle x509bundle.Source, authz Authorizer) (*tls.Config, error) {
	if err := check(svid, bundle, authz); err != nil {
		return nil, err
	}
	c := tlsconfig.MTLSServerConfig(svid, bundle, bounded(authz, x509.ExtKeyUsageClientAuth))
	c.MinVersion = tls.VersionTLS13
	c.VerifyPeerCertificate = refusing(c.VerifyPeerCertificate)
	c.SessionTicketsDisabled = true // every connection is verified and authorized
	c.VerifyConnection = reverifyResumed(c.VerifyPeerCertificate, false)
	return c, nil
}

// ServerConfigClientOptional is [ServerConfig] for listeners that also serve
// bearer-token callers (identity/httpauth with both WithMTLS and
// WithBearer): a client certificate is requested but not required; when one
// is presented it must verify against bundle and satisfy authz, or the
// handshake fails. Callers without one must be authenticated at the HTTP
// layer.
func ServerConfigClientOptional(svid x509svid.Source, bundle x509bundle.Source, authz Authorizer) (*tls.Config, error) {
	if err := check(svid, bundle, authz); err != nil {
		return nil, err
	}
	c := tlsconfig.TLSServerConfig(svid)
	c.MinVersion = tls.VersionTLS13
	c.ClientAuth = tls.RequestClientCert
	verify := refusing(tlsconfig.VerifyPeerCertificate(bundle, bounded(authz, x509.ExtKeyUsageClientAuth)))
	c.VerifyPeerCertificate = func(raw [][]byte, chains [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return nil
		}
		return verify(raw, chains)
	}
	c.SessionTicketsDisabled = true
	c.VerifyConnection = reverifyResumed(c.VerifyPeerCertificate, true)
	return c, nil
}

// ClientConfig returns a TLS 1.3 client configuration that presents the SVID
// from svid and accepts the server only if its SVID verifies against bundle
// and authz accepts its SPIFFE ID, on every connection: should the caller
// set a ClientSessionCache, a resumed session is verified and authorized
// again. The server is authorized at the handshake only: dial through
// [NewDialer], or a kept-alive connection outlives the server's SVID.
func ClientConfig(svid x509svid.Source, bundle x509bundle.Source, authz Authorizer) (*tls.Config, error) {
	if err := check(svid, bundle, authz); err != nil {
		return nil, err
	}
	c := tlsconfig.MTLSClientConfig(svid, bundle, bounded(authz, x509.ExtKeyUsageServerAuth))
	c.MinVersion = tls.VersionTLS13
	c.VerifyPeerCertificate = refusing(c.VerifyPeerCertificate)
	c.VerifyConnection = reverifyResumed(c.VerifyPeerCertificate, false)
	return c, nil
}
