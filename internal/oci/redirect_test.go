package oci

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestCheckRedirect(t *testing.T) {
	t.Parallel()
	req := func(method, u string) *http.Request {
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		return &http.Request{Method: method, URL: pu}
	}
	get := req(http.MethodGet, "https://registry.example/v2/app/blobs/sha256:00")
	tests := []struct {
		name string
		next *http.Request
		via  []*http.Request
		ok   bool
	}{
		{"blob read to a CDN over https", req(http.MethodGet, "https://cdn.example/blob"), []*http.Request{get}, true},
		{"downgrade to http", req(http.MethodGet, "http://cdn.example/blob"), []*http.Request{get}, false},
		{"a write redirected", req(http.MethodPut, "https://elsewhere.example/upload"),
			[]*http.Request{req(http.MethodPut, "https://registry.example/v2/app/manifests/v1")}, false},
		{"too many", req(http.MethodGet, "https://cdn.example/6"), []*http.Request{get, get, get, get, get, get}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkRedirect(tt.next, tt.via)
			if tt.ok != (err == nil) || (err != nil && !errors.Is(err, ErrRegistry)) {
				t.Fatalf("checkRedirect = %v, want ok=%v (errors wrap ErrRegistry)", err, tt.ok)
			}
		})
	}
}

// TestGuard: under the auth transport, whatever client sent the request
// (go-containerregistry's own clients follow redirects of writes, turn a
// POST answered 302 into a GET, and set no bound), a request created by
// redirecting a write, a long chain, or plain http to an https registry is
// refused before it reaches the network.
func TestGuard(t *testing.T) {
	t.Parallel()
	var sent int
	base := roundTripFunc(func(*http.Request) (*http.Response, error) {
		sent++
		return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody}, nil
	})
	req := func(method, u string, prev *http.Request) *http.Request {
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		r := &http.Request{Method: method, URL: pu, Header: http.Header{}}
		if prev != nil {
			r.Response = &http.Response{StatusCode: http.StatusFound, Request: prev}
		}
		return r
	}
	post := req(http.MethodPost, "https://registry.example/v2/app/blobs/uploads/", nil)
	get := req(http.MethodGet, "https://registry.example/v2/app/blobs/sha256:00", nil)
	chain := get
	for range maxRedirects + 1 {
		chain = req(http.MethodGet, "https://cdn.example/b", chain)
	}
	tests := []struct {
		name  string
		https bool
		r     *http.Request
		ok    bool
	}{
		{"a read", true, get, true},
		{"a write", true, post, true},
		{"a read redirected", true, req(http.MethodGet, "https://cdn.example/b", get), true},
		{"a write redirected", true, req(http.MethodPost, "https://elsewhere.example/u", post), false},
		{"a POST turned into a GET by a 302", true, req(http.MethodGet, "https://elsewhere.example/u", post), false},
		{"a write redirected within the registry", true, req(http.MethodPut, "https://registry.example/v2/x", post), false},
		{"too many redirects", true, chain, false},
		{"plain http to an https registry", true, req(http.MethodGet, "http://registry.example/v2/", nil), false},
		{"plain http to an http registry", false, req(http.MethodGet, "http://127.0.0.1:5000/v2/", nil), true},
		{"anonymous plain http to a private registry", false, req(http.MethodGet, "http://10.0.0.5:5000/v2/", nil), true},
		{"credentials over plain http to a private registry", false, req(http.MethodGet, "http://10.0.0.5:5000/v2/", nil), false},
		{"credentials over plain http to a loopback registry", false, req(http.MethodGet, "http://127.0.0.1:5000/v2/", nil), true},
	}
	for _, tt := range tests {
		sent = 0
		credentialed := strings.HasPrefix(tt.name, "credentials")
		resp, err := guard{base: base, https: tt.https, credentialed: credentialed}.RoundTrip(tt.r)
		if tt.ok != (err == nil) || (err != nil && !errors.Is(err, ErrRegistry)) {
			t.Errorf("%s: err = %v, want ok=%v (errors wrap ErrRegistry)", tt.name, err, tt.ok)
		}
		if resp != nil {
			resp.Body.Close()
		}
		if !tt.ok && sent != 0 {
			t.Errorf("%s: refused request was sent", tt.name)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
