package netaddr_test

import (
	"errors"
	"net"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ztci/ztci/internal/netaddr"
)

var errReview35List = errors.New("review35: cannot list interfaces")

// TestReview35OwnContains: Own reports the listed addresses (IPv4-mapped
// and zoned forms too), reuses a list for OwnTTL, lists again after it,
// and returns the listing's error (listing again on the next call).
func TestReview35OwnContains(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		a := netip.MustParseAddr("8.8.4.4")
		b := netip.MustParseAddr("2606:4700::1111")
		calls, fail := 0, false
		cur := []net.Addr{&net.IPNet{IP: a.AsSlice(), Mask: net.CIDRMask(24, 32)}}
		o := netaddr.NewOwn(func() ([]net.Addr, error) {
			calls++
			if fail {
				return nil, errReview35List
			}
			return cur, nil
		})
		want := func(x netip.Addr, in bool) {
			t.Helper()
			got, err := o.Contains(x)
			if err != nil || got != in {
				t.Fatalf("Contains(%s) = %v, %v; want %v, nil", x, got, err, in)
			}
		}
		want(a, true)
		want(netip.AddrFrom16(a.As16()), true)
		want(b, false)
		cur = append(cur, &net.IPAddr{IP: b.AsSlice()})
		want(b.WithZone("eth0"), false) // the list is reused within OwnTTL
		if calls != 1 {
			t.Fatalf("listed %d times within OwnTTL, want 1", calls)
		}
		time.Sleep(netaddr.OwnTTL)
		want(b.WithZone("eth0"), true)
		time.Sleep(netaddr.OwnTTL)
		fail = true
		if _, err := o.Contains(a); !errors.Is(err, errReview35List) {
			t.Fatalf("Contains with a failing list: err = %v, want the listing error", err)
		}
		fail = false
		want(a, true) // listed again at once
		if calls != 4 {
			t.Fatalf("listed %d times, want 4", calls)
		}
	})
}
