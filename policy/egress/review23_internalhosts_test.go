package egress_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy/egress"
)

// internalServer is an echo server on 127.0.0.2, an internal host the
// tests' pairings name, counting the connections it accepted.
func internalServer(t *testing.T) (addr string, accepted *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no 127.0.0.2 on this host: %v", err)
	}
	accepted = new(atomic.Int32)
	var wg sync.WaitGroup
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String(), accepted
}

// TestReview23InternalAddressOnlyForPairedHosts: WithInternalPrefixes lifted
// the address check for the whole proxy, so any allowed name whose DNS the
// job controls (a "*.pages.dev" rule, nip.io, a name it rebinds) could
// point into the prefix and reach every internal host there. An internal
// address is now dialled only for the host names paired with it; an
// IP-literal destination only if the pairing lists that address.
func TestReview23InternalAddressOnlyForPairedHosts(t *testing.T) {
	t.Parallel()
	addr, accepted := internalServer(t)
	p := port(t, addr)
	internal := netip.MustParseAddr("127.0.0.2")
	al, err := egress.NewAllowList(egress.Rule{Name: "pages-and-registry", Repositories: []string{"octo/app"},
		Hosts: []string{"*.pages.test", "registry.corp.test", "127.0.0.2"}, Ports: []uint16{p}})
	if err != nil {
		t.Fatal(err)
	}
	// The job's own DNS maps its page into the internal network.
	res := hosts{"evil.pages.test": internal, "registry.corp.test": internal}
	loop := netip.MustParsePrefix("127.0.0.0/8")
	for _, tt := range []struct {
		name  string
		dst   string
		opts  []egress.Option
		allow bool
	}{
		{"paired name", "registry.corp.test", []egress.Option{egress.WithInternalHosts([]string{"registry.corp.test"}, loop)}, true},
		{"rebound allowed name", "evil.pages.test", []egress.Option{egress.WithInternalHosts([]string{"registry.corp.test"}, loop)}, false},
		{"rebound name, glob of another domain", "evil.pages.test", []egress.Option{egress.WithInternalHosts([]string{"*.corp.test"}, loop)}, false},
		{"rebound name, paired with another prefix", "evil.pages.test", []egress.Option{
			egress.WithInternalHosts([]string{"registry.corp.test"}, loop),
			egress.WithInternalHosts([]string{"*.pages.test"}, netip.MustParsePrefix("10.0.0.0/8"))}, false},
		{"literal not listed", "127.0.0.2", []egress.Option{egress.WithInternalHosts([]string{"*.corp.test"}, loop)}, false},
		{"literal listed", "127.0.0.2", []egress.Option{egress.WithInternalHosts([]string{"127.0.0.2"}, loop)}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := accepted.Load()
			rec := &recorder{}
			_, paddr := startProxy(t, al, rec, append([]egress.Option{egress.WithResolver(res)}, tt.opts...)...)
			resp, body, c := rawConnect(t, paddr, fmt.Sprintf("%s:%d", tt.dst, p), basic(tokenA))
			if tt.allow {
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("status %d %q, want 200", resp.StatusCode, body)
				}
				echo(t, c, "hello")
				return
			}
			if resp.StatusCode != http.StatusForbidden || resp.Header.Get(egress.HeaderRule) != egress.RuleInternalAddress {
				t.Errorf("CONNECT: status %d, rule %q, %q: want 403 %s", resp.StatusCode, resp.Header.Get(egress.HeaderRule), body, egress.RuleInternalAddress)
			}
			// The forwarding path (plain http://) is held to the same.
			proxyURL, _ := url.Parse("http://job:" + tokenA + "@" + paddr)
			client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL)}}
			fresp, err := client.Get(fmt.Sprintf("http://%s/", net.JoinHostPort(tt.dst, fmt.Sprint(p))))
			if err != nil {
				t.Fatal(err)
			}
			fresp.Body.Close()
			if fresp.StatusCode != http.StatusForbidden || fresp.Header.Get(egress.HeaderRule) != egress.RuleInternalAddress {
				t.Errorf("forward: status %d, rule %q", fresp.StatusCode, fresp.Header.Get(egress.HeaderRule))
			}
			if n := accepted.Load() - before; n != 0 {
				t.Errorf("the internal server was reached %d times", n)
			}
		})
	}
}

