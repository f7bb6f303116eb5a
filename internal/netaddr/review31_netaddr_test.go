package netaddr_test

import (
	"net/netip"
	"testing"

	"github.com/ztci/ztci/internal/netaddr"
)

// TestReview31Public: the one classification the egress proxy and the OCI
// client share (policy/egress's parse tests hold the full table).
func TestReview31Public(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		addr string
		want bool
	}{
		{name: "public v4", addr: "8.8.8.8", want: true},
		{name: "public v6", addr: "2606:4700::1111", want: true},
		{name: "loopback", addr: "127.0.0.1"},
		{name: "loopback v6", addr: "::1"},
		{name: "mapped loopback", addr: "::ffff:127.0.0.1"},
		{name: "rfc 1918", addr: "192.168.1.1"},
		{name: "ula", addr: "fd00::1"},
		{name: "metadata", addr: "169.254.169.254"},
		{name: "link-local v6 with zone", addr: "fe80::1%eth0"},
		{name: "cgnat", addr: "100.64.0.1"},
		{name: "nat64 of metadata", addr: "64:ff9b::a9fe:a9fe"},
		{name: "6to4 of loopback", addr: "2002:7f00:1::1"},
		{name: "azure wireserver", addr: "168.63.129.16"},
		{name: "unspecified", addr: "0.0.0.0"},
		{name: "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var a netip.Addr
			if tt.addr != "" {
				a = netip.MustParseAddr(tt.addr)
			}
			if got := netaddr.Public(a); got != tt.want {
				t.Fatalf("Public(%s) = %v, want %v", tt.addr, got, tt.want)
			}
		})
	}
}
