package egress

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/ztci/ztci/internal/asciifold"
)

// maxClientHello bounds what the proxy reads of a tunnel's first bytes to
// find the TLS server name. A real ClientHello is a few KiB, post-quantum
// key shares included.
const maxClientHello = 64 << 10

// TLS record content types (RFC 8446, 5.1; heartbeat RFC 6520): the first
// byte of every TLS record.
const (
	recordTypeChangeCipherSpec = 0x14
	recordTypeHeartbeat        = 0x18
)

// looksLikeTLS reports whether a tunnel's first byte starts a TLS record of
// any content type. Not only a handshake record: a server may skip records
// before the ClientHello (crypto/tls drops warning alerts, up to 16), so a
// tunnel that opened with one and was passed unread could carry a hello
// naming any server.
func looksLikeTLS(b byte) bool {
	return b >= recordTypeChangeCipherSpec && b <= recordTypeHeartbeat
}

var errGotHello = errors.New("egress: client hello read")

// errUnreadableHello: the tunnel's first bytes look like TLS (a record of
// any content type) but hold no ClientHello the proxy can read within
// maxClientHello, crypto/tls's server skipping what it skips before one
// (warning alerts). The tunnel is closed: a server more lenient than Go's
// parser could otherwise be sent a name the proxy never saw.
var errUnreadableHello = errors.New("egress: unreadable TLS client hello")

// peekServerName reads the first bytes a job sends into a tunnel and, when
// they are a TLS ClientHello, returns the server name it asks for (SNI; ""
// when it names none). read is everything consumed from r, to be forwarded
// unchanged. Bytes that do not start with a TLS record (see looksLikeTLS)
// are returned at once (another protocol: nothing to check). It parses with
// crypto/tls, on a connection that never writes.
func peekServerName(r io.Reader) (read []byte, serverName string, err error) {
	first := make([]byte, 4096)
	n, err := r.Read(first)
	first = first[:n]
	if n == 0 || !looksLikeTLS(first[0]) {
		return first, "", err
	}
	var rest bytes.Buffer
	more := &errReader{r: io.LimitReader(r, maxClientHello-int64(n))}
	hc := &helloConn{r: io.MultiReader(bytes.NewReader(first), io.TeeReader(more, &rest))}
	got := false
	srv := tls.Server(hc, &tls.Config{GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		serverName, got = h.ServerName, true
		return nil, errGotHello
	}})
	hsErr := srv.Handshake()
	read = append(first, rest.Bytes()...)
	switch {
	case got:
		return read, serverName, nil
	case more.err != nil:
		return read, "", more.err
	default:
		return read, "", errors.Join(errUnreadableHello, hsErr)
	}
}

// errReader remembers the first error other than EOF that r returned.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(b []byte) (int, error) {
	n, err := e.r.Read(b)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

// helloConn feeds crypto/tls the tunnel's first bytes and drops whatever it
// writes (alerts): the job must not see a handshake the proxy is not part
// of.
type helloConn struct{ r io.Reader }

func (c *helloConn) Read(b []byte) (int, error)       { return c.r.Read(b) }
func (c *helloConn) Write(b []byte) (int, error)      { return len(b), nil }
func (c *helloConn) Close() error                     { return nil }
func (c *helloConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *helloConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *helloConn) SetDeadline(time.Time) error      { return nil }
func (c *helloConn) SetReadDeadline(time.Time) error  { return nil }
func (c *helloConn) SetWriteDeadline(time.Time) error { return nil }

// auditServerName returns a TLS server name as audit events and the
// proxy's messages carry it. The name is the job's choice and crypto/tls
// takes any bytes up to 64 KiB: written raw, one name could make the deny
// and close records of a fronting attempt too large for the audit log
// (which then refuses them) or forge lines in a log that does not escape.
// A host name (letters, digits, '-', '_', '.', at most 253 bytes) is kept
// as it is; anything else is cut to 253 bytes and quoted in ASCII.
func auditServerName(name string) string {
	plain := len(name) <= maxHostLen && strings.Trim(name,
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == ""
	if plain {
		return name
	}
	if len(name) > maxHostLen {
		return strconv.QuoteToASCII(name[:maxHostLen]) + "..."
	}
	return strconv.QuoteToASCII(name)
}

// sameHost reports whether a TLS server name names host (a CONNECT host
// name, already lower case without a trailing dot). Case is folded in
// ASCII only: Unicode folding (strings.EqualFold) took "teſt" (long s) and
// the Kelvin sign for "test" and "k", names the destination is sent but
// policy never decided on.
func sameHost(serverName, host string) bool {
	return asciifold.Equal(strings.TrimSuffix(serverName, "."), host)
}
