package workload

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"

	"github.com/spiffe/go-spiffe/v2/bundle/jwtbundle"
	"github.com/spiffe/go-spiffe/v2/bundle/x509bundle"
	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/svid/jwtsvid"
	"github.com/spiffe/go-spiffe/v2/svid/x509svid"
	"github.com/spiffe/go-spiffe/v2/workloadapi"
	"google.golang.org/grpc"

	"github.com/ztci/ztci/internal/clip"
)

// Sources are live X.509 and JWT sources from any SPIFFE Workload API
// (SPIRE, or this package's [Server]) over one go-spiffe client. They
// implement x509svid.Source, x509bundle.Source, jwtsvid.Source and
// jwtbundle.Source, and stay current as the agent rotates SVIDs. Close
// releases the watchers and the connection.
type Sources struct {
	client *workloadapi.Client
	x509   *workloadapi.X509Source
	jwt    *workloadapi.JWTSource
}

// OpenOption configures [Open].
type OpenOption func(*openConfig) error

// openConfig is what the Open options set.
type openConfig struct {
	secured bool     // the vendor vouches for the transport (WithSecuredTransport)
	owners  []uint32 // uids besides ours and root's trusted to own the socket's path (WithSocketOwner)
}

// WithSecuredTransport lets [Open] take an address it cannot check: one
// that is not a unix socket (tcp://), or a unix socket whose path fails the
// ownership rule. Whoever answers at addr supplies the trust bundle the
// job then trusts and the SVIDs it presents, so with this option the vendor
// vouches that only the Workload API it means can answer there (a network
// namespace of the job's own, say).
func WithSecuredTransport() OpenOption {
	return func(c *openConfig) error {
		c.secured = true
		return nil
	}
}

// WithSocketOwner adds uid to the owners [Open] trusts for the socket and
// the directories on its path (besides the process's effective uid and
// root): the uid a runner or a SPIRE agent serving the job runs as. On
// Linux it is also trusted as the uid of the process serving the socket.
// It is the only way to trust the overflow uid (65534, nobody), as which a
// job in a user namespace sees a host agent and its directories: then any
// host user without a mapping in that namespace is trusted as well.
func WithSocketOwner(uid int) OpenOption {
	return func(c *openConfig) error {
		if uid < 0 || uint64(uid) > math.MaxUint32 {
			return fmt.Errorf("%w: socket owner uid %d", ErrConfig, uid)
		}
		c.owners = append(c.owners, uint32(uid))
		return nil
	}
}

// Open connects to the Workload API at addr ("unix:///path/to/socket"; ""
// reads SPIFFE_ENDPOINT_SOCKET, as go-spiffe does) and waits until the
// first X.509-SVID and JWT bundle arrived or ctx is done.
//
// Whoever answers at addr chooses the CA the job trusts, so Open refuses,
// with an error wrapping [ErrTransport], an address that is not a unix
// socket, and a socket whose path someone else could have put there or
// could replace: every entry the path resolves through (symlinks
// followed) must be owned by the process's effective uid, root, or a
// [WithSocketOwner] uid, and every directory on it must not be writable by
// group or others unless it is sticky (/tmp: others cannot rename or remove
// what they do not own there). The socket's own mode is not checked: a
// Workload API socket is meant to be connectable by others (SPIRE's is
// 0777). The check runs again before every dial go-spiffe makes, so a
// reconnect after the agent restarted meets the same rule. On Linux, macOS
// and FreeBSD each connection is then checked too: the process serving the
// socket (SO_PEERCRED; LOCAL_PEERCRED on macOS and FreeBSD) must run as the
// process's effective uid, root or a [WithSocketOwner] uid, or the
// connection is closed ([ErrTransport]); this closes the window in which,
// in a sticky directory, the agent's socket is unlinked after the path
// check and another user binds the same name. On other systems (OpenBSD,
// NetBSD, ...) only the path check applies. The overflow uid (nobody,
// 65534) is trusted only when a [WithSocketOwner] names it, even for a
// process running as nobody: seen from a user namespace it is every
// unmapped uid (any host user's), and outside one it is shared by
// unrelated daemons and jobs.
// [WithSecuredTransport] turns the checks off.
func Open(ctx context.Context, addr string, opts ...OpenOption) (*Sources, error) {
	var cfg openConfig
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrConfig)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	wopts, err := cfg.clientOptions(ctx, addr)
	if err != nil {
		return nil, err
	}
	client, err := workloadapi.New(ctx, wopts...)
	if err != nil {
		return nil, fmt.Errorf("workload: connect %s: %w", addr, err)
	}
	x, err := workloadapi.NewX509Source(ctx, workloadapi.WithClient(client))
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("workload: X.509 source: %w", err)
	}
	j, err := workloadapi.NewJWTSource(ctx, workloadapi.WithClient(client))
	if err != nil {
		x.Close()
		client.Close()
		return nil, fmt.Errorf("workload: JWT source: %w", err)
	}
	return &Sources{client: client, x509: x, jwt: j}, nil
}

