package oci_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ztci/ztci/internal/oci"
	"github.com/ztci/ztci/internal/oci/ocitest"
)

// redirectWorld is a real registry on 127.0.0.1 whose manifest reads by
// digest are redirected to location(storage URL, request), and a second
// server on 127.0.0.1 (another port: "internal blob storage", or an
// internal service a hostile registry points at) serving the same content
// and counting the requests it gets.
type redirectWorld struct {
	reg     ocitest.Registry
	storage *httptest.Server
	hits    *atomic.Int64
	digest  name.Digest
}

func newRedirectWorld(t *testing.T, location func(storage string, r *http.Request) string) *redirectWorld {
	t.Helper()
	w := &redirectWorld{hits: &atomic.Int64{}}
	var inner http.Handler
	var on atomic.Bool
	w.reg = ocitest.Start(t, ocitest.GGCRNoReferrers, func(h http.Handler) http.Handler {
		inner = h
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if on.Load() && r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/manifests/sha256:") && r.URL.Query().Get("direct") == "" {
				http.Redirect(rw, r, location(w.storage.URL, r), http.StatusTemporaryRedirect)
				return
			}
			h.ServeHTTP(rw, r)
		})
	})
	w.storage = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.hits.Add(1)
		inner.ServeHTTP(rw, r)
	}))
	t.Cleanup(w.storage.Close)
	w.digest = ocitest.PushImage(t, w.reg.Ref(t, "app:v1"), 31)
	on.Store(true)
	return w
}

// get reads the image manifest by digest through a client configured by cfg.
func (w *redirectWorld) get(ctx context.Context, t *testing.T, cfg oci.Config) error {
	t.Helper()
	h, err := v1.NewHash(w.digest.DigestStr())
	if err != nil {
		t.Fatal(err)
	}
	c := oci.NewClient(cfg, false)
	_, err = c.GetManifest(ctx, w.digest.Context(), w.digest.DigestStr(), &h, oci.MediaTypeOCIManifest+", application/vnd.docker.distribution.manifest.v2+json", "manifest")
	return err
}

func review31Config(t *testing.T, allow ...string) oci.Config {
	t.Helper()
	cfg := oci.DefaultConfig()
	if err := cfg.SetKeychain(authn.NewMultiKeychain()); err != nil { // anonymous
		t.Fatal(err)
	}
	if err := cfg.SetBackoff(remote.Backoff{Duration: 0, Factor: 1, Steps: 1}); err != nil {
		t.Fatal(err)
	}
	if err := cfg.AddInternalRedirects(allow...); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func storagePort(storage string) string {
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(storage, "http://"))
	return port
}

// TestReview31RedirectToInternalAddress: a registry that redirects a read
// to a loopback, private or link-local address (an internal service, the
// cloud metadata endpoint), by IP literal or by a name that resolves to
// one, gets the read refused with ErrInternalAddress, and the target
// receives no request. Before, the client followed the redirect anywhere.
func TestReview31RedirectToInternalAddress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		location func(storage string, r *http.Request) string
		hitsOK   bool // the target is not the counting server
	}{
		{name: "loopback literal, another port", location: func(s string, r *http.Request) string { return s + r.URL.RequestURI() + "?direct=1" }},
		{name: "name resolving to loopback", location: func(s string, r *http.Request) string {
			return "http://localhost:" + storagePort(s) + r.URL.RequestURI() + "?direct=1"
		}},
		{name: "IPv4-mapped loopback", location: func(s string, r *http.Request) string {
			return "http://[::ffff:127.0.0.1]:" + storagePort(s) + r.URL.RequestURI() + "?direct=1"
		}},
		{name: "cloud metadata", hitsOK: true, location: func(string, *http.Request) string {
			return "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
		}},
		{name: "RFC 1918", hitsOK: true, location: func(string, *http.Request) string { return "http://10.0.0.1/admin/delete" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newRedirectWorld(t, tt.location)
			err := w.get(t.Context(), t, review31Config(t))
			var ie *oci.InternalAddressError
			if !errors.Is(err, oci.ErrInternalAddress) || !errors.Is(err, oci.ErrRegistry) || !errors.As(err, &ie) {
				t.Fatalf("redirect to an internal address: err = %v, want ErrInternalAddress", err)
			}
			if n := w.hits.Load(); n != 0 {
				t.Fatalf("the internal target got %d requests", n)
			}
		})
	}
}

