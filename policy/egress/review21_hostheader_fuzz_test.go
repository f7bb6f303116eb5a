package egress

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"testing"
)

// FuzzTunnelRequests: reading a tunnel's cleartext requests never panics;
// startsHTTPRequest hands back a prefix of the input no longer than its
// limit allows; and whatever relayRequests writes to the destination
// reads, to net/http, as requests naming the CONNECT destination only,
// none asking to switch protocols: no request the proxy did not check is
// smuggled through.
func FuzzTunnelRequests(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: cdn.allowed.test\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n",
		"\r\n\r\nGET http://evil.example/ HTTP/1.1\r\nHost: cdn.allowed.test\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: cdn.allowed.test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: evil.example\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: cdn.allowed.test\r\nContent-Length: 38\r\n\r\nGET / HTTP/1.1\r\nHost: evil.example\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: cdn.allowed.test\r\nHost: evil.example\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: cdn.allowed.test\r\nUpgrade: h2c\r\n\r\n",
		"CONNECT evil.example:443 HTTP/1.1\r\nHost: cdn.allowed.test\r\n\r\n",
		"GET / HTTP/1.0\r\n\r\n",
		"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3\r\n",
		"\x00\x00\x00\x08\x04\xd2\x16\x2f",
	} {
		f.Add([]byte(s))
	}
	dst := Destination{Host: "cdn.allowed.test", Port: 80}
	const limit = 1 << 10
	f.Fuzz(func(t *testing.T, data []byte) {
		read, isHTTP, _ := startsHTTPRequest(bytes.NewReader(data), limit)
		if len(read) > limit+4096 || !bytes.HasPrefix(data, read) {
			t.Fatalf("read %d bytes that are not a prefix of the input", len(read))
		}
		if !isHTTP {
			return
		}
		p := &Proxy{cfg: defaults()}
		up, down := net.Pipe()
		got := make(chan []byte)
		go func() {
			b, _ := io.ReadAll(down)
			got <- b
		}()
		_, _, _ = p.relayRequests(up, bytes.NewReader(data), dst, limit)
		_ = up.Close()
		br := bufio.NewReader(bytes.NewReader(<-got))
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				if err != io.EOF {
					t.Fatalf("the destination cannot read what was relayed: %v", err)
				}
				return
			}
			if _, ok := requestHost(req, dst); !ok {
				t.Fatalf("relayed a request for %q (%s, Upgrade %q)", req.Host, req.Method, req.Header.Get("Upgrade"))
			}
			if _, err := io.Copy(io.Discard, req.Body); err != nil {
				return // a body the job broke off ends the relay
			}
		}
	})
}
