// Package origin compares URL origins (RFC 6454: scheme, host, port) for
// the outbound HTTP clients of identity, so that a credential configured
// for one origin never follows a redirect to another or to plain HTTP.
package origin

import (
	"net"
	"net/url"
	"strings"
)

// Of returns u's origin as "scheme://host:port", lower-cased, with the
// scheme's default port made explicit; "" for a URL without scheme or host.
func Of(u *url.URL) string {
	if u == nil || u.Scheme == "" || u.Host == "" {
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
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// Same reports whether a and b have the same, non-empty origin.
func Same(a, b *url.URL) bool {
	o := Of(a)
	return o != "" && o == Of(b)
}

// Loopback reports whether u's host is a loopback IP literal or
// "localhost": the only hosts plain HTTP may carry a credential to, since
// the bytes never leave the machine.
func Loopback(u *url.URL) bool {
	h := strings.ToLower(u.Hostname())
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
