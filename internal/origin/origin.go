// Package origin compares URL origins (RFC 6454: scheme, host, port) for
// the module's outbound HTTP clients, so that a credential configured for
// one origin never follows a redirect to another or to plain HTTP. It is
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
)

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

func (e *Error) Error() string {
	if e.Redirect && e.Want == e.Got {
		return fmt.Sprintf("%v: redirect within %s refused", ErrRefused, e.Want)
	}
	return fmt.Sprintf("%v: configured for %s, request is for %s", ErrRefused, e.Want, e.Got)
}

// Unwrap returns [ErrRefused].
func (e *Error) Unwrap() error { return ErrRefused }

// Pin returns a transport that sends only requests for u's origin through
// base, and refuses every other request, and every request an
// http.Client created by following a redirect, with an *[Error]. It is for
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
	got := Of(r.URL)
	if got != p.origin || got == "" || r.Response != nil {
		if r.Body != nil {
			_ = r.Body.Close()
		}
		return nil, &Error{Want: p.origin, Got: got, Redirect: r.Response != nil}
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
