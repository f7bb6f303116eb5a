package origin_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/ztci/ztci/internal/origin"
)

func parse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSame(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{"https://a.test/x", "https://a.test/y?q", true},
		{"https://a.test", "https://A.TEST:443/", true},
		{"http://127.0.0.1/", "http://127.0.0.1:80/x", true},
		{"https://a.test", "http://a.test", false},
		{"https://a.test", "https://a.test:8443", false},
		{"https://a.test", "https://b.test", false},
		{"https://a.test", "https://sub.a.test", false},
		{"https:///x", "https:///x", false},
		{"/x", "/x", false},
	} {
		if got := origin.Same(parse(t, tt.a), parse(t, tt.b)); got != tt.want {
			t.Errorf("Same(%s, %s) = %v", tt.a, tt.b, got)
		}
	}
}

func TestSecure(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"https://a.test": true, "HTTPS://a.test/x": true, "http://127.0.0.1:8080": true, "http://[::1]/": true, "http://localhost": false,
		"http://a.test": false, "http://10.0.0.1": false, "http://localhost.evil.test": false, "ftp://a.test": false, "https:///x": false,
	} {
		if got := origin.Secure(parse(t, s)); got != want {
			t.Errorf("Secure(%s) = %v, want %v", s, got, want)
		}
	}
}

// TestPin: the pinned transport sends the credential-bearing request to its
// origin only, and never re-sends it after a redirect, whatever the client's
// CheckRedirect (here Go's default, which keeps Authorization on a redirect
// to the same host name on another port or scheme).
func TestPin(t *testing.T) {
	t.Parallel()
	var reached atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached.Add(1) }))
	t.Cleanup(other.Close)
	var hops atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
		case "/away":
			http.Redirect(w, r, other.URL+"/x", http.StatusTemporaryRedirect)
		case "/here":
			hops.Add(1)
			http.Redirect(w, r, "/ok", http.StatusTemporaryRedirect)
		}
	}))
	t.Cleanup(srv.Close)
	c := &http.Client{Transport: origin.Pin(parse(t, srv.URL), nil)}
	resp, err := c.Get(srv.URL + "/ok")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, path := range []string{"/away", "/here"} {
		_, err := c.Post(srv.URL+path, "text/plain", nil)
		var oe *origin.Error
		if !errors.Is(err, origin.ErrRefused) || !errors.As(err, &oe) || !oe.Redirect {
			t.Fatalf("%s: err = %v, want a refused redirect", path, err)
		}
	}
	if _, err := c.Get(other.URL); !errors.Is(err, origin.ErrRefused) {
		t.Fatalf("request to another origin: %v", err)
	}
	if reached.Load() != 0 || hops.Load() != 1 {
		t.Fatalf("other origin reached %d times; same-origin redirect served %d times", reached.Load(), hops.Load())
	}
}
