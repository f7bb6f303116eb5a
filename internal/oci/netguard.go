package oci

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/netaddr"
)

// InternalAddressError is the refusal of a request to a destination the
// registry chose (a redirect's Location, a token realm that is not
// configured, a referrers page) whose address is not public
// ([netaddr.Public]: loopback, private, link-local such as the cloud
// metadata service, or another special-purpose range) or is one of this
// host's own addresses ([netaddr.Own]: a public address of its interfaces,
// where the gate's admin port or a local agent listens), and that no
// Config.AddInternalRedirects entry allows. Nothing was sent to it. It
// matches [ErrInternalAddress] and [ErrRegistry].
type InternalAddressError struct {
	Host string     // the destination's host as the registry named it (clipped in Error)
	Addr netip.Addr // the address it resolved or connected to
	// Own: Addr is public but one of this host's own addresses, or
	// OwnErr is set.
	Own bool
	// OwnErr: the host's own addresses could not be listed, so Addr could
	// not be told apart from them (refused: fail closed).
	OwnErr error
}

func (e *InternalAddressError) Error() string {
	switch {
	case e.OwnErr != nil:
		return fmt.Sprintf("oci: request to %s refused: cannot tell whether %s is this host's own address "+
			"(listing its addresses failed: %v; allow it with WithInternalRedirects)",
			clip.Quote(e.Host, maxQuote), e.Addr, e.OwnErr)
	case e.Own:
		return fmt.Sprintf("oci: request to %s refused: %s is an address of this host (a registry's redirect may not "+
			"reach services on the host itself; allow it with WithInternalRedirects)",
			clip.Quote(e.Host, maxQuote), e.Addr)
	}
	return fmt.Sprintf("oci: request to %s refused: %s is not a public address (a registry's redirect may not reach "+
		"loopback, private, link-local or special-purpose addresses; allow internal blob storage with WithInternalRedirects)",
		clip.Quote(e.Host, maxQuote), e.Addr)
}

// Is matches ErrInternalAddress and ErrRegistry.
func (e *InternalAddressError) Is(target error) bool {
	return target == ErrInternalAddress || target == ErrRegistry
}

// Unwrap returns OwnErr.
func (e *InternalAddressError) Unwrap() error { return e.OwnErr }

// addrPolicy decides which addresses a destination the registry chose may
// have: public ones that are not this host's own, and those
// Config.AddInternalRedirects allows.
type addrPolicy struct {
	nets  []netip.Prefix
	hosts map[string]bool // canonical host names (canonHost)
	own   *netaddr.Own
}

func newAddrPolicy(c Config) *addrPolicy {
	p := &addrPolicy{nets: c.InternalRedirectNets, hosts: map[string]bool{}, own: netaddr.NewOwn(c.interfaceAddrs)}
	for _, h := range c.InternalRedirectHosts {
		p.hosts[canonHost(h)] = true
	}
	return p
}

// canonHost lower-cases a host name and drops a trailing dot.
func canonHost(h string) string { return strings.TrimSuffix(strings.ToLower(h), ".") }

// check returns nil when host may be reached at a, or an
// *InternalAddressError.
func (p *addrPolicy) check(host string, a netip.Addr) error {
	a = a.WithZone("").Unmap()
	if p.hosts[canonHost(host)] {
		return nil
	}
	for _, n := range p.nets {
		if n.Contains(a) {
			return nil
		}
	}
	if !netaddr.Public(a) {
		return &InternalAddressError{Host: host, Addr: a}
	}
	own, err := p.own.Contains(a)
	if err != nil {
		return &InternalAddressError{Host: host, Addr: a, Own: true, OwnErr: err}
	}
	if own {
		return &InternalAddressError{Host: host, Addr: a, Own: true}
	}
	return nil
}

// checkURL refuses a URL whose host is an IP literal that check refuses.
// A name is checked where it is resolved: at the dial (checkedTransport).
func (p *addrPolicy) checkURL(u *url.URL) error {
	h := u.Hostname()
	a, err := netip.ParseAddr(h)
	if err != nil {
		return nil
	}
	return p.check(h, a)
}

