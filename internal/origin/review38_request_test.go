package origin_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ztci/ztci/internal/origin"
)

// review38Body records whether it was closed.
type review38Body struct {
	io.Reader
	closed atomic.Bool
}

func (b *review38Body) Close() error { b.closed.Store(true); return nil }

// TestReview38PinRequestTarget: Pin compared only the request URL's
// scheme, host and port with its origin, but net/http names the host to
// the server otherwise: it sends Request.Host (when set) as the Host field
// or HTTP/2 :authority, and writes the HTTP/1 request line from URL.Opaque
// ("//other.example/x" as "https://other.example/x") or from a URL.Path
// that does not begin with "/" as it stands, in absolute form, whose
// authority a server takes over Host. A front end that several hosts
// share (an ingress, a CDN) routes on either, so a request for Fulcio's
// URL with Host "attacker.example" carried the job's OIDC token to
// whatever that front end serves for attacker.example. Now OfRequest is
// the origin the request names to the server ("" when it names none, or
// more than one), and Pin refuses, closing the body, every request whose
// OfRequest is not its origin.
func TestReview38PinRequestTarget(t *testing.T) {
	t.Parallel()
	const pin, want = "https://fulcio.example/", "https://fulcio.example:443"
	host := func(h string) func(*http.Request) { return func(r *http.Request) { r.Host = h } }
	opaque := func(o string) func(*http.Request) { return func(r *http.Request) { r.URL.Opaque = o } }
	path := func(p string) func(*http.Request) { return func(r *http.Request) { r.URL.Path, r.URL.RawPath = p, "" } }
	for _, tc := range []struct {
		name string
		set  func(*http.Request)
		want string // OfRequest; Pin sends the request when it is want
	}{
		{name: "as built", set: func(*http.Request) {}, want: want},
		{name: "same Host", set: host("fulcio.example"), want: want},
		{name: "same Host, other case, default port", set: host("FULCIO.Example:443"), want: want},
		{name: "other Host", set: host("attacker.example"), want: "https://attacker.example:443"},
		{name: "other port", set: host("fulcio.example:8443"), want: "https://fulcio.example:8443"},
		{name: "Host with suffix", set: host("fulcio.example.attacker.example"), want: "https://fulcio.example.attacker.example:443"},
		{name: "Host with userinfo", set: host("fulcio.example@attacker.example")},
		{name: "Host not ASCII", set: host("fulcіo.example")},
		{name: "Host with a control character", set: host("fulcio.example\r\nX: y")},
		{name: "opaque origin form", set: opaque("/api/v2/signingCert%2Fx"), want: want},
		{name: "opaque same authority", set: opaque("//fulcio.example/api/v2/signingCert"), want: want},
		{name: "opaque other authority", set: opaque("//attacker.example/api"), want: "https://attacker.example:443"},
		{name: "opaque other authority with userinfo", set: opaque("//fulcio.example@attacker.example/api"), want: "https://attacker.example:443"},
		{name: "opaque unparsable authority", set: opaque("//fulcio.example\x7f/api")},
		{name: "opaque absolute form", set: opaque("https://attacker.example/api")},
		{name: "opaque absolute form, same origin", set: opaque("https://fulcio.example/api")},
		{name: "opaque authority form", set: opaque("attacker.example:443")},
		{name: "opaque asterisk", set: opaque("*")},
		{name: "empty path", set: path(""), want: want},
		{name: "path with two slashes", set: path("//attacker.example/api"), want: want},
		{name: "path an absolute URL", set: path("https://attacker.example/api")},
		{name: "path without slash", set: path("attacker.example/api")},
		{name: "path asterisk", set: path("*")},
		{name: "raw path an absolute URL", set: func(r *http.Request) {
			r.URL.Path, r.URL.RawPath = "https://attacker.example/api%2F", "https://attacker.example/api%252F"
		}},
		{name: "no URL host", set: func(r *http.Request) { r.URL.Host = "" }},
		{name: "no URL host, Host set", set: func(r *http.Request) { r.URL.Host, r.Host = "", "fulcio.example" }},
		{name: "no URL", set: func(r *http.Request) { r.URL = nil }},
		{name: "no URL, Host set", set: func(r *http.Request) { r.URL, r.Host = nil, "fulcio.example" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body := &review38Body{Reader: strings.NewReader("token")}
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "https://fulcio.example/api/v2/signingCert", body)
			if err != nil {
				t.Fatal(err)
			}
			tc.set(req)
			if got := origin.OfRequest(req); got != tc.want {
				t.Errorf("OfRequest = %q, want %q", got, tc.want)
			}
			rec := &recorder{}
			resp, err := origin.Pin(parse(t, pin), rec).RoundTrip(req)
			if tc.want == want {
				if err != nil || rec.sent != 1 {
					t.Fatalf("RoundTrip: %v, %d sent; want sent", err, rec.sent)
				}
				resp.Body.Close()
				return
			}
			var oe *origin.Error
			if !errors.Is(err, origin.ErrRefused) || !errors.As(err, &oe) || oe.Redirect {
				t.Errorf("RoundTrip: %v; want a refusal", err)
			}
			if rec.sent != 0 {
				t.Error("RoundTrip sent the request")
			}
			if !body.closed.Load() {
				t.Error("the refused request's body was not closed")
			}
		})
	}
}

