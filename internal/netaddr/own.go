package netaddr

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// OwnTTL is how long [Own] reuses a list of the host's addresses. An
// address the host took since is not seen until the list is renewed.
const OwnTTL = time.Second

// Own is the set of addresses of this host's interfaces, public or not. A
// connection from this host to any of them goes over loopback to whatever
// listens there on the wildcard address (a container runtime's API, the
// kubelet, an agent's or gate's admin port), past the firewall or security
// group that keeps the rest of the network out: a destination someone else
// chose (a job's, a registry's redirect) must not be one of them. It is the
// one implementation of that list: the egress proxy (policy/egress) and the
// OCI registry client (internal/oci) both use it. Use [NewOwn]; an Own is
// safe for concurrent use.
type Own struct {
	list func() ([]net.Addr, error)

	mu  sync.Mutex
	at  time.Time // when set was listed; zero: never, or the last listing failed
	set map[netip.Addr]struct{}
}

// NewOwn returns the host's own addresses as list reports them (nil:
// net.InterfaceAddrs).
func NewOwn(list func() ([]net.Addr, error)) *Own {
	if list == nil {
		list = net.InterfaceAddrs
	}
	return &Own{list: list}
}

// Contains reports whether a (its zone ignored, an IPv4-mapped address
// unmapped) is one of the host's addresses, listing them again when the
// last list is older than [OwnTTL]. When they cannot be listed it returns
// list's error, and the caller must treat a as possibly the host's own
// (fail closed); the next call lists them again.
func (o *Own) Contains(a netip.Addr) (bool, error) {
	a = a.WithZone("").Unmap()
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.at.IsZero() || time.Since(o.at) >= OwnTTL {
		addrs, err := o.list()
		if err != nil {
			o.at, o.set = time.Time{}, nil
			return false, err
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