// GetX509SVID implements x509svid.Source.
func (s *Sources) GetX509SVID() (*x509svid.SVID, error) { return s.x509.GetX509SVID() }

// GetX509BundleForTrustDomain implements x509bundle.Source.
func (s *Sources) GetX509BundleForTrustDomain(td spiffeid.TrustDomain) (*x509bundle.Bundle, error) {
	return s.x509.GetX509BundleForTrustDomain(td)
}

// FetchJWTSVID implements jwtsvid.Source.
func (s *Sources) FetchJWTSVID(ctx context.Context, p jwtsvid.Params) (*jwtsvid.SVID, error) {
	return s.jwt.FetchJWTSVID(ctx, p)
}

// GetJWTBundleForTrustDomain implements jwtbundle.Source.
func (s *Sources) GetJWTBundleForTrustDomain(td spiffeid.TrustDomain) (*jwtbundle.Bundle, error) {
	return s.jwt.GetJWTBundleForTrustDomain(td)
}

// Close stops both watchers and closes the connection.
func (s *Sources) Close() error {
	return errors.Join(s.x509.Close(), s.jwt.Close(), s.client.Close())
}

// clientOptions checks addr as [Open] documents and returns go-spiffe's
// options to reach it, with a dialer that checks the socket again before
// each dial and its server after.
func (c *openConfig) clientOptions(ctx context.Context, addr string) ([]workloadapi.ClientOption, error) {
	if addr == "" {
		var ok bool
		if addr, ok = workloadapi.GetDefaultAddress(); !ok {
			return nil, fmt.Errorf("%w: no address and %s is not set", ErrConfig, workloadapi.SocketEnv)
		}
	}
	if c.secured {
		return []workloadapi.ClientOption{workloadapi.WithAddr(addr)}, nil
	}
	path, err := unixPath(addr)
	if err != nil {
		return nil, err
	}
	// gRPC hands the dialer the target as given ("unix:///path") or, by
	// some resolvers, the bare path: either way the path checked is the one
	// dialled.
	dial := func(ctx context.Context, target string) (net.Conn, error) {
		p, err := target, error(nil)
		if !filepath.IsAbs(p) {
			p, err = unixPath(target)
		}
		if err == nil {
			err = checkSocketPath(p, c.owners)
		}
		if err != nil {
			return nil, err
		}
		var d net.Dialer
		conn, err := d.DialContext(ctx, "unix", p)
		if err != nil {
			return nil, err
		}
		if err := checkSocketPeer(conn, trustedOwner(c.owners)); err != nil {
			conn.Close()
			return nil, err
		}
		return conn, nil
	}
	// One dial now, so that a socket the checks refuse fails Open at once
	// (gRPC would only retry it until ctx is done); a socket nobody
	// answers yet is left to go-spiffe's retries, as before.
	probe, err := dial(ctx, path)
	if errors.Is(err, ErrTransport) {
		return nil, err
	}
	if err == nil {
		probe.Close()
	}
	return []workloadapi.ClientOption{
		workloadapi.WithAddr(addr),
		workloadapi.WithDialOptions(grpc.WithContextDialer(dial)),
	}, nil
}

// trustedOwner is the rule for who may own the socket, the directories on
// its path and the process serving it: the process's effective uid, root,
// or one of owners; never the overflow uid (nobody) unless owners name it.
func trustedOwner(owners []uint32) func(uint32) bool {
	return ownerTrust(owners, uint32(os.Geteuid()), overflowUID())
}

// ownerTrust is trustedOwner for a process of effective uid euid. The
// overflow uid is every uid unmapped in the process's user namespace (any
// host user's, seen from a container) and, outside one, nobody, shared by
// unrelated daemons and jobs: a process running as it does not own what
// it appears to own.
func ownerTrust(owners []uint32, euid uint32, overflow int) func(uint32) bool {
	return func(uid uint32) bool {
		switch {
		case slices.Contains(owners, uid):
			return true
		case int64(uid) == int64(overflow):
			return false
		}
		return uid == 0 || uid == euid
	}
}

// unixPath is the socket path of a "unix:///abs/path" address, as gRPC's
// unix resolver reads it; any other address wraps [ErrTransport].
func unixPath(addr string) (string, error) {
	u, err := url.Parse(addr)
	if err != nil {
		return "", fmt.Errorf("%w: Workload API address is not a URI", ErrTransport)
	}
	if u.Scheme != "unix" {
		return "", fmt.Errorf("%w: Open refuses a %q address without WithSecuredTransport", ErrTransport, clip.String(u.Scheme, 16))
	}
	if u.Opaque != "" || u.User != nil || u.Host != "" || u.RawQuery != "" || u.Fragment != "" || !filepath.IsAbs(u.Path) {
		return "", fmt.Errorf("%w: a unix address is unix:///absolute/path", ErrTransport)
	}
	return u.Path, nil
}
