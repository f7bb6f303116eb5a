package egress_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy/egress"
)

// TestOwnAddressesAreRefused: the proxy dials from the runner host, and a
// connection to one of the host's own addresses goes over loopback to
// whatever listens there on the wildcard address (a container runtime's
// API, the kubelet, an agent's admin port), past the firewall and the
// security group that keep the internet out. A public address on an
// interface (an IPv6 address of a cloud VM, the IPv4 address of a bare
// metal or a droplet) passed the address check, so a rule allowing "*"
// (or audit-only mode, or a name whose DNS the job controls) reached the
// runner host. smokescreen refuses its own addresses for the same reason
// (stripe/smokescreen#282). Refused now before dialing, unless a prefix
// of WithInternalHosts pairs the address with the destination; and a connection that
// turns out to be to the host itself (the same address at both ends: an
// address added since the proxy last listed them, or a WithDialer in
// another network namespace) is closed before a byte is relayed.
func TestOwnAddressesAreRefused(t *testing.T) {
	t.Parallel()
	own := netip.MustParseAddr("2600:1f18:aaaa:bbbb::10") // a VM's IPv6 address: public, and the host's
	other := netip.MustParseAddr("2600:1f18:aaaa:bbbb::20")
	al, err := egress.NewAllowList(egress.Rule{Name: "anywhere", Repositories: []string{"octo/app"},
		Hosts: []string{"*"}, Ports: []uint16{2375, 443}})
	if err != nil {
		t.Fatal(err)
	}
	ifaces := func() ([]net.Addr, error) {
		return []net.Addr{
			&net.IPNet{IP: net.IPv4(127, 0, 0, 1), Mask: net.CIDRMask(8, 32)},
			&net.IPNet{IP: net.IP(own.AsSlice()), Mask: net.CIDRMask(64, 128)},
		}, nil
	}
	for _, tt := range []struct {
		name  string
		dst   string
		self  bool // the dialer reports the same address at both ends
		opts  []egress.Option
		allow bool
	}{
		{"own address as a literal", "[" + own.String() + "]:2375", false, nil, false},
		{"a name resolving to it", "runner.allowed.test:2375", false, nil, false},
		{"another address of the network", "[" + other.String() + "]:443", false, nil, true},
		{"lifted by WithInternalHosts", "[" + own.String() + "]:2375", false,
			[]egress.Option{egress.WithInternalHosts([]string{own.String()}, netip.PrefixFrom(own, 128))}, true},
		{"connected to itself", "[" + other.String() + "]:443", true, nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newEchoServer(t)
			var mu sync.Mutex
			var dialed []string
			dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
				mu.Lock()
				dialed = append(dialed, addr)
				mu.Unlock()
				var d net.Dialer
				c, err := d.DialContext(ctx, network, srv.addr)
				if err != nil || !tt.self {
					return c, err
				}
				ap := netip.MustParseAddrPort(addr)
				return &addrConn{Conn: c, local: &net.TCPAddr{IP: ap.Addr().AsSlice(), Port: 40000},
					remote: net.TCPAddrFromAddrPort(ap)}, nil
			}
			rec := &recorder{}
			opts := append([]egress.Option{egress.WithDialer(dial), egress.WithInterfaceAddrs(ifaces),
				egress.WithResolver(hosts{"runner.allowed.test": own})}, tt.opts...)
			_, paddr := startProxy(t, al, rec, opts...)
			resp, body, c := rawConnect(t, paddr, tt.dst, basic(tokenA))
			if tt.allow {
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("status %d %q, want 200", resp.StatusCode, body)
				}
				echo(t, c, "hello")
				return
			}
			if resp.StatusCode != http.StatusForbidden || resp.Header.Get(egress.HeaderRule) != egress.RuleInternalAddress {
				t.Fatalf("status %d, rule %q, %q: want 403 %s", resp.StatusCode, resp.Header.Get(egress.HeaderRule), body, egress.RuleInternalAddress)
			}
			if !strings.Contains(body, "proxy's own host") {
				t.Errorf("the refusal does not say why: %q", body)
			}
			mu.Lock()
			n := len(dialed)
			mu.Unlock()
			if !tt.self && n != 0 {
				t.Errorf("dialed %v", dialed)
			}
			for _, e := range rec.waitFor(t, egress.ActionConnect, audit.OutcomeDeny, "egress:"+tt.dst, 1) {
				if e.Attributes[egress.AttrRule] != egress.RuleInternalAddress {
					t.Errorf("deny event %+v", e)
				}
			}
		})
	}
}

// addrConn reports addresses of the test's choosing.
type addrConn struct {
	net.Conn
	local, remote net.Addr
}

func (c *addrConn) LocalAddr() net.Addr  { return c.local }
func (c *addrConn) RemoteAddr() net.Addr { return c.remote }

// TestOwnAddressesUnknownFailClosed: a host whose addresses cannot be
// listed cannot tell a destination from its own addresses: nothing is
// dialed.
func TestOwnAddressesUnknownFailClosed(t *testing.T) {
	t.Parallel()
	al, err := egress.NewAllowList(egress.Rule{Name: "anywhere", Repositories: []string{"octo/app"},
		Hosts: []string{"*"}, Ports: []uint16{443}})
	if err != nil {
		t.Fatal(err)
	}
	var dialed atomic.Int32
	dial := func(context.Context, string, string) (net.Conn, error) {
		dialed.Add(1)
		return nil, errors.New("not in this test")
	}
	_, paddr := startProxy(t, al, &recorder{}, egress.WithDialer(dial),
		egress.WithInterfaceAddrs(func() ([]net.Addr, error) { return nil, errors.New("netlink: permission denied") }))
	resp, body, _ := rawConnect(t, paddr, "[2600:1f18:aaaa:bbbb::20]:443", basic(tokenA))
	if resp.StatusCode == http.StatusOK || dialed.Load() != 0 {
		t.Errorf("status %d %q, %d dials: want a refusal without a dial", resp.StatusCode, body, dialed.Load())
	}
}
