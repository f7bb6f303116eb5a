package attach_test

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/internal/oci/ocitest"
)

// redirectWrites answers every write to the registry's blob endpoints with
// a redirect to target(r); reads and manifests pass.
func redirectWrites(on *atomic.Bool, code int, target func(*http.Request) string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if on.Load() && r.Method != http.MethodGet && r.Method != http.MethodHead && strings.Contains(r.URL.Path, "/blobs/") {
				http.Redirect(w, r, target(r), code)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
}

// TestRedirectedBlobWriteFails: go-containerregistry's blob upload (whose
// http.Client follows redirects for any method) is refused when the
// registry redirects a write, to another origin or within its own: the
// upload fails, the other origin receives nothing, and Bundle does not
// loop.
func TestRedirectedBlobWriteFails(t *testing.T) {
	t.Parallel()
	for _, code := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect, http.StatusFound} {
		for _, sameOrigin := range []bool{false, true} {
			t.Run(http.StatusText(code)+map[bool]string{false: " elsewhere", true: " same origin"}[sameOrigin], func(t *testing.T) {
				t.Parallel()
				var reached atomic.Int32
				other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					reached.Add(1)
					w.Header().Set("Location", "/v2/app/blobs/uploads/x")
					w.WriteHeader(http.StatusCreated)
				}))
				t.Cleanup(other.Close)
				var on atomic.Bool
				reg := ocitest.Start(t, ocitest.GGCRNoReferrers, redirectWrites(&on, code, func(r *http.Request) string {
					if sameOrigin {
						return r.URL.RequestURI()
					}
					return other.URL + r.URL.RequestURI()
				}))
				tag := reg.Ref(t, "app:v1")
				d := ocitest.PushImage(t, tag, 1)
				on.Store(true)
				ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
				defer cancel()
				_, err := attach.Bundle(ctx, tag, ocitest.NewSigner("alice").Bundle(t, d.DigestStr()), opts(nil)...)
				if err == nil || ctx.Err() != nil {
					t.Fatalf("redirected blob upload: err = %v (ctx %v), want a prompt failure", err, ctx.Err())
				}
				if n := reached.Load(); n != 0 {
					t.Fatalf("the redirect target got %d requests", n)
				}
			})
		}
	}
}

// TestNoPlainHTTPToAnHTTPSRegistry: a registry reached over https that
// redirects an upload to http:// (or names an http:// upload location)
// never gets a request, credentialed or not, over plain HTTP.
func TestNoPlainHTTPToAnHTTPSRegistry(t *testing.T) {
	t.Parallel()
	var on atomic.Bool
	h := requireBasic("ci", canary)(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	srv := httptest.NewTLSServer(redirectWrites(&on, http.StatusTemporaryRedirect, func(r *http.Request) string {
		return "http://" + r.Host + r.URL.RequestURI()
	})(h))
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr) // reg.example.com is this server
	}
	rec := &recorder{base: tr}
	ref, err := name.ParseReference("reg.example.com:" + port + "/app:v1") // not loopback: https
	if err != nil {
		t.Fatal(err)
	}
	good := staticKeychain{"ci", canary}
	img := ocitest.RandomImage(t, 1)
	if err := remote.Write(ref, img, remote.WithAuthFromKeychain(good), remote.WithTransport(tr)); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	on.Store(true)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	_, err = attach.Bundle(ctx, ref, ocitest.NewSigner("alice").Bundle(t, d.String()), attach.WithKeychain(good), attach.WithTransport(rec),
		attach.WithRetryBackoff(remote.Backoff{Duration: time.Millisecond, Factor: 2, Steps: 2}))
	if err == nil || ctx.Err() != nil {
		t.Fatalf("upload redirected to http: err = %v (ctx %v), want a prompt failure", err, ctx.Err())
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.https == 0 {
		t.Fatal("no request reached the registry: the test proves nothing")
	}
	if len(rec.plain) != 0 {
		t.Fatalf("plain-HTTP requests reached the transport: %q", rec.plain)
	}
	if strings.Contains(err.Error(), canary) {
		t.Fatal("the error names the password")
	}
}

// recorder is the base transport: it records what would go on the wire.
type recorder struct {
	base  http.RoundTripper
	mu    sync.Mutex
	https int
	plain []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if req.URL.Scheme != "https" {
		r.plain = append(r.plain, req.Method+" "+req.URL.Redacted()+" authorization="+req.Header.Get("Authorization"))
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, errors.New("recorder: plain http not sent")
	}
	r.https++
	return r.base.RoundTrip(req)
}

// TestNoCredentialsOverPlainHTTP: go-containerregistry reaches a registry
// on a private address over plain http; with credentials, nothing is sent
// there (the credentials would cross the network, and any HTTP_PROXY, in
// clear). A loopback registry (every other test here) is exempt.
func TestNoCredentialsOverPlainHTTP(t *testing.T) {
	t.Parallel()
	reg := ocitest.Start(t, ocitest.GGCRNoReferrers, requireBasic("ci", canary))
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, reg.Host) // 10.255.0.1 is this registry
	}
	rec := &recorder{base: tr}
	_, port, _ := net.SplitHostPort(reg.Host)
	ref, err := name.ParseReference("10.255.0.1:" + port + "/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	if ref.Context().Scheme() != "http" {
		t.Fatalf("go-containerregistry's scheme for a private address is %q; the test assumes http", ref.Context().Scheme())
	}
	_, err = attach.Bundle(t.Context(), ref, ocitest.NewSigner("alice").Bundle(t, "sha256:"+strings.Repeat("0", 64)),
		attach.WithKeychain(staticKeychain{"ci", canary}), attach.WithTransport(rec))
	if !errors.Is(err, attach.ErrRegistry) {
		t.Fatalf("credentials over plain http: err = %v, want ErrRegistry", err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, p := range rec.plain {
		if strings.Contains(p, "authorization=B") {
			t.Fatalf("credentials sent over plain http: %s", p)
		}
	}
	if len(rec.plain) != 0 {
		t.Fatalf("requests sent over plain http: %q", rec.plain)
	}
}