// TestReview31RedirectAllowed: the registry's own origin, and internal
// storage the vendor allowed (by prefix, address or name), keep working.
func TestReview31RedirectAllowed(t *testing.T) {
	t.Parallel()
	lit := func(s string, r *http.Request) string { return s + r.URL.RequestURI() + "?direct=1" }
	tests := []struct {
		name      string
		allow     []string
		location  func(storage string, r *http.Request) string
		wantStore bool
	}{
		{name: "same registry origin", location: func(_ string, r *http.Request) string { return r.URL.Path + "?direct=1" }},
		{name: "allowed prefix", allow: []string{"127.0.0.0/8"}, location: lit, wantStore: true},
		{name: "allowed address", allow: []string{"127.0.0.1"}, location: lit, wantStore: true},
		{name: "allowed name", allow: []string{"LocalHost."}, wantStore: true, location: func(s string, r *http.Request) string {
			return "http://localhost:" + storagePort(s) + r.URL.RequestURI() + "?direct=1"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newRedirectWorld(t, tt.location)
			if err := w.get(t.Context(), t, review31Config(t, tt.allow...)); err != nil {
				t.Fatalf("allowed redirect: %v", err)
			}
			if got := w.hits.Load() != 0; got != tt.wantStore {
				t.Fatalf("storage reached = %v, want %v", got, tt.wantStore)
			}
		})
	}
}

// TestReview31RedirectCustomDialer: with a vendor's *http.Transport that
// has its own dialer, the address it connected to is checked before a
// request is written.
func TestReview31RedirectCustomDialer(t *testing.T) {
	t.Parallel()
	w := newRedirectWorld(t, func(s string, r *http.Request) string {
		return "http://localhost:" + storagePort(s) + r.URL.RequestURI() + "?direct=1"
	})
	cfg := review31Config(t)
	if err := cfg.SetTransport(&http.Transport{DialContext: (&net.Dialer{}).DialContext}); err != nil {
		t.Fatal(err)
	}
	if err := w.get(t.Context(), t, cfg); !errors.Is(err, oci.ErrInternalAddress) {
		t.Fatalf("redirect to localhost through a custom dialer: %v, want ErrInternalAddress", err)
	}
	if n := w.hits.Load(); n != 0 {
		t.Fatalf("the internal target got %d requests", n)
	}
}

// TestReview31RedirectUserinfo: a Location with user information (which
// net/http turns into an Authorization header of the registry's choosing)
// is refused, even to an allowed target.
func TestReview31RedirectUserinfo(t *testing.T) {
	t.Parallel()
	w := newRedirectWorld(t, func(s string, r *http.Request) string {
		return "http://admin:hunter2@" + strings.TrimPrefix(s, "http://") + r.URL.RequestURI() + "?direct=1"
	})
	err := w.get(t.Context(), t, review31Config(t, "127.0.0.1"))
	if !errors.Is(err, oci.ErrRegistry) || err == nil {
		t.Fatalf("redirect with userinfo: %v, want ErrRegistry", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the error quotes the Location's password: %v", err)
	}
	if n := w.hits.Load(); n != 0 {
		t.Fatalf("the target got %d requests", n)
	}
}

// TestReview31TokenRealmInternal: the WWW-Authenticate realm is the
// registry's to write too; an unconfigured realm on an internal address
// gets no request (go-containerregistry's token exchange would GET it).
func TestReview31TokenRealmInternal(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	internal := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = rw.Write([]byte(`{"token":"t"}`))
	}))
	t.Cleanup(internal.Close)
	reg := ocitest.Start(t, ocitest.GGCRNoReferrers, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") == "" {
				// go-containerregistry refuses an IP literal realm on a
				// private address itself; a name that resolves to one
				// it sends the token request to.
				rw.Header().Set("WWW-Authenticate", `Bearer realm="http://localhost:`+storagePort(internal.URL)+`/token",service="x"`)
				rw.WriteHeader(http.StatusUnauthorized)
				return
			}
			h.ServeHTTP(rw, r)
		})
	})
	repo := reg.Ref(t, "app:v1").Context()
	c := oci.NewClient(review31Config(t), false)
	_, err := c.GetManifest(t.Context(), repo, "v1", nil, oci.MediaTypeOCIManifest, "manifest")
	if !errors.Is(err, oci.ErrInternalAddress) {
		t.Fatalf("realm on an internal address: %v, want ErrInternalAddress", err)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the internal realm got %d requests", n)
	}
}

