package mtls_test

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/svid/x509svid"

	"github.com/ztci/ztci/identity/mtls"
	"github.com/ztci/ztci/identity/svid"
)

// lifetimes is a CA, a server and a client ID, and a short lifetime for
// SVIDs that must expire while a connection is open.
type lifetimes struct {
	ca       *svid.Issuer
	srv, cli spiffeid.ID
}

func newLifetimes(t *testing.T) lifetimes {
	t.Helper()
	td := spiffeid.RequireTrustDomainFromString("ci.test")
	ca, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	return lifetimes{ca: ca, srv: spiffeid.RequireFromPath(td, "/svc/deployer"), cli: spiffeid.RequireFromPath(td, "/job/build")}
}

// issue returns an SVID for id living until notAfter (zero: the default).
func (l lifetimes) issue(t *testing.T, id spiffeid.ID, notAfter time.Time) *x509svid.SVID {
	t.Helper()
	s, err := l.ca.X509SVID(t.Context(), id, notAfter)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// soon is a NotAfter about a second away (x509 keeps whole seconds).
func soon() time.Time { return time.Now().Add(1500 * time.Millisecond) }

// echo serves ln: each connection is answered byte for byte.
func echo(t *testing.T, ln net.Listener) {
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
}

// closedWithin checks that c, open and answering, is closed within d:
// a read that blocks until then ends with an error other than a timeout.
func closedWithin(t *testing.T, c net.Conn, d time.Duration) {
	t.Helper()
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatalf("write: %v", err)
	}
	buf := make([]byte, 1)
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatalf("echo: %v", err)
	}
	c.SetReadDeadline(time.Now().Add(d))
	_, err := c.Read(buf)
	var ne net.Error
	if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		t.Fatalf("connection still open %v later (read: %v)", d, err)
	}
}

