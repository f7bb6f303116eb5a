// Package netaddr decides which IP addresses are public: globally routable
// unicast addresses, as opposed to loopback, private (RFC 1918, unique
// local), link-local (the cloud metadata service at 169.254.169.254),
// CGNAT, documentation, reserved and other special-purpose ranges. It is
// the one copy of that classification: the egress proxy (policy/egress)
// refuses a job's connection to a non-public address with it, and the OCI
// registry client (internal/oci) refuses to follow a registry's redirect
// to one. [Own] is likewise the one list of the host's own interface
// addresses, which both refuse as destinations even when public. It
// imports the standard library only.
package netaddr

import "net/netip"

// nonPublic lists the IPv4 and IPv6 ranges that are not public, beyond
// what netip.Addr's predicates cover (private, loopback, link-local,
// multicast, unspecified). IPv4-mapped addresses are unmapped before the
// check, the IPv4 address inside NAT64 and 6to4 addresses is checked too,
// and other IPv6 addresses must be global unicast (2000::/3).
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

// Public reports whether a is a globally routable unicast address: not
// invalid, private, loopback, link-local, multicast, unspecified or in any
// other special-purpose range, with an IPv4 address embedded in an IPv6 one
// (IPv4-mapped, NAT64, 6to4) judged as that IPv4 address. A zone is
// ignored. An address that is not public reaches the host, its network or
// its cloud provider's platform services rather than the internet.
func Public(a netip.Addr) bool {
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
			return Public(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(a):
			return Public(netip.AddrFrom4([4]byte(b[2:6])))
		case !globalUnicast6.Contains(a):
			return false
		}
	}
	return true
}
