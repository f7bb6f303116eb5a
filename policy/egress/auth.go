package egress

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
)

// proxyToken returns the job token from a request's Proxy-Authorization
// header: "Bearer <token>", or "Basic base64(user:token)" — the form curl,
// git and Go's http.Transport send for a proxy URL's userinfo, so a runner
// sets HTTPS_PROXY=http://job:<token>@proxy:port. The user name is ignored.
// A missing, repeated or malformed header wraps [ErrBadCredentials]; errors
// never contain the header's value.
func proxyToken(h http.Header) (string, error) {
	vs := h.Values("Proxy-Authorization")
	switch len(vs) {
	case 0:
		return "", fmt.Errorf("%w: no Proxy-Authorization header", ErrBadCredentials)
	case 1:
	default:
		return "", fmt.Errorf("%w: %d Proxy-Authorization headers", ErrBadCredentials, len(vs))
	}
	return parseProxyAuthorization(vs[0])
}

func parseProxyAuthorization(v string) (string, error) {
	scheme, cred, ok := strings.Cut(v, " ")
	if !ok {
		return "", fmt.Errorf("%w: want \"Bearer <token>\" or \"Basic <credentials>\"", ErrBadCredentials)
	}
	cred = strings.TrimLeft(cred, " ")
	if cred == "" || strings.ContainsAny(cred, " \t") {
		return "", fmt.Errorf("%w: credentials must be one non-empty word", ErrBadCredentials)
	}
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		return cred, nil
	case strings.EqualFold(scheme, "Basic"):
		b, err := base64.StdEncoding.DecodeString(cred)
		if err != nil {
			return "", fmt.Errorf("%w: Basic credentials are not base64", ErrBadCredentials)
		}
		_, pass, ok := strings.Cut(string(b), ":")
		if !ok || pass == "" {
			return "", fmt.Errorf("%w: Basic credentials carry no password; put the job token in the proxy URL's password", ErrBadCredentials)
		}
		return pass, nil
	default:
		return "", fmt.Errorf("%w: unsupported scheme; use Bearer or Basic", ErrBadCredentials)
	}
}