// checkConn checks the address a dialer connected to: the fallback for a
// vendor's own dialer, whose resolution this package cannot see. An
// address that does not parse is refused.
func (p *addrPolicy) checkConn(host string, c net.Conn) error {
	ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
	if err != nil {
		return &InternalAddressError{Host: host}
	}
	return p.check(host, ap.Addr())
}

// maxProxies bounds the proxy addresses checkedTransport remembers.
const maxProxies = 64

// checkedTransport returns the transport for destinations the registry
// chose. For an *http.Transport (the default remote.DefaultTransport, or a
// vendor's) it is a clone whose dials are checked: with the stock dialer,
// each address the name resolved to is checked before the connection is
// attempted (net.Dialer.Control), so a name that resolves to 127.0.0.1, at
// once or on a second lookup (DNS rebinding), is never connected to; with
// a vendor's own dialer, the address it connected to is checked before a
// byte is sent. A dial to the transport's proxy (its Proxy function's
// answer) is not checked: the proxy resolves the destination, and only an
// IP literal destination is checked (guard). Any other RoundTripper is
// returned as it is: its dials cannot be seen, so only IP literals are
// checked (guard).
func checkedTransport(base http.RoundTripper, p *addrPolicy) http.RoundTripper {
	t, ok := base.(*http.Transport)
	if !ok {
		return base
	}
	c := t.Clone()
	dial, dialTLS := vendorDialers(t)
	stock := base == remote.DefaultTransport || base == http.DefaultTransport || dial == nil
	var mu sync.Mutex
	proxies := map[string]bool{} // canonical proxy "host:port"s, at most maxProxies
	if t.Proxy != nil {
		c.Proxy = func(r *http.Request) (*url.URL, error) {
			u, err := t.Proxy(r)
			if u != nil && err == nil {
				mu.Lock()
				if len(proxies) < maxProxies {
					proxies[proxyAddr(u)] = true
				}
				mu.Unlock()
			}
			return u, err
		}
	}
	isProxy := func(addr string) bool {
		mu.Lock()
		defer mu.Unlock()
		return proxies[addr]
	}
	// afterDial checks the address a vendor's dialer connected to
	// (checkConn) before a byte is sent; a dial to the proxy is not
	// checked.
	afterDial := func(dial dialFunc) dialFunc {
		return func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			conn, err := dial(ctx, network, addr)
			if err != nil || isProxy(addr) {
				return conn, err
			}
			if err := p.checkConn(host, conn); err != nil {
				_ = conn.Close()
				return nil, err
			}
			return conn, nil
		}
	}
	// DialContext and DialTLSContext take priority over the deprecated
	// Dial and DialTLS, which the clone may still hold.
	if stock {
		c.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
			if !isProxy(addr) {
				d.Control = func(_, address string, _ syscall.RawConn) error {
					ap, err := netip.ParseAddrPort(address)
					if err != nil {
						return &InternalAddressError{Host: host}
					}
					return p.check(host, ap.Addr())
				}
			}
			return d.DialContext(ctx, network, addr)
		}
	} else {
		c.DialContext = afterDial(dial)
	}
	if dialTLS != nil {
		c.DialTLSContext = afterDial(dialTLS)
	}
	return c
}

// proxyAddr is the "host:port" net/http dials for proxy u.
func proxyAddr(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443", "socks5": "1080", "socks5h": "1080"}[u.Scheme]
	}
	return net.JoinHostPort(u.Hostname(), port)
}

type dialFunc = func(ctx context.Context, network, addr string) (net.Conn, error)

// vendorDialers returns t's dialers, the deprecated Dial and DialTLS
// adapted when only they are set: their dials are checked too.
func vendorDialers(t *http.Transport) (dial, dialTLS dialFunc) {
	dial, dialTLS = t.DialContext, t.DialTLSContext
	//lint:ignore SA1019 a vendor's transport may still set only the deprecated field
	if d := t.Dial; dial == nil && d != nil {
		dial = func(_ context.Context, network, addr string) (net.Conn, error) { return d(network, addr) }
	}
	//lint:ignore SA1019 a vendor's transport may still set only the deprecated field
	if d := t.DialTLS; dialTLS == nil && d != nil {
		dialTLS = func(_ context.Context, network, addr string) (net.Conn, error) { return d(network, addr) }
	}
	return dial, dialTLS
}
