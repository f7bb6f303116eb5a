package httpauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/httpauth"
)

const canary = "canary-token-6f1d2e"

var canarySource = identity.TokenSourceFunc(func(context.Context) (string, error) { return canary, nil })

// sawToken counts requests that carried the canary anywhere in their
// headers.
func sawToken(n *atomic.Int32) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for _, vs := range r.Header {
			for _, v := range vs {
				if strings.Contains(v, canary) {
					n.Add(1)
				}
			}
		}
		w.Write([]byte("ok"))
	}
}

// TestTransportKeepsTokenInItsOrigin redirects a token-carrying request
// from a TLS origin on 127.0.0.1 to another port (TLS), to plain HTTP and
// within the origin, and checks that the token reaches only the origin.
func TestTransportKeepsTokenInItsOrigin(t *testing.T) {
	t.Parallel()
	var atOther, atPlain, atOrigin atomic.Int32
	other := httptest.NewTLSServer(sawToken(&atOther))
	defer other.Close()
	plain := httptest.NewServer(sawToken(&atPlain))
	defer plain.Close()
	var origin *httptest.Server
	origin = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-other":
			http.Redirect(w, r, other.URL+"/x", http.StatusFound)
		case "/to-plain":
			// Plain HTTP on the same host, 127.0.0.1: a downgrade.
			http.Redirect(w, r, plain.URL+"/x", http.StatusFound)
		case "/to-plain-307":
			http.Redirect(w, r, plain.URL+"/x", http.StatusTemporaryRedirect)
		case "/within":
			http.Redirect(w, r, origin.URL+"/landed", http.StatusMovedPermanently)
		default:
			sawToken(&atOrigin)(w, r)
		}
	}))
	defer origin.Close()
	rt, err := httpauth.RoundTripper(origin.URL, canarySource, origin.Client().Transport)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: rt}
	for _, path := range []string{"/to-other", "/to-plain", "/to-plain-307"} {
		resp, err := client.Get(origin.URL + path)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("GET %s followed the redirect", path)
		}
		var oe *httpauth.OriginError
		if !errors.Is(err, httpauth.ErrOrigin) || !errors.As(err, &oe) {
			t.Fatalf("GET %s: %v, want ErrOrigin", path, err)
		}
		if strings.Contains(err.Error(), canary) {
			t.Fatalf("error holds the token: %v", err)
		}
	}
	if n := atOther.Load() + atPlain.Load(); n != 0 {
		t.Fatalf("token crossed origins %d times", n)
	}
	resp, err := client.Get(origin.URL + "/within")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if atOrigin.Load() != 1 {
		t.Fatalf("redirect within the origin: token seen %d times at the landing page, want 1", atOrigin.Load())
	}
	// A request the client addresses elsewhere directly is refused too.
	if _, err := client.Get(other.URL); !errors.Is(err, httpauth.ErrOrigin) {
		t.Fatalf("GET other origin: %v, want ErrOrigin", err)
	}
	if atOther.Load() != 0 {
		t.Fatal("direct request to another origin was sent")
	}
}

// TestTransportPlainHTTPLoopbackOnly: a plain-HTTP origin is accepted only
// on loopback, and even there a redirect to another port is refused.
func TestTransportPlainHTTPLoopbackOnly(t *testing.T) {
	t.Parallel()
	var atOther atomic.Int32
	other := httptest.NewServer(sawToken(&atOther))
	defer other.Close()
	origin := httptest.NewServer(http.RedirectHandler(other.URL, http.StatusSeeOther))
	defer origin.Close()
	rt, err := httpauth.RoundTripper(origin.URL, canarySource, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&http.Client{Transport: rt}).Get(origin.URL); !errors.Is(err, httpauth.ErrOrigin) || atOther.Load() != 0 {
		t.Fatalf("redirect to another loopback port: %v (token seen %d times)", err, atOther.Load())
	}
	for _, bad := range []string{"http://ci.example.com", "http://10.0.0.1:8080", "ftp://127.0.0.1", "https://h.test/path",
		"https://h.test?q=1", "https://u:p@h.test", "h.test", ""} {
		if _, err := httpauth.RoundTripper(bad, canarySource, nil); !errors.Is(err, httpauth.ErrConfig) {
			t.Errorf("RoundTripper(%q) = %v, want ErrConfig", bad, err)
		}
	}
	if _, err := httpauth.RoundTripper("https://h.test", nil, nil); !errors.Is(err, httpauth.ErrConfig) {
		t.Errorf("nil source: %v, want ErrConfig", err)
	}
}
