package mtls

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync"
	"time"
)

// ConnOption configures [NewListener] and [NewDialer].
type ConnOption func(*connConfig) error

// connConfig is what the ConnOptions set.
type connConfig struct {
	maxAge time.Duration // 0: bounded by the peer's certificates only
}

// WithMaxConnAge closes every connection d after it was accepted or
// dialled, if its peer's certificates have not expired before: a peer the
// authorizer would refuse by then (its job ended, a kill-switch mark) is
// cut within d, not only when its SVID expires. d must be positive.
func WithMaxConnAge(d time.Duration) ConnOption {
	return func(c *connConfig) error {
		if d <= 0 {
			return fmt.Errorf("%w: WithMaxConnAge(%v): need a positive duration", ErrConfig, d)
		}
		c.maxAge = d
		return nil
	}
}

func newConnConfig(cfg *tls.Config, opts []ConnOption) (connConfig, error) {
	var c connConfig
	if cfg == nil {
		return c, fmt.Errorf("%w: a TLS configuration is required", ErrConfig)
	}
	if cfg.GetConfigForClient != nil {
		// The configuration it returns would replace the one that
		// bounds the connection.
		return c, fmt.Errorf("%w: a TLS configuration with GetConfigForClient cannot bound its connections", ErrConfig)
	}
	for _, o := range opts {
		if o == nil {
			return c, fmt.Errorf("%w: nil ConnOption", ErrConfig)
		}
		if err := o(&c); err != nil {
			return c, err
		}
	}
	return c, nil
}

// boundConn is a raw connection under a TLS connection that closes itself
// when its peer's certificates expire, or at its maximum age: the TLS
// configurations here authorize a peer at the handshake only, and an open
// connection would otherwise outlive the SVID that admitted it.
type boundConn struct {
	net.Conn
	mu     sync.Mutex
	end    time.Time // when the timer closes the connection; zero: never
	timer  *time.Timer
	closed bool
}

// bind wraps raw and arms its maximum age.
func bind(raw net.Conn, c connConfig) *boundConn {
	b := &boundConn{Conn: raw}
	if c.maxAge > 0 {
		b.closeBy(time.Now().Add(c.maxAge))
	}
	return b
}

// closeBy has the connection closed at t, unless it closes earlier.
func (b *boundConn) closeBy(t time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || (!b.end.IsZero() && !t.Before(b.end)) {
		return
	}
	b.end = t
	if b.timer != nil {
		b.timer.Stop()
	}
	b.timer = time.AfterFunc(time.Until(t), func() { b.Conn.Close() })
}

// Close stops the timer, so that a closed connection holds nothing until
// its peer's certificates expire.
func (b *boundConn) Close() error {
	b.mu.Lock()
	b.closed = true
	if b.timer != nil {
		b.timer.Stop()
	}
	b.mu.Unlock()
	return b.Conn.Close()
}

// peerExpiry is the earliest NotAfter of the certificates the peer
// presented; false when it presented none (a bearer-token caller of
// [ServerConfigClientOptional]).
func peerExpiry(cs tls.ConnectionState) (time.Time, bool) {
	var end time.Time
	for i, c := range cs.PeerCertificates {
		if i == 0 || c.NotAfter.Before(end) {
			end = c.NotAfter
		}
	}
	return end, len(cs.PeerCertificates) > 0
}

// bounding returns a copy of cfg whose VerifyConnection, after cfg's own,
// has b closed when the peer's certificates expire.
func bounding(cfg *tls.Config, b *boundConn) *tls.Config {
	c := cfg.Clone()
	verify := cfg.VerifyConnection
	c.VerifyConnection = func(cs tls.ConnectionState) error {
		if verify != nil {
			if err := verify(cs); err != nil {
				return err
			}
		}
		end, ok := peerExpiry(cs)
		if !ok {
			return nil
		}
		if !end.After(time.Now()) {
			return fmt.Errorf("%w: peer certificate expired at %v", ErrUnauthorized, end.UTC())
		}
		b.closeBy(end)
		return nil
	}
	return c
}

// NewListener returns a TLS listener over inner (cfg from [ServerConfig] or
// [ServerConfigClientOptional]) whose connections, *tls.Conn as
// http.Server needs them for HTTP/2 and Request.TLS, are closed when the
// client's certificate chain expires (the earliest NotAfter it presented)
// or at [WithMaxConnAge]. Serve HTTP with http.Server.Serve(l) (put "h2"
// in cfg.NextProtos for HTTP/2), not ServeTLS or ListenAndServeTLS, whose
// connections nothing bounds. cfg must not set GetConfigForClient.
func NewListener(inner net.Listener, cfg *tls.Config, opts ...ConnOption) (net.Listener, error) {
	if inner == nil {
		return nil, fmt.Errorf("%w: a listener is required", ErrConfig)
	}
	c, err := newConnConfig(cfg, opts)
	if err != nil {
		return nil, err
	}
	return &listener{Listener: inner, cfg: cfg, conn: c}, nil
}

type listener struct {
	net.Listener
	cfg  *tls.Config
	conn connConfig
}

// Accept returns the next connection; its handshake runs on first use.
func (l *listener) Accept() (net.Conn, error) {
	raw, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	b := bind(raw, l.conn)
	return tls.Server(b, bounding(l.cfg, b)), nil
}

// Dialer dials TLS connections (cfg from [ClientConfig]) that are closed
// when the server's certificate chain expires (the earliest NotAfter it
// presented) or at [WithMaxConnAge]. Its DialContext is an
// http.Transport's DialTLSContext: a kept-alive or HTTP/2 connection
// ends with the server's SVID, and the transport dials (and verifies)
// again (put "h2" in cfg.NextProtos for HTTP/2).
type Dialer struct {
	cfg  *tls.Config
	conn connConfig
	net  net.Dialer
}

// NewDialer returns a [Dialer] for cfg. cfg must not set
// GetConfigForClient.
func NewDialer(cfg *tls.Config, opts ...ConnOption) (*Dialer, error) {
	c, err := newConnConfig(cfg, opts)
	if err != nil {
		return nil, err
	}
	return &Dialer{cfg: cfg, conn: c}, nil
}

// DialContext connects to addr and completes the handshake within ctx; the
// connection is a *tls.Conn.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	raw, err := d.net.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	b := bind(raw, d.conn)
	cfg := bounding(d.cfg, b)
	if cfg.ServerName == "" && !cfg.InsecureSkipVerify {
		// As tls.Dial: a configuration that checks names checks addr's.
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			b.Close()
			return nil, fmt.Errorf("mtls: dial %s: %w", addr, err)
		}
		cfg.ServerName = host
	}
	c := tls.Client(b, cfg)
	if err := c.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}