// TestReview31InternalRedirectsConfig: AddInternalRedirects takes
// prefixes, addresses and host names, and rejects what would turn the
// check off or is not a host.
func TestReview31InternalRedirectsConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		target string
		ok     bool
	}{
		{name: "prefix", target: "10.20.0.0/16", ok: true},
		{name: "ipv6 prefix", target: "fd00:1::/64", ok: true},
		{name: "address", target: "10.1.2.3", ok: true},
		{name: "host", target: "minio.storage.internal", ok: true},
		{name: "every ipv4 address", target: "0.0.0.0/0"},
		{name: "every ipv6 address", target: "::/0"},
		{name: "url", target: "http://minio.internal/"},
		{name: "host and port", target: "minio.internal:9000"},
		{name: "wildcard", target: "*.internal"},
		{name: "empty", target: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := oci.DefaultConfig()
			err := cfg.AddInternalRedirects(tt.target)
			if tt.ok != (err == nil) || (err != nil && !errors.Is(err, oci.ErrConfig)) {
				t.Fatalf("AddInternalRedirects(%q) = %v, want ok=%v", tt.target, err, tt.ok)
			}
		})
	}
}

// TestReview31RefusedRedirectNotEchoed: when the client itself refuses a
// redirect (an internal address, a downgrade), net/http's error quotes
// the Location, whose query may be a pre-signed storage credential and
// whose text is the registry's: the error carries neither the query nor
// more than a clipped host. Before, such errors were returned unchanged.
func TestReview31RefusedRedirectNotEchoed(t *testing.T) {
	t.Parallel()
	const canary = "SIG-CANARY-31"
	long := strings.Repeat("a", 4000)
	w := newRedirectWorld(t, func(s string, r *http.Request) string {
		return "http://169.254.169.254/" + long + "?X-Amz-Signature=" + canary
	})
	err := w.get(t.Context(), t, review31Config(t))
	if !errors.Is(err, oci.ErrInternalAddress) {
		t.Fatalf("err = %v, want ErrInternalAddress", err)
	}
	if msg := err.Error(); strings.Contains(msg, canary) || len(msg) > 1024 {
		t.Fatalf("the refused Location is echoed (%d bytes): %.300s", len(msg), msg)
	}
}

// TestReview31RedirectThroughProxy: with a proxy (HTTPS_PROXY, or a
// transport's Proxy function) on a private or loopback address, redirects
// to public names keep working: the dial to the vendor's proxy is not
// refused, and only IP literal destinations are checked (the proxy
// resolves names).
func TestReview31RedirectThroughProxy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		target string
		want   error
	}{
		{name: "name through the proxy", target: "http://storage.example"},
		{name: "internal literal through the proxy", target: "http://10.0.0.1", want: oci.ErrInternalAddress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var proxied atomic.Int64
			var inner http.Handler
			proxy := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				proxied.Add(1)
				inner.ServeHTTP(rw, r) // a forward proxy "to storage.example"
			}))
			t.Cleanup(proxy.Close)
			w := newRedirectWorld(t, func(_ string, r *http.Request) string { return tt.target + r.URL.RequestURI() + "?direct=1" })
			// the redirect world's storage serves the registry's content too
			inner = w.storage.Config.Handler
			pu, err := url.Parse(proxy.URL)
			if err != nil {
				t.Fatal(err)
			}
			cfg := review31Config(t)
			if err := cfg.SetTransport(&http.Transport{Proxy: func(r *http.Request) (*url.URL, error) {
				if r.URL.Hostname() == "127.0.0.1" {
					return nil, nil // the registry itself, directly
				}
				return pu, nil
			}}); err != nil {
				t.Fatal(err)
			}
			err = w.get(t.Context(), t, cfg)
			if tt.want == nil && (err != nil || proxied.Load() == 0) {
				t.Fatalf("redirect through the proxy: err = %v, %d proxied", err, proxied.Load())
			}
			if tt.want != nil && (!errors.Is(err, tt.want) || proxied.Load() != 0) {
				t.Fatalf("redirect through the proxy: err = %v, %d proxied; want %v, none", err, proxied.Load(), tt.want)
			}
		})
	}
}
