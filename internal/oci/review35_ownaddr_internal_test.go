package oci

import (
	"errors"
	"net"
	"net/netip"
	"testing"
)

var errReview35List = errors.New("review35: cannot list interfaces")

// TestReview35AddrPolicyOwn: a public address of the host's own
// interfaces, as a destination the registry chose (IP literal or resolved
// name), is refused like a non-public one, unless AddInternalRedirects
// allows it; a host whose addresses cannot be listed refuses every public
// destination (fail closed). Before, any public address passed.
func TestReview35AddrPolicyOwn(t *testing.T) {
	t.Parallel()
	ownV4 := netip.MustParseAddr("8.8.4.4")
	ownV6 := netip.MustParseAddr("2606:4700::1111")
	other := netip.MustParseAddr("1.1.1.1")
	list := func() ([]net.Addr, error) {
		return []net.Addr{
			&net.IPNet{IP: net.ParseIP("127.0.0.1"), Mask: net.CIDRMask(8, 32)},
			&net.IPNet{IP: ownV4.AsSlice(), Mask: net.CIDRMask(24, 32)},
			&net.IPAddr{IP: ownV6.AsSlice()},
		}, nil
	}
	failing := func() ([]net.Addr, error) { return nil, errReview35List }
	tests := []struct {
		name    string
		list    func() ([]net.Addr, error)
		allow   []string
		host    string
		addr    netip.Addr
		refused bool
		own     bool
		listErr bool
	}{
		{name: "own IPv4 literal", list: list, host: "8.8.4.4", addr: ownV4, refused: true, own: true},
		{name: "own IPv4-mapped", list: list, host: "storage.example", addr: netip.AddrFrom16(ownV4.As16()), refused: true, own: true},
		{name: "own IPv6 name", list: list, host: "storage.example", addr: ownV6, refused: true, own: true},
		{name: "other public", list: list, host: "storage.example", addr: other},
		{name: "own allowed by address", list: list, allow: []string{"8.8.4.4"}, host: "8.8.4.4", addr: ownV4},
		{name: "own allowed by name", list: list, allow: []string{"storage.example"}, host: "storage.example", addr: ownV6},
		{name: "listing fails", list: failing, host: "storage.example", addr: other, refused: true, own: true, listErr: true},
		{name: "listing fails, allowed", list: failing, allow: []string{"1.1.1.0/24"}, host: "storage.example", addr: other},
		{name: "non-public still refused", list: list, host: "10.0.0.1", addr: netip.MustParseAddr("10.0.0.1"), refused: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := DefaultConfig()
			if err := cfg.AddInternalRedirects(tt.allow...); err != nil {
				t.Fatal(err)
			}
			cfg.interfaceAddrs = tt.list
			err := newAddrPolicy(cfg).check(tt.host, tt.addr)
			if !tt.refused {
				if err != nil {
					t.Fatalf("check(%s, %s) = %v, want nil", tt.host, tt.addr, err)
				}
				return
			}
			var ie *InternalAddressError
			if !errors.Is(err, ErrInternalAddress) || !errors.Is(err, ErrRegistry) || !errors.As(err, &ie) {
				t.Fatalf("check(%s, %s) = %v, want ErrInternalAddress", tt.host, tt.addr, err)
			}
			if ie.Own != tt.own || errors.Is(err, errReview35List) != tt.listErr {
				t.Fatalf("check(%s, %s) = %+v, want Own %v, listing error %v", tt.host, tt.addr, ie, tt.own, tt.listErr)
			}
		})
	}
}
