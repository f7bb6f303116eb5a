package oci

import (
	"errors"
	"net/http"
	"net/url"
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