// TestReview22ListenerClosesAtClientSVIDExpiry: the server authorized the
// client at the handshake only, so a raw TLS connection stayed open (and
// served) after the client's SVID expired. Through NewListener it is
// closed when the client's certificate expires.
func TestReview22ListenerClosesAtClientSVIDExpiry(t *testing.T) {
	t.Parallel()
	l := newLifetimes(t)
	srvCfg, err := mtls.ServerConfig(l.issue(t, l.srv, time.Time{}), l.ca, mtls.AuthorizeID(l.cli))
	if err != nil {
		t.Fatal(err)
	}
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := mtls.NewListener(inner, srvCfg)
	if err != nil {
		t.Fatal(err)
	}
	echo(t, ln)
	cliCfg, err := mtls.ClientConfig(l.issue(t, l.cli, soon()), l.ca, mtls.AuthorizeID(l.srv))
	if err != nil {
		t.Fatal(err)
	}
	c, err := tls.Dial("tcp", ln.Addr().String(), cliCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	closedWithin(t, c, 3*time.Second)
}

// TestReview22DialerClosesAtServerSVIDExpiry: likewise on the client side,
// a connection outlived the server's SVID; a Dialer's is closed then.
func TestReview22DialerClosesAtServerSVIDExpiry(t *testing.T) {
	t.Parallel()
	l := newLifetimes(t)
	srvCfg, err := mtls.ServerConfig(l.issue(t, l.srv, soon()), l.ca, mtls.AuthorizeID(l.cli))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", srvCfg)
	if err != nil {
		t.Fatal(err)
	}
	echo(t, ln)
	cliCfg, err := mtls.ClientConfig(l.issue(t, l.cli, time.Time{}), l.ca, mtls.AuthorizeID(l.srv))
	if err != nil {
		t.Fatal(err)
	}
	d, err := mtls.NewDialer(cliCfg)
	if err != nil {
		t.Fatal(err)
	}
	c, err := d.DialContext(t.Context(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok := c.(*tls.Conn); !ok {
		t.Fatalf("DialContext returned %T, want *tls.Conn (http.Transport needs it for HTTP/2)", c)
	}
	closedWithin(t, c, 3*time.Second)
}

// TestReview22MaxConnAge: WithMaxConnAge cuts a connection whose SVIDs
// are still valid.
func TestReview22MaxConnAge(t *testing.T) {
	t.Parallel()
	l := newLifetimes(t)
	srvCfg, err := mtls.ServerConfig(l.issue(t, l.srv, time.Time{}), l.ca, mtls.AuthorizeID(l.cli))
	if err != nil {
		t.Fatal(err)
	}
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := mtls.NewListener(inner, srvCfg, mtls.WithMaxConnAge(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	echo(t, ln)
	cliCfg, err := mtls.ClientConfig(l.issue(t, l.cli, time.Time{}), l.ca, mtls.AuthorizeID(l.srv))
	if err != nil {
		t.Fatal(err)
	}
	c, err := tls.Dial("tcp", ln.Addr().String(), cliCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	closedWithin(t, c, time.Second)

	for _, bad := range []func() error{
		func() error { _, err := mtls.NewListener(inner, srvCfg, mtls.WithMaxConnAge(0)); return err },
		func() error { _, err := mtls.NewListener(nil, srvCfg); return err },
		func() error { _, err := mtls.NewDialer(nil); return err },
		func() error { _, err := mtls.NewDialer(cliCfg, nil); return err },
		func() error {
			c := srvCfg.Clone()
			c.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) { return nil, nil }
			_, err := mtls.NewListener(inner, c)
			return err
		},
	} {
		if err := bad(); !errors.Is(err, mtls.ErrConfig) {
			t.Errorf("err = %v, want ErrConfig", err)
		}
	}
}

// TestReview22HTTPKeepAliveEndsWithSVID: an HTTP/2 connection (server side)
// and a kept-alive HTTP/1.1 connection (client side, through the Dialer)
// served requests after the peer's SVID expired; now the connection is
// closed then, and the request after it needs a new handshake, which the
// expired SVID fails.
func TestReview22HTTPKeepAliveEndsWithSVID(t *testing.T) {
	t.Parallel()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Proto) })
	run := func(t *testing.T, srvNotAfter, cliNotAfter time.Time, h2 bool) {
		l := newLifetimes(t)
		srvCfg, err := mtls.ServerConfig(l.issue(t, l.srv, srvNotAfter), l.ca, mtls.AuthorizeID(l.cli))
		if err != nil {
			t.Fatal(err)
		}
		if h2 {
			srvCfg.NextProtos = []string{"h2", "http/1.1"}
		}
		inner, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ln, err := mtls.NewListener(inner, srvCfg)
		if err != nil {
			t.Fatal(err)
		}
		hs := &http.Server{Handler: ok}
		go hs.Serve(ln)
		t.Cleanup(func() { hs.Close() })
		cliCfg, err := mtls.ClientConfig(l.issue(t, l.cli, cliNotAfter), l.ca, mtls.AuthorizeID(l.srv))
		if err != nil {
			t.Fatal(err)
		}
		if h2 {
			cliCfg.NextProtos = []string{"h2", "http/1.1"}
		}
		d, err := mtls.NewDialer(cliCfg)
		if err != nil {
			t.Fatal(err)
		}
		tr := &http.Transport{DialTLSContext: d.DialContext, ForceAttemptHTTP2: h2}
		t.Cleanup(tr.CloseIdleConnections)
		cl := &http.Client{Transport: tr, Timeout: 3 * time.Second}
		get := func() (string, error) {
			resp, err := cl.Get("https://" + ln.Addr().String() + "/")
			if err != nil {
				return "", err
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			return string(b), err
		}
		proto, err := get()
		want := "HTTP/1.1"
		if h2 {
			want = "HTTP/2.0"
		}
		if err != nil || proto != want {
			t.Fatalf("first request: %q, %v; want %s", proto, err, want)
		}
		expiry := srvNotAfter
		if expiry.IsZero() {
			expiry = cliNotAfter
		}
		time.Sleep(time.Until(expiry.Truncate(time.Second)) + 200*time.Millisecond)
		if proto, err := get(); err == nil {
			t.Fatalf("request after the SVID expired served over %s", proto)
		}
	}
	t.Run("http2 server closes at client expiry", func(t *testing.T) {
		t.Parallel()
		run(t, time.Time{}, soon(), true)
	})
	t.Run("keep-alive client closes at server expiry", func(t *testing.T) {
		t.Parallel()
		run(t, soon(), time.Time{}, false)
	})
}
