package httpauth_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/httpauth"
)

// review37Recorder is a base transport that records what would be sent.
type review37Recorder struct{ sent []*http.Request }

func (r *review37Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.sent = append(r.sent, req)
	return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Request: req}, nil
}

// TestReview37HostHeaderOutsideOrigin: the token transport compared only
// the request URL's scheme, host and port with the token's origin, but
// net/http names the host to the server otherwise: it sends Request.Host
// (when set) as the Host field or :authority, and an HTTP/1 request line
// made from URL.Opaque, or from a URL.Path that does not begin with "/"
// (a prefix cut off with strings.TrimPrefix(p, "/proxy/")), may be in
// absolute form ("GET https://attacker.example.com/x"), whose authority a
// server takes over Host. A request for https://deployer.example.com with Host
// "attacker.example.com" carried the token to whatever a front end that
// several hosts share (an ingress, a CDN, a cloud load balancer routing on
// Host) serves for that name; an httputil.ReverseProxy keeps its caller's
// Host, so a proxy with this transport let its callers choose it. Now a
// Host or an opaque request target naming another origin is refused
// (ErrOrigin) and nothing is sent.
func TestReview37HostHeaderOutsideOrigin(t *testing.T) {
	t.Parallel()
	tokens := identity.TokenSourceFunc(func(context.Context) (string, error) { return "secret-token", nil })
	host := func(h string) func(*http.Request) { return func(r *http.Request) { r.Host = h } }
	opaque := func(o string) func(*http.Request) { return func(r *http.Request) { r.URL.Opaque = o } }
	path := func(p string) func(*http.Request) { return func(r *http.Request) { r.URL.Path, r.URL.RawPath = p, "" } }
	for _, tc := range []struct {
		name string
		set  func(*http.Request)
		ok   bool
	}{
		{name: "no Host", set: host(""), ok: true},
		{name: "same host", set: host("deployer.example.com"), ok: true},
		{name: "same host, other case, default port", set: host("Deployer.Example.COM:443"), ok: true},
		{name: "other host", set: host("attacker.example.com")},
		{name: "other port", set: host("deployer.example.com:8443")},
		{name: "suffix", set: host("deployer.example.com.attacker.example")},
		{name: "userinfo-like", set: host("deployer.example.com@attacker.example")},
		{name: "not ASCII", set: host("dеployer.example.com")},
		{name: "opaque path", set: opaque("/deploy%2Fnow"), ok: true},
		{name: "opaque same authority", set: opaque("//deployer.example.com/deploy%2Fnow"), ok: true},
		{name: "opaque other authority", set: opaque("//attacker.example.com/deploy")},
		{name: "opaque absolute URL", set: opaque("https://attacker.example.com/deploy")},
		{name: "opaque absolute URL, same origin", set: opaque("https://deployer.example.com/deploy")},
		{name: "opaque not a path", set: opaque("attacker.example.com/deploy")},
		{name: "opaque asterisk", set: opaque("*")},
		{name: "empty path", set: path(""), ok: true},
		{name: "path with two slashes", set: path("//attacker.example.com/deploy"), ok: true},
		{name: "path an absolute URL", set: path("https://attacker.example.com/deploy")},
		{name: "path without slash", set: path("attacker.example.com/deploy")},
		{name: "raw path an absolute URL", set: func(r *http.Request) {
			r.URL.Path, r.URL.RawPath = "https://attacker.example.com/deploy%2F", "https://attacker.example.com/deploy%252F"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			base := &review37Recorder{}
			rt, err := httpauth.RoundTripper("https://deployer.example.com", tokens, base)
			if err != nil {
				t.Fatal(err)
			}
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://deployer.example.com/deploy", nil)
			if err != nil {
				t.Fatal(err)
			}
			tc.set(req)
			resp, err := rt.RoundTrip(req)
			if tc.ok {
				if err != nil || len(base.sent) != 1 {
					t.Fatalf("RoundTrip: %v, %d sent; want sent", err, len(base.sent))
				}
				resp.Body.Close()
				return
			}
			if !errors.Is(err, httpauth.ErrOrigin) {
				t.Errorf("RoundTrip: %v; want ErrOrigin", err)
			}
			if len(base.sent) != 0 {
				t.Errorf("RoundTrip sent the token")
			}
		})
	}
}

// TestReview37TransportOneAuthorization: the token transport set
// "Authorization" with Header.Set, which leaves a key of other case
// ("authorization", as a bridge from gRPC metadata writes it) in place,
// so the request went out with two Authorization fields, the caller's
// beside the token: a server reading the first could take the caller's.
// Now the token is the request's only Authorization field.
func TestReview37TransportOneAuthorization(t *testing.T) {
	t.Parallel()
	tokens := identity.TokenSourceFunc(func(context.Context) (string, error) { return "secret-token", nil })
	base := &review37Recorder{}
	rt, err := httpauth.RoundTripper("https://deployer.example.com", tokens, base)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://deployer.example.com/deploy", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header["authorization"] = []string{"Bearer callers-own"}
	req.Header["AUTHORIZATION"] = []string{"Bearer another"}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var got []string
	for k, vs := range base.sent[0].Header {
		if strings.EqualFold(k, "Authorization") {
			got = append(got, vs...)
		}
	}
	if len(got) != 1 || got[0] != "Bearer secret-token" {
		t.Errorf("Authorization fields sent: %d, want the token's only", len(got))
	}
	//lint:ignore SA1008 the non-canonical key is the point
	if len(req.Header["authorization"]) != 1 {
		t.Error("the caller's request was modified")
	}
}
