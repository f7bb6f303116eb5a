package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/ztci/ztci/internal/netaddr"
)

// Resolver resolves a host name to addresses. *net.Resolver implements it
// (net.DefaultResolver is the default). The proxy calls it once per
// connection and connects only to the addresses it returned and checked, so
// a name that resolves differently a moment later (DNS rebinding) cannot
// redirect the connection.
//
// Contract: network is "ip" and host a rooted name, with a trailing dot
// ("proxy.golang.org."), so that a system resolver resolves that name only
// and never tries it under resolv.conf's search domains; an implementation
// must not expand it either. An error or no address fails the connection.
// Implementations must be safe for concurrent use.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// ResolverFunc adapts a function to a [Resolver].
type ResolverFunc func(ctx context.Context, network, host string) ([]netip.Addr, error)

// LookupNetIP calls f(ctx, network, host).
func (f ResolverFunc) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	return f(ctx, network, host)
}

// public reports whether a is a globally routable unicast address: the
// one classification of the module, [netaddr.Public], which the OCI
// registry client applies to the redirects it follows too.
func public(a netip.Addr) bool { return netaddr.Public(a) }

// errOwnAddress: the destination is an address of the proxy's own host.
var errOwnAddress = errors.New("an address of the proxy's own host")

// errOwnAddrsUnknown: the host's own addresses could not be listed, so no
// destination can be told apart from them.
var errOwnAddrsUnknown = errors.New("egress: cannot list the host's own addresses")

// ownAddrs are the addresses of the proxy host's interfaces
// ([netaddr.Own], listed again after [netaddr.OwnTTL]; an address added
// since is caught when the proxy connects to it, see selfConnected). The
// proxy dials from that host, and a connection to any of them, public or
// not, goes over loopback to whatever listens there on the wildcard
// address (a container runtime's API, the kubelet, an agent's admin
// port), past the firewall or security group that keeps the rest of the
// network out.
type ownAddrs struct{ *netaddr.Own }

// contains reports whether a is one of the host's addresses. A host whose
// addresses cannot be listed has every address refused (the error, which
// wraps errOwnAddrsUnknown).
func (o ownAddrs) contains(a netip.Addr) (bool, error) {
	ok, err := o.Contains(a)
	if err != nil {
		return false, fmt.Errorf("%w: %w", errOwnAddrsUnknown, err)
	}
	return ok, nil
}

// selfConnected reports whether c, a connection the proxy dialed to a,
// has a at its own end too: Linux picks a local destination's own address
// as the source, so c reached the proxy's own host.
func selfConnected(c net.Conn, a netip.Addr) bool {
	l, err := netip.ParseAddrPort(c.LocalAddr().String())
	return err == nil && l.Addr().WithZone("").Unmap() == a
}
