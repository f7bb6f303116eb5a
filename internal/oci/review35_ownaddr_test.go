package oci_test

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ztci/ztci/internal/oci"
	"github.com/ztci/ztci/internal/oci/ocitest"
)

// review35InterfaceAddr returns a non-loopback address of one of the test
// machine's interfaces that a server can listen on, or skips.
func review35InterfaceAddr(t *testing.T) netip.Addr {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Skipf("cannot list the test machine's interface addresses: %v", err)
	}
	for _, x := range addrs {
		n, ok := x.(*net.IPNet)
		if !ok {
			continue
		}
		a, ok := netip.AddrFromSlice(n.IP)
		if !ok {
			continue
		}
		a = a.Unmap()
		if a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsUnspecified() || a.IsMulticast() {
			continue
		}
		l, err := net.Listen("tcp", netip.AddrPortFrom(a, 0).String())
		if err != nil {
			continue
		}
		_ = l.Close()
		return a
	}
	t.Skip("the test machine has no non-loopback interface address to listen on")
	return netip.Addr{}
}

// TestReview35RedirectToOwnAddress: a registry (on 127.0.0.1) that
// redirects a blob read to an address of the gate host's own interfaces,
// where a service of the host listens (its admin or metrics port, a local
// agent), gets the read refused with ErrInternalAddress, and that service
// receives no request. Before, only non-public addresses were refused, so
// on a host with a public interface address the redirect reached the
// host's own services. (On a machine whose interface addresses are all
// non-public this case is refused as non-public as well; the own-address
// check itself is covered by TestReview35AddrPolicyOwn.)
func TestReview35RedirectToOwnAddress(t *testing.T) {
	t.Parallel()
	own := review35InterfaceAddr(t)

	var hits atomic.Int64
	l, err := net.Listen("tcp", netip.AddrPortFrom(own, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	target := httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		rw.WriteHeader(http.StatusOK)
	}))
	_ = target.Listener.Close()
	target.Listener = l
	target.Start()
	t.Cleanup(target.Close)

	var on atomic.Bool
	reg := ocitest.Start(t, ocitest.GGCRNoReferrers, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if on.Load() && r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/sha256:") {
				http.Redirect(rw, r, target.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
				return
			}
			h.ServeHTTP(rw, r)
		})
	})
	dig := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 35)

	c := oci.NewClient(review31Config(t), false)
	f, err := c.GetManifest(t.Context(), dig.Context(), dig.DigestStr(), nil, oci.MediaTypeOCIManifest+", application/vnd.docker.distribution.manifest.v2+json", "manifest")
	if err != nil {
		t.Fatal(err)
	}
	m, err := v1.ParseManifest(strings.NewReader(string(f.Body)))
	if err != nil {
		t.Fatal(err)
	}
	on.Store(true)

	_, err = c.GetBlob(t.Context(), dig.Context(), m.Config, 1<<20, "config")
	var ie *oci.InternalAddressError
	if !errors.Is(err, oci.ErrInternalAddress) || !errors.Is(err, oci.ErrRegistry) || !errors.As(err, &ie) {
		t.Fatalf("redirect to the host's own address %s: err = %v, want ErrInternalAddress", own, err)
	}
	if ie.Addr != own {
		t.Fatalf("refused address = %s, want %s", ie.Addr, own)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the host's own service got %d requests", n)
	}
}
