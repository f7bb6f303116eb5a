package egress

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Destination is where a job asks to connect: a host name (lower case, no
// trailing dot) or a canonical IP literal, and a port.
type Destination struct {
	Host string
	Port uint16
}

// String returns "host:port" ("[v6]:port" for IPv6 literals).
func (d Destination) String() string {
	return net.JoinHostPort(d.Host, strconv.FormatUint(uint64(d.Port), 10))
}

// IsIP reports whether Host is an IP literal.
func (d Destination) IsIP() bool {
	_, err := netip.ParseAddr(d.Host)
	return err == nil
}

// maxHostLen is the longest DNS name (RFC 1035, without the trailing dot).
const maxHostLen = 253

// ParseDestination parses an authority ("host:port", "[v6]:port") as a
// CONNECT request or an absolute URL names it. defaultPort is used when the
// authority has no port (0: a port is required). Host names are lower-cased
// and lose one trailing dot; IP literals are canonicalized and IPv4-mapped
// IPv6 addresses unmapped. Refused, wrapping [ErrBadDestination]: empty or
// non-ASCII hosts, characters outside [a-z0-9-_.], empty or over-long
// labels, zones ("fe80::1%eth0"), ports outside 1–65535, and names whose
// last label is numeric ("127.1", "0x7f.1", "2130706433"), which some
// resolvers read as IPv4 addresses.
func ParseDestination(authority string, defaultPort uint16) (Destination, error) {
	host, port, err := splitAuthority(authority, defaultPort)
	if err != nil {
		return Destination{}, err
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			return Destination{}, fmt.Errorf("%w: IP literal with a zone", ErrBadDestination)
		}
		return Destination{Host: a.Unmap().String(), Port: port}, nil
	}
	h, err := normalizeHost(host)
	if err != nil {
		return Destination{}, err
	}
	return Destination{Host: h, Port: port}, nil
}

func splitAuthority(s string, defaultPort uint16) (host string, port uint16, err error) {
	if len(s) > maxHostLen+len("[]:65535")+1 {
		return "", 0, fmt.Errorf("%w: authority longer than %d bytes", ErrBadDestination, maxHostLen)
	}
	var portStr string
	hasPort := false
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", 0, fmt.Errorf("%w: unterminated IPv6 literal", ErrBadDestination)
		}
		host, rest := s[1:end], s[end+1:]
		if _, err := netip.ParseAddr(host); err != nil || !strings.Contains(host, ":") {
			return "", 0, fmt.Errorf("%w: bracketed host is not an IPv6 address", ErrBadDestination)
		}
		switch {
		case rest == "":
		case strings.HasPrefix(rest, ":"):
			portStr, hasPort = rest[1:], true
		default:
			return "", 0, fmt.Errorf("%w: junk after IPv6 literal", ErrBadDestination)
		}
		s = host
	} else {
		if i := strings.LastIndexByte(s, ':'); i >= 0 {
			s, portStr, hasPort = s[:i], s[i+1:], true
		}
		if strings.Contains(s, ":") {
			return "", 0, fmt.Errorf("%w: IPv6 literal must be in brackets", ErrBadDestination)
		}
	}
	if s == "" {
		return "", 0, fmt.Errorf("%w: empty host", ErrBadDestination)
	}
	if !hasPort {
		if defaultPort == 0 {
			return "", 0, fmt.Errorf("%w: port required", ErrBadDestination)
		}
		return s, defaultPort, nil
	}
	p, ok := parsePort(portStr)
	if !ok {
		return "", 0, fmt.Errorf("%w: port must be a number from 1 to 65535", ErrBadDestination)
	}
	return s, p, nil
}

// parsePort accepts 1–65535 in plain decimal digits (no sign, no spaces, at
// most 5 digits, so "0000443" is refused rather than guessed).
func parsePort(s string) (uint16, bool) {
	if s == "" || len(s) > 5 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if n < 1 || n > 65535 {
		return 0, false
	}
	return uint16(n), true
}

func normalizeHost(h string) (string, error) {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > maxHostLen {
		return "", fmt.Errorf("%w: host name must have 1 to %d characters", ErrBadDestination, maxHostLen)
	}
	b := []byte(h)
	label := 0
	lastStart := 0
	for i, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
			b[i] = c + ('a' - 'A')
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
		case c == '.':
			if label == 0 {
				return "", fmt.Errorf("%w: empty label in host name", ErrBadDestination)
			}
			label = 0
			lastStart = i + 1
			continue
		default:
			return "", fmt.Errorf("%w: host name may hold only letters, digits, '-', '_' and '.' (use punycode)", ErrBadDestination)
		}
		label++
		if label > 63 {
			return "", fmt.Errorf("%w: label longer than 63 characters", ErrBadDestination)
		}
	}
	if label == 0 {
		return "", fmt.Errorf("%w: empty label in host name", ErrBadDestination)
	}
	if numericLabel(b[lastStart:]) {
		return "", fmt.Errorf("%w: %q is neither an IP address nor a host name", ErrBadDestination, string(b))
	}
	return string(b), nil
}

// numericLabel reports whether a top-level label reads as a number (decimal,
// or hexadecimal with 0x), which inet_aton-style resolvers turn into an
// address. No top-level domain is numeric.
func numericLabel(l []byte) bool {
	// "0x" alone counts: inet_aton reads it as 0.
	if len(l) >= 2 && l[0] == '0' && l[1] == 'x' {
		l = l[2:]
		for _, c := range l {
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
		return true
	}
	for _, c := range l {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
