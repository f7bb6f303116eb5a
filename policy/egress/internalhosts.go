package egress

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// internalHosts is one pairing of [WithInternalHosts]: the address check
// lets an address in prefixes through only for a destination named by
// names (host globs) or, for an IP-literal destination, listed in addrs.
// Unpaired, a prefix would serve every allowed name whose DNS the job
// controls (a "*.pages.dev" rule, nip.io, a name it rebinds).
type internalHosts struct {
	names    []string
	addrs    []netip.Addr
	prefixes []netip.Prefix
}

// singleAddressOnly are ranges whose addresses a prefix lifts only if it
// is that one address: link-local (169.254.169.254, the metadata service
// of most clouds, and ECS's credentials endpoint 169.254.170.2), AWS's
// IPv6 metadata range (fd00:ec2::254), Azure's WireServer and Alibaba's
// metadata service. A pairing for an internal network (fd00::/8,
// 100.64.0.0/10) must not also hand out the runner's cloud credentials.
var singleAddressOnly = []netip.Prefix{
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("fd00:ec2::/32"),
	netip.MustParsePrefix("168.63.129.16/32"),
	netip.MustParsePrefix("100.100.100.200/32"),
}

// newInternalHosts validates a pairing. Errors wrap ErrConfig.
func newInternalHosts(hosts []string, prefixes []netip.Prefix) (internalHosts, error) {
	if len(hosts) == 0 || len(prefixes) == 0 {
		return internalHosts{}, fmt.Errorf("%w: WithInternalHosts needs at least one host and one prefix", ErrConfig)
	}
	var in internalHosts
	for _, p := range prefixes {
		p, err := internalPrefix(p)
		if err != nil {
			return internalHosts{}, err
		}
		in.prefixes = append(in.prefixes, p)
	}
	for _, h := range hosts {
		if a, err := netip.ParseAddr(h); err == nil {
			a = a.Unmap()
			if a.Zone() != "" || !in.covers(a) {
				return internalHosts{}, fmt.Errorf("%w: internal host %q is an address no prefix of its pairing lifts", ErrConfig, h)
			}
			in.addrs = append(in.addrs, a)
			continue
		}
		if h == "*" {
			return internalHosts{}, fmt.Errorf("%w: internal host \"*\" would pair the prefixes with every name a job can point at them: name the hosts", ErrConfig)
		}
		if err := checkHostGlob(h); err != nil {
			return internalHosts{}, fmt.Errorf("%w: internal host glob %q %w", ErrConfig, h, err)
		}
		if err := checkInternalGlob(h); err != nil {
			return internalHosts{}, fmt.Errorf("%w: internal host glob %q %w", ErrConfig, h, err)
		}
		in.names = append(in.names, h)
	}
	return in, nil
}

// checkInternalGlob refuses an internal host glob whose fixed part, the
// name after its last '*', is one label ("*.dev", "*.corp") or a public
// suffix of the Public Suffix List ("*.co.uk", "*.pages.dev",
// "*.github.io"): every name under it is one a job's author can register
// and point at the prefixes. An exact name (no '*') is not checked.
func checkInternalGlob(h string) error {
	i := strings.LastIndexByte(h, '*')
	if i < 0 {
		return nil
	}
	fixed := h[i+1:] // checkHostGlob: starts with '.'
	fixed = strings.TrimPrefix(fixed, ".")
	labels := strings.Split(fixed, ".")
	if len(labels) < 2 || slices.Contains(labels, "") {
		return errors.New("is wider than one registrable domain: name at least two labels after the last '*' (\"*.corp.example\")")
	}
	if ps, _ := publicsuffix.PublicSuffix(fixed); ps == fixed {
		return errors.New("covers a public suffix, under which anyone can register a name")
	}
	return nil
}

// internalPrefix validates and normalizes (unmapped, masked) a prefix.
func internalPrefix(p netip.Prefix) (netip.Prefix, error) {
	if !p.IsValid() || p.Bits() == 0 {
		return netip.Prefix{}, fmt.Errorf("%w: internal prefix %v must be valid and narrower than /0", ErrConfig, p)
	}
	a, bits := p.Addr().Unmap(), p.Bits()
	if p.Addr().Is4In6() {
		if bits -= 96; bits <= 0 {
			return netip.Prefix{}, fmt.Errorf("%w: internal prefix %v covers all of IPv4", ErrConfig, p)
		}
	}
	p = netip.PrefixFrom(a, bits).Masked()
	for _, r := range singleAddressOnly {
		if !p.IsSingleIP() && r.Bits() <= p.Bits() && r.Contains(p.Addr()) {
			return netip.Prefix{}, fmt.Errorf("%w: internal prefix %v would lift nothing: in %v, name the single address", ErrConfig, p, r)
		}
	}
	return p, nil
}

// covers reports whether a prefix of the pairing lifts a.
func (in internalHosts) covers(a netip.Addr) bool {
	for _, p := range in.prefixes {
		if p.Contains(a) && (p.IsSingleIP() || !singleAddressOnlyRange(a)) {
			return true
		}
	}
	return false
}

func singleAddressOnlyRange(a netip.Addr) bool {
	return slices.ContainsFunc(singleAddressOnly, func(r netip.Prefix) bool { return r.Contains(a) })
}

// lifts reports whether the pairing lets the proxy dial a, an address
// host resolved to (or is, an IP literal), host being the destination
// policy decided on.
func (in internalHosts) lifts(a netip.Addr, host string) bool {
	if !in.covers(a) {
		return false
	}
	if lit, err := netip.ParseAddr(host); err == nil {
		return slices.Contains(in.addrs, lit.Unmap())
	}
	return anyGlob(in.names, host)
}