// TestReview23MetadataAndOwnAddressesNeedExactPairing: a pairing for an
// internal network does not reach the cloud metadata service (link-local,
// AWS's fd00:ec2::254) unless its prefix is that one address, nor the
// proxy host's own address for a name the pairing does not hold.
func TestReview23MetadataAndOwnAddressesNeedExactPairing(t *testing.T) {
	t.Parallel()
	own := netip.MustParseAddr("2600:1f18:aaaa:bbbb::10")
	imds4, imds6 := netip.MustParseAddr("169.254.169.254"), netip.MustParseAddr("fd00:ec2::254")
	al, err := egress.NewAllowList(egress.Rule{Name: "pages", Repositories: []string{"octo/app"},
		Hosts: []string{"*.pages.test"}, Ports: []uint16{80}})
	if err != nil {
		t.Fatal(err)
	}
	res := hosts{"imds.pages.test": imds4, "imds6.pages.test": imds6, "runner.pages.test": own}
	ifaces := func() ([]net.Addr, error) {
		return []net.Addr{&net.IPNet{IP: net.IP(own.AsSlice()), Mask: net.CIDRMask(64, 128)}}, nil
	}
	wide := egress.WithInternalHosts([]string{"*.pages.test"},
		netip.MustParsePrefix("169.254.0.0/15"), netip.MustParsePrefix("fd00::/8"))
	for _, tt := range []struct {
		name  string
		dst   string
		opt   egress.Option
		allow bool
	}{
		{"metadata v4 in a wide prefix", "imds.pages.test", wide, false},
		{"metadata v6 in a wide prefix", "imds6.pages.test", wide, false},
		{"metadata v4 paired exactly", "imds.pages.test", egress.WithInternalHosts([]string{"imds.pages.test"}, netip.PrefixFrom(imds4, 32)), true},
		{"own address for an unpaired name", "runner.pages.test", egress.WithInternalHosts([]string{"docker.corp.test"}, netip.PrefixFrom(own, 64)), false},
		{"own address for its paired name", "runner.pages.test", egress.WithInternalHosts([]string{"runner.pages.test"}, netip.PrefixFrom(own, 64)), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newEchoServer(t)
			var dials atomic.Int32
			dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
				dials.Add(1)
				var d net.Dialer
				return d.DialContext(ctx, network, srv.addr)
			}
			_, paddr := startProxy(t, al, &recorder{}, egress.WithResolver(res), egress.WithDialer(dial),
				egress.WithInterfaceAddrs(ifaces), tt.opt)
			resp, body, c := rawConnect(t, paddr, tt.dst+":80", basic(tokenA))
			if tt.allow {
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("status %d %q, want 200", resp.StatusCode, body)
				}
				echo(t, c, "hello")
				return
			}
			if resp.StatusCode != http.StatusForbidden || resp.Header.Get(egress.HeaderRule) != egress.RuleInternalAddress || dials.Load() != 0 {
				t.Errorf("status %d, rule %q, %d dials: want 403 %s without a dial", resp.StatusCode, resp.Header.Get(egress.HeaderRule), dials.Load(), egress.RuleInternalAddress)
			}
		})
	}
}

// TestReview23InternalHostsConfig: a pairing that would lift the check for
// any name, or that lifts nothing it says, is refused.
func TestReview23InternalHostsConfig(t *testing.T) {
	t.Parallel()
	rules := testRules(t, 443)
	ten := netip.MustParsePrefix("10.0.0.0/8")
	for _, tt := range []struct {
		name     string
		hosts    []string
		prefixes []netip.Prefix
	}{
		{"no hosts", nil, []netip.Prefix{ten}},
		{"no prefixes", []string{"registry.corp.test"}, nil},
		{"any host", []string{"*"}, []netip.Prefix{ten}},
		{"glob not ending a label", []string{"*corp.test"}, []netip.Prefix{ten}},
		{"upper case", []string{"Registry.corp.test"}, []netip.Prefix{ten}},
		{"empty host", []string{""}, []netip.Prefix{ten}},
		{"literal outside the prefixes", []string{"192.168.1.1"}, []netip.Prefix{ten}},
		{"literal with a zone", []string{"fe80::1%eth0"}, []netip.Prefix{netip.MustParsePrefix("fe80::1/128")}},
		{"metadata literal in a wide prefix", []string{"169.254.169.254"}, []netip.Prefix{netip.MustParsePrefix("169.254.0.0/15")}},
		{"prefix lifting nothing", []string{"imds.corp.test"}, []netip.Prefix{netip.MustParsePrefix("169.254.169.0/24")}},
		{"all of IPv4", []string{"registry.corp.test"}, []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}},
		{"invalid prefix", []string{"registry.corp.test"}, []netip.Prefix{{}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := egress.New(verifier, identity.MatchID(jobA.ID()), rules, &recorder{}, egress.WithInternalHosts(tt.hosts, tt.prefixes...))
			if err == nil || !errors.Is(err, egress.ErrConfig) {
				t.Errorf("err %v, want ErrConfig", err)
			}
		})
	}
	if _, err := egress.New(verifier, identity.MatchID(jobA.ID()), rules, &recorder{},
		egress.WithInternalHosts([]string{"*.corp.test", "10.1.2.3", "169.254.169.254"}, ten, netip.MustParsePrefix("169.254.169.254/32"))); err != nil {
		t.Errorf("a valid pairing: %v", err)
	}
}
