package egress_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy/egress"
)

// benchBuf is the read and write size of the benchmark's client and server.
const benchBuf = 256 << 10

// sourceServer writes size bytes to every connection, then closes it.
func sourceServer(b *testing.B, size int64) string {
	b.Helper()
	chunk := make([]byte, benchBuf)
	return serveTCP(b, func(c net.Conn) {
		for left := size; left > 0; {
			n := min(left, int64(len(chunk)))
			if _, err := c.Write(chunk[:n]); err != nil {
				return
			}
			left -= n
		}
	})
}

func benchProxy(b *testing.B, dstPort uint16) string {
	b.Helper()
	discard := audit.SinkFunc(func(context.Context, audit.Event) error { return nil })
	_, addr := startProxy(b, testRules(b, dstPort), discard, egress.WithResolver(hosts{"bench.allowed.test": loopback}),
		internalLoopback(), egress.WithLimits(egress.Limits{MaxConnsPerJob: 1 << 16, MaxConns: 1 << 16}))
	return addr
}

// dialVia opens a connection to dst, directly or through the proxy.
func dialVia(b *testing.B, proxy, dst string) net.Conn {
	if proxy == "" {
		c, err := net.Dial("tcp", dst)
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	resp, body, c := rawConnect(b, proxy, "bench.allowed.test:"+strconv.Itoa(int(port(b, dst))), basic(tokenA))
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("CONNECT: %d %s", resp.StatusCode, body)
	}
	return c
}

// bareRelay is the peer for the proxy's throughput: a TCP forwarder to dst
// with nothing but io.Copy between two TCP connections (which splices, as
// the proxy's tunnel does) — no CONNECT, policy, audit or deadlines. On
// loopback every relayed byte crosses the kernel twice, so even this bare
// relay cannot reach the direct connection's rate when the CPU is the
// limit; the proxy is judged against it.
func bareRelay(b *testing.B, dst string) string {
	b.Helper()
	return serveTCP(b, func(c net.Conn) {
		up, err := net.Dial("tcp", dst)
		if err != nil {
			return
		}
		defer up.Close()
		go func() { _, _ = io.Copy(up, c) }()
		_, _ = io.Copy(c, up)
	})
}

// BenchmarkConnectThroughput downloads 1 GiB over loopback, directly,
// through a bare splicing TCP relay (the peer: see bareRelay) and through a
// CONNECT tunnel of the proxy, in the same run. Compare the MB/s of the
// sub-benchmarks; run with -benchtime=3x.
func BenchmarkConnectThroughput(b *testing.B) {
	const size = 1 << 30
	src := sourceServer(b, size)
	for _, mode := range []string{"direct", "bare-relay", "proxy"} {
		b.Run(mode, func(b *testing.B) {
			proxy, target := "", src
			switch mode {
			case "proxy":
				proxy = benchProxy(b, port(b, src))
			case "bare-relay":
				target = bareRelay(b, src)
			}
			buf := make([]byte, benchBuf)
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				c := dialVia(b, proxy, target)
				var got int64
				for {
					n, err := c.Read(buf)
					got += int64(n)
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				c.Close()
				if got != size {
					b.Fatalf("read %d bytes, want %d", got, size)
				}
			}
		})
	}
}

// BenchmarkConnectLatency measures one connection's setup and a one-byte
// round trip, directly and through the proxy (CONNECT, token check, cached
// decision, resolution, two audit events); the difference of the two
// ns/op is what the proxy adds per connection.
func BenchmarkConnectLatency(b *testing.B) {
	laddr := serveTCP(b, func(c net.Conn) {
		_, _ = io.Copy(c, c)
	})
	dst := laddr
	for _, mode := range []string{"direct", "proxy"} {
		b.Run(mode, func(b *testing.B) {
			proxy := ""
			if mode == "proxy" {
				proxy = benchProxy(b, port(b, dst))
			}
			one := []byte{1}
			b.ReportAllocs()
			for b.Loop() {
				c := dialVia(b, proxy, dst)
				if _, err := c.Write(one); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(c, one); err != nil {
					b.Fatal(err)
				}
				c.Close()
			}
		})
	}
}

// BenchmarkAllowListDecide decides one destination against 50 rules, the
// last of which allows it (the proxy caches the result per job and
// destination, so this is paid once per pair).
func BenchmarkAllowListDecide(b *testing.B) {
	rules := make([]egress.Rule, 50)
	for i := range rules {
		rules[i] = egress.Rule{Name: "r" + strconv.Itoa(i), Repositories: []string{"org-" + strconv.Itoa(i) + "/*"},
			Refs: []string{"refs/heads/*"}, Hosts: []string{"*.example-" + strconv.Itoa(i) + ".com"}, Ports: []uint16{443}}
	}
	rules[49].Repositories = []string{"octo/*"}
	al, err := egress.NewAllowList(rules...)
	if err != nil {
		b.Fatal(err)
	}
	dst := egress.Destination{Host: "api.example-49.com", Port: 443}
	b.ReportAllocs()
	for b.Loop() {
		d, err := al.Decide(b.Context(), jobA, dst)
		if err != nil || !d.Allow {
			b.Fatal(d, err)
		}
	}
}
