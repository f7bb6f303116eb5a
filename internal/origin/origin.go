// Package origin compares URL origins (RFC 6454: scheme, host, port) for
// the module's outbound HTTP clients, so that a credential configured for
// one origin never follows a redirect to another or to plain HTTP, and a
// transport that holds one sends it only in requests that name that origin
// to the server ([OfRequest]: URL, Host field and request target). It is
// the one copy of these checks.
package origin

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/ztci/ztci/internal/clip"
)

// maxQuoted bounds the request's origin quoted in an [Error]: with a Host
// field it is the caller's text.
const maxQuoted = 300

// Of returns u's origin as "scheme://host:port", lower-cased (but for an
// IPv6 zone, an interface name), with the scheme's default port made
// explicit; "" for a URL without scheme or host,
// or whose host is not ASCII. net/http dials a Unicode host by its IDNA
// (UTS #46) form, which Unicode lower-casing does not predict ("İ" is "i"
// to strings.ToLower, "i̇" to IDNA): such a host has no origin, so it is
// never the same as another, and a configured one is written in punycode.
func Of(u *url.URL) string {
	if u == nil || u.Scheme == "" || u.Host == "" || !ascii(u.Host) {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	// An IPv6 literal's zone is an interface name, which the kernel
	// compares exactly: only the address is case-insensitive.
	host, zone, _ := strings.Cut(u.Hostname(), "%")
	if zone != "" {
		zone = "%" + zone
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(host)+zone, port)
}

// Same reports whether a and b have the same, non-empty origin.
func Same(a, b *url.URL) bool {
	o := Of(a)
	return o != "" && o == Of(b)
}

// Loopback reports whether u's host is a loopback IP literal (127.0.0.0/8,
// ::1, an IPv4-mapped 127.x): the only hosts plain HTTP may carry a
// credential to, or fetch keys from, since the bytes never leave the
// machine.
//
// The name "localhost" is not one of them. Go does not pin it to loopback:
// its resolver reads it from the hosts file and, where that has no entry
// (a minimal container, a sandbox), asks DNS, trying the search domains
// first (localhost.corp.example), so whoever answers that query receives
// the credential in clear. Only a literal means the same address to this
// check and to the dial.
func Loopback(u *url.URL) bool {
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

// Secure reports whether a credential may be sent to u at all: https, or
// plain http to a loopback host.
func Secure(u *url.URL) bool {
	if u == nil || u.Host == "" {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return true
	case "http":
		return Loopback(u)
	}
	return false
}

// ErrRefused: a [Pin] transport refused a request it was not configured
// for. Nothing was sent.
var ErrRefused = errors.New("request refused: outside the credential's origin")

// Error is the refusal of a [Pin] transport. It holds origins only
// (scheme, host, port), never a path, query or credential.
type Error struct {
	Want, Got string
	// Redirect is set when the request was created by following a redirect.
	Redirect bool
}

// Error quotes Got, which may be a request's Host field, at most a few
// hundred bytes of it and without control characters.
func (e *Error) Error() string {
	if e.Redirect && e.Want == e.Got {
		return fmt.Sprintf("%v: redirect within %s refused", ErrRefused, e.Want)
	}
	if e.Got == "" {
		return fmt.Sprintf("%v: configured for %s, request names no single origin", ErrRefused, e.Want)
	}
	return fmt.Sprintf("%v: configured for %s, request is for %s", ErrRefused, e.Want, clip.Quote(e.Got, maxQuoted))
}

// Unwrap returns [ErrRefused].
func (e *Error) Unwrap() error { return ErrRefused }

// OfRequest returns the origin that r names to the server it is sent to,
// as [Of] writes it, or "" when r names none, or more than one. That is
// its URL's origin, unless its Host field or its request target names
// another: net/http sends Host, when set, in place of the URL's host (the
// Host field, HTTP/2's :authority), and writes the HTTP/1 request line
// from URL.Opaque ("//host/p" as "scheme://host/p"), or from a URL.Path
// not beginning with "/", as it stands: in absolute form when it names a
// host, which a server takes over Host. A front end that several hosts
// share (an ingress, a CDN, a load balancer) routes on either, and
// httputil.ReverseProxy passes its own caller's Host on. So a Host that
// is not a host[:port] of the URL's origin, an opaque target that is not
// a path ("/p") or of the form "//host/p", and a path that does not
// begin with "/" make the result another origin or "". A request built
// by http.NewRequest, or by an http.Client following a redirect, names
// its URL's origin.
func OfRequest(r *http.Request) string {
	if r == nil {
		return ""
	}
	got := Of(r.URL)
	if got == "" {
		return ""
	}
	if r.Host != "" && r.Host != r.URL.Host {
		if h := hostOrigin(r.URL.Scheme, r.Host); h != got {
			return h
		}
	}
	switch o := r.URL.Opaque; {
	case o == "":
		// net/http writes the path as it stands: one not beginning with
		// "/" ("https://other/x", left by strings.TrimPrefix(p, "/api/"))
		// is a request target in absolute form, or none.
		if p := r.URL.EscapedPath(); p != "" && p[0] != '/' {
			return ""
		}
	case strings.HasPrefix(o, "//"):
		u, err := url.Parse(r.URL.Scheme + ":" + o)
		if err != nil {
			return ""
		}
		if h := Of(u); h != got {
			return h
		}
	case strings.HasPrefix(o, "/"): // origin form
	default: // absolute form, authority form, "*", or no request target
		return ""
	}
	return got
}

// hostOrigin returns the origin of a request sent to host (a Host field,
// not escaped) in scheme, or "" when host is not a host[:port]: userinfo,
// a path or a character no URL host holds.
func hostOrigin(scheme, host string) string {
	// An IPv6 zone is not escaped in a Host field, but is in a URL.
	u, err := url.Parse(scheme + "://" + strings.Replace(host, "%", "%25", 1))
	if err != nil || u.Host != host || u.User != nil {
		return ""
	}
	return Of(u)
}

// Pin returns a transport that sends only requests for u's origin through
// base, and refuses every other request, and every request an
// http.Client created by following a redirect, with an *[Error]. A request
// is for u's origin when [OfRequest] says so: a Host field or a request
// target naming another origin is refused as well. A refused request's
// body is closed and nothing is sent. It is for
// a client that puts a credential in requests it does not control the
// redirect policy of (a library's own http.Client): the credential cannot
// leave the origin, or be re-sent after a redirect, whatever that client's
// CheckRedirect does. A nil base is http.DefaultTransport.
func Pin(u *url.URL, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return pinned{origin: Of(u), base: base}
}

type pinned struct {
	origin string
	base   http.RoundTripper
}

func (p pinned) RoundTrip(r *http.Request) (*http.Response, error) {
	got := OfRequest(r)
	if got != p.origin || got == "" || r.Response != nil {
		if r != nil && r.Body != nil {
			_ = r.Body.Close()
		}
		return nil, &Error{Want: p.origin, Got: clip.String(got, maxQuoted), Redirect: r != nil && r.Response != nil}
	}
	return p.base.RoundTrip(r)
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
