package egress

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/http"
	"net/netip"
	"testing"
)

func TestParseDestination(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		authority string
		def       uint16
		want      Destination
		wantErr   bool
	}{
		{name: "host and port", authority: "Proxy.Golang.ORG:443", want: Destination{"proxy.golang.org", 443}},
		{name: "trailing dot", authority: "example.com.:443", want: Destination{"example.com", 443}},
		{name: "default port", authority: "example.com", def: 80, want: Destination{"example.com", 80}},
		{name: "ipv4", authority: "93.184.215.14:8443", want: Destination{"93.184.215.14", 8443}},
		{name: "ipv6", authority: "[2001:4860::8888]:443", want: Destination{"2001:4860::8888", 443}},
		{name: "ipv4-mapped ipv6 is unmapped", authority: "[::ffff:127.0.0.1]:443", want: Destination{"127.0.0.1", 443}},
		{name: "underscore label", authority: "_dmarc.example.com:443", want: Destination{"_dmarc.example.com", 443}},
		{name: "port required for CONNECT", authority: "example.com", wantErr: true},
		{name: "port zero", authority: "example.com:0", wantErr: true},
		{name: "port too large", authority: "example.com:65536", wantErr: true},
		{name: "port with sign", authority: "example.com:+443", wantErr: true},
		{name: "port padded", authority: "example.com:000443", wantErr: true},
		{name: "empty port", authority: "example.com:", wantErr: true},
		{name: "empty host", authority: ":443", wantErr: true},
		{name: "unbracketed ipv6", authority: "::1:443", wantErr: true},
		{name: "zone", authority: "[fe80::1%eth0]:443", wantErr: true},
		{name: "bracketed ipv4", authority: "[127.0.0.1]:443", wantErr: true},
		{name: "junk after bracket", authority: "[::1]x:443", wantErr: true},
		{name: "unterminated bracket", authority: "[::1:443", wantErr: true},
		{name: "decimal ip", authority: "2130706433:443", wantErr: true},
		{name: "short ip", authority: "127.1:443", wantErr: true},
		{name: "hex ip", authority: "0x7f.0x1:443", wantErr: true},
		{name: "octal ip", authority: "0177.0.0.1:443", wantErr: true},
		{name: "empty hex label", authority: "0x:443", wantErr: true},        // inet_aton: 0.0.0.0
		{name: "empty hex last label", authority: "1.0x:443", wantErr: true}, // inet_aton: 1.0.0.0
		{name: "hex-looking label that is no number", authority: "a.0xg:443", want: Destination{"a.0xg", 443}},
		{name: "userinfo", authority: "user@example.com:443", wantErr: true},
		{name: "unicode", authority: "exämple.com:443", wantErr: true},
		{name: "empty label", authority: "a..b:443", wantErr: true},
		{name: "space", authority: "a b:443", wantErr: true},
		{name: "slash", authority: "a/b:443", wantErr: true},
		{name: "long label", authority: string(make64('a')) + ".com:443", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseDestination(tt.authority, tt.def)
			if tt.wantErr {
				if !errors.Is(err, ErrBadDestination) {
					t.Fatalf("got %v, %v; want ErrBadDestination", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
			again, err := ParseDestination(got.String(), 0)
			if err != nil || again != got {
				t.Errorf("String() %q does not parse back: %v, %v", got, again, err)
			}
		})
	}
}

func make64(c byte) []byte {
	b := make([]byte, 64)
	for i := range b {
		b[i] = c
	}
	return b
}

func TestParseProxyAuthorization(t *testing.T) {
	t.Parallel()
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name   string
		header []string
		want   string
	}{
		{name: "bearer", header: []string{"Bearer tok.en-1"}, want: "tok.en-1"},
		{name: "bearer lower case", header: []string{"bearer tok"}, want: "tok"},
		{name: "basic password", header: []string{"Basic " + b64("job:tok")}, want: "tok"},
		{name: "basic empty user", header: []string{"Basic " + b64(":tok")}, want: "tok"},
		{name: "basic password with colon", header: []string{"Basic " + b64("job:a:b")}, want: "a:b"},
		{name: "none"},
		{name: "two headers", header: []string{"Bearer a", "Bearer b"}},
		{name: "no credentials", header: []string{"Bearer"}},
		{name: "blank credentials", header: []string{"Bearer  "}},
		{name: "two words", header: []string{"Bearer a b"}},
		{name: "basic user only", header: []string{"Basic " + b64("tok")}},
		{name: "basic empty password", header: []string{"Basic " + b64("job:")}},
		{name: "basic not base64", header: []string{"Basic !!!"}},
		{name: "digest", header: []string{"Digest tok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{"Proxy-Authorization": tt.header}
			got, err := proxyToken(h)
			if tt.want == "" {
				if !errors.Is(err, ErrBadCredentials) {
					t.Fatalf("got %q, %v; want ErrBadCredentials", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestPublic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr string
		want bool
	}{
		{"93.184.215.14", true},
		{"140.82.112.3", true},
		{"2606:4700::6810:84e5", true},
		{"64:ff9b::5db8:d70e", true}, // NAT64 of 93.184.215.14
		{"2002:5db8:d70e::1", true},  // 6to4 of 93.184.215.14
		{"127.0.0.1", false},
		{"127.255.255.254", false},
		{"10.0.0.1", false},
		{"172.16.0.1", false},
		{"192.168.1.1", false},
		{"169.254.169.254", false},
		{"100.64.0.1", false},
		{"100.127.255.255", false},
		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"192.0.0.170", false},
		{"192.0.2.1", false},
		{"198.18.0.1", false},
		{"198.51.100.1", false},
		{"203.0.113.1", false},
		{"224.0.0.1", false},
		{"239.255.255.250", false},
		{"240.0.0.1", false},
		{"255.255.255.255", false},
		{"::", false},
		{"::1", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.0.0.1", false},
		{"::127.0.0.1", false},
		{"fe80::1", false},
		{"fc00::1", false},
		{"fd12:3456::1", false},
		{"fec0::1", false},
		{"ff02::1", false},
		{"2001:db8::1", false},
		{"2001::1", false},
		{"64:ff9b::7f00:1", false}, // NAT64 of 127.0.0.1
		{"64:ff9b::a9fe:a9fe", false},
		{"64:ff9b:1::1", false},
		{"2002:7f00:1::1", false}, // 6to4 of 127.0.0.1
		{"100::1", false},
		{"::ffff:0:7f00:1", false}, // IPv4-translated (SIIT) 127.0.0.1
		{"::ffff:0:a9fe:a9fe", false},
		{"1::1", false},          // reserved, not global unicast
		{"4000::1", false},       // unallocated
		{"168.63.129.16", false}, // Azure WireServer
		{"168.63.129.17", true},
	}
	for _, tt := range tests {
		if got := public(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("public(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

func TestPeekServerName(t *testing.T) {
	t.Parallel()
	hello := clientHello(t, "api.github.com")
	tests := []struct {
		name    string
		in      []byte
		want    string
		wantErr error
	}{
		{name: "client hello", in: hello, want: "api.github.com"},
		{name: "client hello and more", in: append(bytes.Clone(hello), "early"...), want: "api.github.com"},
		{name: "client hello in two records", in: splitRecord(t, hello), want: "api.github.com"},
		{name: "not tls", in: []byte("SSH-2.0-OpenSSH_9.2\r\n")},
		{name: "handshake record that is no hello", in: []byte{0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5}, wantErr: errUnreadableHello},
		{name: "truncated hello", in: hello[:len(hello)/2], wantErr: errUnreadableHello},
		// A server skips warning alerts before the hello: so does the proxy,
		// and checks the name behind them.
		{name: "client hello after a warning alert", in: append([]byte{0x15, 0x03, 0x01, 0x00, 0x02, 0x01, 100}, hello...), want: "api.github.com"},
		{name: "fatal alert", in: []byte{0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 40}, wantErr: errUnreadableHello},
		{name: "change cipher spec first", in: append([]byte{0x14, 0x03, 0x01, 0x00, 0x01, 0x01}, hello...), wantErr: errUnreadableHello},
		{name: "application data first", in: append([]byte{0x17, 0x03, 0x03, 0x00, 0x01, 0x00}, hello...), wantErr: errUnreadableHello},
		{name: "heartbeat first", in: append([]byte{0x18, 0x03, 0x01, 0x00, 0x01, 0x01}, hello...), wantErr: errUnreadableHello},
		{name: "alert byte alone", in: []byte{0x15}, wantErr: errUnreadableHello},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			read, name, err := peekServerName(bytes.NewReader(tt.in))
			if !errors.Is(err, tt.wantErr) || name != tt.want {
				t.Fatalf("got %q, %v; want %q, %v", name, err, tt.want, tt.wantErr)
			}
			if !bytes.HasPrefix(tt.in, read) || (tt.wantErr == nil && tt.want == "" && !bytes.Equal(read, tt.in)) {
				t.Errorf("read %d of %d bytes, not a prefix or not all", len(read), len(tt.in))
			}
		})
	}
}

// splitRecord re-frames a one-record ClientHello as two records, as a
// client fragmenting its hello to hide the server name would.
func splitRecord(t *testing.T, rec []byte) []byte {
	t.Helper()
	body := rec[5:]
	half := len(body) / 2
	out := append([]byte{rec[0], rec[1], rec[2], byte(half >> 8), byte(half)}, body[:half]...)
	rest := len(body) - half
	return append(append(out, rec[0], rec[1], rec[2], byte(rest>>8), byte(rest)), body[half:]...)
}

func TestSameHost(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		serverName string
		want       bool
	}{
		{"cdn.allowed.test", true},
		{"CDN.Allowed.TEST.", true},
		{"cdn.allowed.test..", false},
		{"cdn.allowed.te\u017ft", false}, // long s: Unicode folds it to 's'
		{"\u212adn.allowed.test", false}, // Kelvin sign: folds to 'k', not 'c'
		{"cdn.allowed.test\x00", false},
		{"cdn.allowed.tes", false},
		{"evil.example", false},
	} {
		if got := sameHost(tt.serverName, "cdn.allowed.test"); got != tt.want {
			t.Errorf("sameHost(%q) = %v, want %v", tt.serverName, got, tt.want)
		}
	}
	if !sameHost("K.TEST", "k.test") || sameHost("\u212a.test", "k.test") {
		t.Error("ASCII case folds, the Kelvin sign does not")
	}
}

func TestAuditServerName(t *testing.T) {
	t.Parallel()
	long := string(bytes.Repeat([]byte("a"), 300))
	tests := []struct{ in, want string }{
		{"api.github.com", "api.github.com"},
		{"API.GitHub.com", "API.GitHub.com"},
		{"evil\n.example", `"evil\n.example"`},
		{"\x00\x01", `"\x00\x01"`},
		{"exämple.com", `"ex\u00e4mple.com"`},
		{long, `"` + long[:maxHostLen] + `"...`},
	}
	for _, tt := range tests {
		if got := auditServerName(tt.in); got != tt.want {
			t.Errorf("auditServerName(%.40q) = %.60q, want %.60q", tt.in, got, tt.want)
		}
	}
	// However hostile the name, what is audited stays small.
	if got := auditServerName(string(bytes.Repeat([]byte{1}, 60000))); len(got) > 4*maxHostLen+5 {
		t.Errorf("%d bytes audited", len(got))
	}
}
