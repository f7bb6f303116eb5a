package egress

import (
	"bytes"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// FuzzParseProxyAuthorization: the Proxy-Authorization parser never panics,
// returns a non-empty token or an error wrapping ErrBadCredentials,
// and never puts the header's value into its error.
func FuzzParseProxyAuthorization(f *testing.F) {
	for _, s := range []string{
		"Bearer eyJhbGciOiJFUzI1NiJ9.e30.sig", "Basic am9iOnRvaw==", "Basic OnRvaw==", "basic am9iOg==",
		"Bearer", "Bearer  a", "Digest x", "Basic %%%", "", " ", "Basic am9iOnRvaw",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		tok, err := parseProxyAuthorization(v)
		if err != nil {
			if !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("error %v does not wrap ErrBadCredentials", err)
			}
			if len(v) > 8 && strings.Contains(err.Error(), v) {
				t.Fatalf("error echoes the header: %v", err)
			}
			return
		}
		if tok == "" {
			t.Fatal("empty token without an error")
		}
	})
}

// FuzzParseDestination: the authority parser never panics; what it accepts
// is canonical (lower case, no trailing dot, a port) and parses back to
// itself from its String form.
func FuzzParseDestination(f *testing.F) {
	for _, s := range []string{
		"example.com:443", "EXAMPLE.com.:80", "[::1]:443", "[::ffff:127.0.0.1]:1", "127.0.0.1:8080",
		"2130706433:443", "0x7f.1:443", "[fe80::1%25eth0]:443", "a..b:1", ":443", "example.com",
	} {
		f.Add(s, uint16(0))
		f.Add(s, uint16(80))
	}
	f.Fuzz(func(t *testing.T, authority string, def uint16) {
		d, err := ParseDestination(authority, def)
		if err != nil {
			if !errors.Is(err, ErrBadDestination) {
				t.Fatalf("error %v does not wrap ErrBadDestination", err)
			}
			return
		}
		if d.Port == 0 || d.Host == "" || d.Host != strings.ToLower(d.Host) || strings.HasSuffix(d.Host, ".") {
			t.Fatalf("non-canonical destination %+v from %q", d, authority)
		}
		again, err := ParseDestination(d.String(), 0)
		if err != nil || again != d {
			t.Fatalf("%q → %+v → %q → %+v, %v", authority, d, d.String(), again, err)
		}
	})
}

// clientHello returns what a Go TLS client sends first for serverName.
func clientHello(tb testing.TB, serverName string) []byte {
	tb.Helper()
	a, b := net.Pipe()
	defer a.Close()
	go func() {
		defer b.Close()
		_ = tls.Client(b, &tls.Config{ServerName: serverName}).Handshake()
	}()
	buf := make([]byte, 16<<10)
	_ = a.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := a.Read(buf)
	if err != nil {
		tb.Fatal(err)
	}
	return buf[:n]
}

// FuzzPeekServerName: reading a tunnel's first bytes never panics, never
// consumes more than maxClientHello, and hands back exactly the bytes it
// consumed, so that forwarding them leaves the stream intact.
func FuzzPeekServerName(f *testing.F) {
	f.Add(clientHello(f, "api.github.com"))
	f.Add([]byte("SSH-2.0-OpenSSH_9.2\r\n"))
	f.Add([]byte{0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5})
	f.Add([]byte{0x16})
	f.Add(append([]byte{0x15, 0x03, 0x01, 0x00, 0x02, 0x01, 100}, clientHello(f, "evil.example")...))
	f.Add([]byte{0x14, 0x03, 0x01, 0x00, 0x01, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		read, _, _ := peekServerName(bytes.NewReader(data))
		if len(read) > maxClientHello || !bytes.HasPrefix(data, read) {
			t.Fatalf("read %d bytes that are not a prefix of the input", len(read))
		}
	})
}

// FuzzTokenExpiry: the exp reader never panics; what it accepts is a
// compact JWS whose payload holds a NumericDate exp within bounds, and
// everything else wraps errNoExpiry.
func FuzzTokenExpiry(f *testing.F) {
	for _, s := range []string{
		"eyJhbGciOiJFUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDB9.c2ln", // {"exp":4102444800}
		"h.eyJleHAiOjEuNX0.s",                                // {"exp":1.5}
		"h.eyJleHAiOiIxIn0.s",                                // {"exp":"1"}
		"h.eyJleHAiOjEsImV4cCI6Mn0.s",                        // {"exp":1,"exp":2}
		"h.eyJFWFAiOjF9.s",                                   // {"EXP":1}
		"h.eyJleHAiOi0xfQ.s",                                 // {"exp":-1}
		"h.bnVsbA.s",                                         // null
		"h.eyJleHAiOjF9.s.x.y", "h.eyJleHAiOjF9", "opaque", "", "..", "h.eyJleHAiOjF9==.s",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		exp, err := tokenExpiry(raw)
		if err != nil {
			if !errors.Is(err, errNoExpiry) {
				t.Fatalf("error %v does not wrap errNoExpiry", err)
			}
			return
		}
		if strings.Count(raw, ".") != 2 || exp.Before(time.Unix(0, 0)) || exp.After(time.Unix(maxExp, 0)) {
			t.Fatalf("accepted %q with exp %v", raw, exp)
		}
	})
}
