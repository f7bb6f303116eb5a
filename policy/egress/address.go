package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"
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

// nonPublic lists the IPv4 and IPv6 ranges a job may not reach unless
// allowed explicitly, beyond what netip.Addr's predicates cover (private,
// loopback, link-local, multicast, unspecified). IPv4-mapped addresses are
// unmapped before the check, the IPv4 address inside NAT64 and 6to4
// addresses is checked too, and other IPv6 addresses must be global
// unicast (2000::/3).
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),          // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),      // CGNAT, shared address space
	netip.MustParsePrefix("192.0.0.0/24"),       // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),       // TEST-NET-1
	netip.MustParsePrefix("198.18.0.0/15"),      // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"),    // TEST-NET-2
	netip.MustParsePrefix("203.0.113.0/24"),     // TEST-NET-3
	netip.MustParsePrefix("240.0.0.0/4"),        // reserved, and the broadcast address
	netip.MustParsePrefix("::/96"),              // IPv4-compatible (deprecated)
	netip.MustParsePrefix("100::/64"),           // discard
	netip.MustParsePrefix("64:ff9b:1::/48"),     // local-use NAT64
	netip.MustParsePrefix("2001::/32"),          // Teredo (hides an IPv4 address)
	netip.MustParsePrefix("2001:db8::/32"),      // documentation
	netip.MustParsePrefix("fec0::/10"),          // site-local (deprecated)
	netip.MustParsePrefix("fc00::/7"),           // unique local (IsPrivate covers it; kept for clarity)
	netip.MustParsePrefix("5f00::/16"),          // SRv6 SIDs
	netip.MustParsePrefix("3fff::/20"),          // documentation (RFC 9637)
	netip.MustParsePrefix("2001:2::/48"),        // benchmarking
	netip.MustParsePrefix("255.255.255.255/32"), // limited broadcast
	// Azure's platform endpoint (WireServer, host agent): a public address
	// every Azure VM reaches on the host, serving VM configuration and
	// extension settings, like the metadata service at 169.254.169.254.
	netip.MustParsePrefix("168.63.129.16/32"),
}

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
	// globalUnicast6 is the only IPv6 space allocated for global unicast;
	// the rest is reserved, or special-purpose forms such as the
	// IPv4-translated ::ffff:0:a.b.c.d (SIIT) that embed an IPv4 address.
	globalUnicast6 = netip.MustParsePrefix("2000::/3")
)

// public reports whether a is a globally routable unicast address.
func public(a netip.Addr) bool {
	a = a.WithZone("").Unmap()
	if !a.IsValid() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsMulticast() ||
		a.IsUnspecified() || a.IsInterfaceLocalMulticast() || a.IsLinkLocalMulticast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	if a.Is6() {
		b := a.As16()
		switch {
		case nat64.Contains(a):
			return public(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(a):
			return public(netip.AddrFrom4([4]byte(b[2:6])))
		case !globalUnicast6.Contains(a):
			return false
		}
	}
	return true
}

// ownAddrsTTL is how long a list of the host's own addresses is reused.
// An address added since is caught when the proxy connects to it (see
// selfConnected).
const ownAddrsTTL = time.Second

// errOwnAddress: the destination is an address of the proxy's own host.
var errOwnAddress = errors.New("an address of the proxy's own host")

// errOwnAddrsUnknown: the host's own addresses could not be listed, so no
// destination can be told apart from them.
var errOwnAddrsUnknown = errors.New("egress: cannot list the host's own addresses")

// ownAddrs are the addresses of the proxy host's interfaces. The proxy
// dials from that host, and a connection to any of them, public or not,
// goes over loopback to whatever listens there on the wildcard address
// (a container runtime's API, the kubelet, an agent's admin port), past
// the firewall or security group that keeps the rest of the network out.
type ownAddrs struct {
	list func() ([]net.Addr, error)

	mu  sync.Mutex
	at  time.Time // when set was listed; zero: never
	set map[netip.Addr]struct{}
}

// contains reports whether a is one of the host's addresses, listing them
// again when the last list is older than ownAddrsTTL. A host whose
// addresses cannot be listed has every address refused (the error).
func (o *ownAddrs) contains(a netip.Addr) (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.at.IsZero() || time.Since(o.at) >= ownAddrsTTL {
		addrs, err := o.list()
		if err != nil {
			o.at, o.set = time.Time{}, nil
			return false, fmt.Errorf("%w: %w", errOwnAddrsUnknown, err)
		}
		set := make(map[netip.Addr]struct{}, len(addrs))
		for _, x := range addrs {
			var ip net.IP
			switch v := x.(type) {
			case *net.IPNet:
				ip = v.IP
			case *net.IPAddr:
				ip = v.IP
			}
			if b, ok := netip.AddrFromSlice(ip); ok {
				set[b.Unmap()] = struct{}{}
			}
		}
		o.at, o.set = time.Now(), set
	}
	_, ok := o.set[a]
	return ok, nil
}

// selfConnected reports whether c, a connection the proxy dialed to a,
// has a at its own end too: Linux picks a local destination's own address
// as the source, so c reached the proxy's own host.
func selfConnected(c net.Conn, a netip.Addr) bool {
	l, err := netip.ParseAddrPort(c.LocalAddr().String())
	return err == nil && l.Addr().WithZone("").Unmap() == a
}