// TestReview38OfRequestNil: OfRequest of no request is no origin.
func TestReview38OfRequestNil(t *testing.T) {
	t.Parallel()
	if got := origin.OfRequest(nil); got != "" {
		t.Errorf("OfRequest(nil) = %q", got)
	}
}

// TestReview38PinRealClient: the normal cases over a real client and
// server: a request built by http.NewRequest (Host empty, Path rooted) is
// sent, a redirect the client follows to another host is refused with the
// body closed and nothing reaching that host, and a request whose Host
// names another origin never reaches the server.
func TestReview38PinRealClient(t *testing.T) {
	t.Parallel()
	var reached, served atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached.Add(1) }))
	t.Cleanup(other.Close)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		if r.URL.Path == "/away" {
			http.Redirect(w, r, other.URL+"/x", http.StatusTemporaryRedirect)
		}
	}))
	t.Cleanup(srv.Close)
	c := &http.Client{Transport: origin.Pin(parse(t, srv.URL), srv.Client().Transport)}

	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/ok", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("a request built by NewRequest: %v", err)
	}
	resp.Body.Close()

	body := &review38Body{Reader: strings.NewReader("token")}
	req, err = http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/away", body)
	if err != nil {
		t.Fatal(err)
	}
	req.GetBody = func() (io.ReadCloser, error) { return body, nil }
	var oe *origin.Error
	if _, err := c.Do(req); !errors.Is(err, origin.ErrRefused) || !errors.As(err, &oe) || !oe.Redirect {
		t.Fatalf("redirect to another host: %v, want a refused redirect", err)
	}
	if !body.closed.Load() {
		t.Error("the redirected request's body was not closed")
	}

	req, err = http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/ok", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "attacker.example"
	if _, err := c.Do(req); !errors.Is(err, origin.ErrRefused) {
		t.Fatalf("Host of another origin: %v, want refused", err)
	}
	if reached.Load() != 0 || served.Load() != 2 {
		t.Fatalf("other host reached %d times, server %d times; want 0 and 2", reached.Load(), served.Load())
	}
}

// TestReview38PinErrorBounded: the refusal quoted the request's origin as
// it came, and with Host it is the caller's text: a Host of megabytes, or
// with a line break, went into the error and the logs it reaches. Now the
// error quotes at most a few hundred bytes of it, without control
// characters.
func TestReview38PinErrorBounded(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, host string }{
		{"long Host", strings.Repeat("a", 1<<20) + ".example"},
		{"line break", "attacker.example\n2026-01-01 level=INFO msg=forged"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://fulcio.example/x", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Host = tc.host
			rec := &recorder{}
			_, err = origin.Pin(parse(t, "https://fulcio.example"), rec).RoundTrip(req)
			if !errors.Is(err, origin.ErrRefused) || rec.sent != 0 {
				t.Fatalf("RoundTrip: %v, %d sent; want refused", err, rec.sent)
			}
			if msg := err.Error(); len(msg) > 1024 || strings.ContainsAny(msg, "\r\n") {
				t.Errorf("error of %d bytes, line break %v", len(msg), strings.ContainsAny(msg, "\r\n"))
			}
			// An Error made elsewhere (a guard of its own) is bounded too.
			e := &origin.Error{Want: "https://fulcio.example:443", Got: "https://" + tc.host + ":443"}
			if msg := e.Error(); len(msg) > 1024 || strings.ContainsAny(msg, "\r\n") {
				t.Errorf("Error.Error of %d bytes", len(msg))
			}
		})
	}
}
