package workload

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/spiffe/go-spiffe/v2/proto/spiffe/workload"
	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/svid/x509svid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/ztci/ztci/identity/svid"
	"github.com/ztci/ztci/internal/redact"
)

// Errors.
var (
	// ErrConfig: invalid constructor argument or option.
	ErrConfig = errors.New("workload: invalid configuration")
	// ErrClosed: Serve was called on a closed server.
	ErrClosed = errors.New("workload: server closed")
	// ErrNotAttested: the attestor refused the caller.
	ErrNotAttested = errors.New("workload: caller not attested")
	// ErrTransport: Serve was given a listener that is not a unix socket
	// without [WithNonUnixListener], or Open an address that is not a unix
	// socket, or a socket whose path others could replace, without
	// [WithSecuredTransport].
	ErrTransport = errors.New("workload: the Workload API is served on a unix socket only")
)

// Caller is what the server knows about a process calling the Workload
// API: its credentials from the unix socket (SO_PEERCRED), as the kernel
// recorded them when the connection was made. On other transports, and
// on platforms where the server cannot read them, HasCredentials is false
// and PID, UID and GID are -1 (never 0, root's uid and gid). UID and GID
// cannot be forged by the caller, but the kernel reports a uid (gid) that
// has no mapping in the server's user namespace as the overflow uid (gid),
// 65534 by default, and the PID of a process in a PID namespace the
// server cannot see as 0: neither names a caller.
//
// PID names the process that connected, which may have exited since
// (leaving the connection to a child, or to a process it passed it to) and
// its PID been reused, so an attestor that looks the PID up (in /proc, say)
// could read another process's attributes. The [Server] therefore holds a
// pidfd for the process that connected (SO_PEERPIDFD, taken by the kernel
// at connect(); before Linux 6.5, pidfd_open of the PID when the
// connection is accepted) and, after an attestor other than [FixedID] and
// [UID] (which never read the PID) admitted a caller with credentials,
// refuses the call (PermissionDenied) unless that process is still
// running: while it runs its PID names no other process, so what the
// attestor read was the caller's. Without a pidfd (Linux before 5.3, a
// seccomp filter refusing pidfd_open) such a caller is refused too. As
// with SPIRE, a live process that passed its connection to another process
// still vouches for it: SO_PEERCRED names whoever connected, not whoever
// holds the socket now. That includes a process that connected, handed the
// connection to a child (or kept a copy in one), and then exec'd another
// program: its PID, still running, now shows that program (its
// /proc/<pid>/exe, cmdline, and a setuid program's uid there), while the
// child calls. An attestor that looks the PID up therefore attests the
// program running at that PID, not necessarily the code calling; the uid
// and gid in Caller are the ones at connect() and exec cannot change them.
type Caller struct {
	PID, UID, GID  int
	HasCredentials bool

	proc *process // the process that connected; nil without credentials
}

// Attestor decides which SPIFFE ID a caller is entitled to. An error
// refuses the call (PermissionDenied). The [Server] takes any attestor but
// [FixedID] and [UID] to read the caller's PID: what it admits is refused
// all the same unless the process that connected still runs when it has
// answered (see [Caller]).
type Attestor interface {
	Attest(ctx context.Context, c Caller) (spiffeid.ID, error)
}

// AttestorFunc adapts a function to an Attestor.
type AttestorFunc func(ctx context.Context, c Caller) (spiffeid.ID, error)

// Attest calls f(ctx, c).
func (f AttestorFunc) Attest(ctx context.Context, c Caller) (spiffeid.ID, error) { return f(ctx, c) }

// pidFree is an attestor of this package that never reads [Caller.PID],
// so that whether the connecting process still runs does not bear on its
// answer (see [Caller]).
type pidFree struct{ AttestorFunc }

// readsPID reports whether a's answer may rest on the caller's PID: any
// attestor but [FixedID] and [UID].
func readsPID(a Attestor) bool {
	_, ok := a.(pidFree)
	return !ok
}

// FixedID attests every caller as id. Use it with one socket per job,
// reachable only by that job (the runner's usual layout).
func FixedID(id spiffeid.ID) Attestor {
	return pidFree{func(context.Context, Caller) (spiffeid.ID, error) { return id, nil }}
}

// UID attests callers whose uid is in ids, refusing everyone else, and
// refusing the overflow uid (65534, "nobody", unless the kernel's
// overflowuid sysctl says otherwise) even when ids maps it: the kernel
// reports every caller whose uid has no mapping in the server's user
// namespace (a host process calling a server in a rootless container, say)
// as that uid, so it names no one in particular. Run jobs under another
// uid.
func UID(ids map[int]spiffeid.ID) Attestor {
	overflow := overflowUID()
	return pidFree{func(_ context.Context, c Caller) (spiffeid.ID, error) {
		if c.UID == overflow {
			return spiffeid.ID{}, fmt.Errorf("%w: uid %d is the kernel's overflow uid, which every caller unmapped in the server's user namespace has", ErrNotAttested, c.UID)
		}
		if id, ok := ids[c.UID]; ok && c.HasCredentials {
			return id, nil
		}
		return spiffeid.ID{}, fmt.Errorf("%w: uid %d", ErrNotAttested, c.UID)
	}}
}

// Option configures a [Server].
type Option func(*config) error

// config is what the options set.
type config struct {
	logger        *slog.Logger
	streams       chan struct{} // one token per open stream
	perID         int           // streams one SPIFFE ID may hold open (WithMaxStreamsPerID)
	calls         chan struct{} // one token per unary call in progress
	callsPerID    int           // unary calls one SPIFFE ID may have in progress (WithMaxCallsPerID)
	connsPerUID   int           // connections one uid may hold open (WithMaxConnsPerUID)
	nonUnix       bool          // listeners other than unix sockets allowed (WithNonUnixListener)
	bundleRefresh time.Duration
}

// DefaultBundleRefresh is how often a JWT bundle stream re-reads the
// issuer's bundle by default (see [WithBundleRefresh]).
const DefaultBundleRefresh = 5 * time.Second

// WithBundleRefresh sets how often each FetchJWTBundles stream re-reads the
// issuer's JWT bundle (default [DefaultBundleRefresh]) and sends it again
// when its keys changed: a rotated key, or a key another replica published
// to the fleet key store, reaches streaming clients within d without a
// reconnect. Each read may ask the issuer's key store.
func WithBundleRefresh(d time.Duration) Option {
	return func(c *config) error {
		if d < 10*time.Millisecond {
			return fmt.Errorf("%w: WithBundleRefresh(%v): need at least 10ms", ErrConfig, d)
		}
		c.bundleRefresh = d
		return nil
	}
}

// MaxRequestSize is the largest Workload API request message the server
// reads, in bytes; a larger one is refused with codes.ResourceExhausted
// before it is read. The largest legitimate request, a ValidateJWTSVID of
// an [svid.MaxJWTSize] token, is a quarter of it. gRPC's default of 4 MiB
// let any caller that can reach the socket make the server hold 4 MiB per
// request, on as many concurrent requests as it opened.
const MaxRequestSize = 64 << 10

// MaxRequestHeaderSize bounds the header list of a Workload API request
// (HTTP/2 SETTINGS_MAX_HEADER_LIST_SIZE: names and values, plus 32 bytes
// a field), in bytes; a stream whose headers are larger is reset before
// the caller is attested. A Workload API client sends a few hundred bytes
// (the security header, gRPC's own). gRPC's server default of 16 MiB,
// held for as long as the stream stays open, let any caller that can reach
// the socket make the server hold that much per stream, on as many
// streams as it opened, whether or not the attestor admitted it.
const MaxRequestHeaderSize = 16 << 10

// MaxStreamsPerConn bounds the streams and calls open at once on one
// connection (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS, the value RFC 9113
// recommends at least); a client's streams beyond it wait, and one that
// ignores the setting has them refused (REFUSED_STREAM). gRPC's server
// default sets no bound, and the server's other bounds apply once a
// request has arrived: before that, one connection could open streams
// without end, each a goroutine and buffers waiting for its request.
const MaxStreamsPerConn = 100

// DefaultMaxStreams is the default bound on concurrent Workload API
// streams per [Server] (see [WithMaxStreams]).
const DefaultMaxStreams = 64

// WithMaxStreams bounds the streams (FetchX509SVID, FetchX509Bundles,
// FetchJWTBundles) open at once on the server, across all connections,
// to n (default [DefaultMaxStreams]). Every X.509-SVID stream mints a key
// and a certificate and re-issues them for as long as it stays open, so an
// unbounded number would let one caller exhaust CPU and memory; a stream
// beyond the bound is refused with codes.ResourceExhausted before the
// caller is attested. A stream counts once its request message has
// arrived, so that streams left waiting for theirs hold no slot (those
// are bounded per connection, [MaxStreamsPerConn]).
func WithMaxStreams(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: WithMaxStreams(%d): need at least 1", ErrConfig, n)
		}
		c.streams = make(chan struct{}, n)
		return nil
	}
}

// DefaultMaxStreamsPerID is the default bound on the concurrent Workload
// API streams of one attested SPIFFE ID (see [WithMaxStreamsPerID]).
const DefaultMaxStreamsPerID = DefaultMaxStreams / 4

// WithMaxStreamsPerID bounds the streams one attested SPIFFE ID may hold
// open at once on the server to n (default [DefaultMaxStreamsPerID]). A
// stream beyond it is refused with codes.ResourceExhausted after the caller
// is attested, and nothing is minted for it. Without it, on a socket shared
// by several jobs (the [UID] attestor), one job that opens [WithMaxStreams]
// streams and leaves them open would have every other job's streams refused
// for as long as it liked. Set WithMaxStreams to at least n times the
// number of IDs that share the socket for each of them to be sure of its
// streams; go-spiffe's sources use one stream each.
func WithMaxStreamsPerID(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: WithMaxStreamsPerID(%d): need at least 1", ErrConfig, n)
		}
		c.perID = n
		return nil
	}
}

// DefaultMaxCalls is the default bound on the FetchJWTSVID and
// ValidateJWTSVID calls in progress at once on a [Server] (see
// [WithMaxCalls]).
const DefaultMaxCalls = 64

// WithMaxCalls bounds the unary calls (FetchJWTSVID, ValidateJWTSVID) in
// progress at once on the server, across all connections, to n (default
// [DefaultMaxCalls]). Each signs or verifies a token, perhaps with a KMS
// key that answers slowly; a call beyond the bound is refused with
// codes.Unavailable before the caller is attested. Unavailable is the code
// the SPIFFE Workload Endpoint specification (section 6) gives a server
// that sheds load, and tells clients they may retry with a backoff.
func WithMaxCalls(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: WithMaxCalls(%d): need at least 1", ErrConfig, n)
		}
		c.calls = make(chan struct{}, n)
		return nil
	}
}

// DefaultMaxCallsPerID is the default bound on the unary calls one
// attested SPIFFE ID may have in progress at once (see
// [WithMaxCallsPerID]).
const DefaultMaxCallsPerID = DefaultMaxCalls / 4

// WithMaxCallsPerID bounds the unary calls (FetchJWTSVID and
// ValidateJWTSVID together) one attested SPIFFE ID may have in progress at
// once to n (default [DefaultMaxCallsPerID]). A call beyond it is refused
// with codes.Unavailable after the caller is attested, before anything is
// signed or verified. Without it, on a socket shared by several jobs (the
// [UID] attestor), one job could keep [WithMaxCalls] calls in progress and
// have every other job's refused. Set WithMaxCalls to at least n times the
// number of IDs that share the socket for each of them to be sure of its
// calls.
func WithMaxCallsPerID(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: WithMaxCallsPerID(%d): need at least 1", ErrConfig, n)
		}
		c.callsPerID = n
		return nil
	}
}

// WithNonUnixListener lets [Server.Serve] take a listener that is not a
// unix socket (a Windows named pipe, a vsock, TCP). The Workload API hands
// private keys to whoever connects, as the attestor decides, and an
// attestor that does not identify the caller's process ([FixedID] above
// all) tells nothing of who that is; a unix socket can be made reachable
// by one job only ([Listen]'s mode), a TCP port by anyone who can route
// to it. With
// this option the vendor vouches that the transport reaches only the
// callers the attestor may admit; callers on it carry no credentials
// ([Caller.HasCredentials] false).
func WithNonUnixListener() Option {
	return func(c *config) error {
		c.nonUnix = true
		return nil
	}
}

// WithLogger sets the diagnostics logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrConfig)
		}
		c.logger = l
		return nil
	}
}

// Server serves the SPIFFE Workload API (go-spiffe's published protobuf)
// from an embedded [svid.Issuer]: X.509-SVIDs (re-sent at half their
// lifetime), JWT-SVIDs, both bundles, and JWT-SVID validation. Any SPIFFE
// client library, including go-spiffe's workloadapi, can talk to it.
type Server struct {
	workload.UnimplementedSpiffeWorkloadAPIServer

	issuer *svid.Issuer
	attest Attestor
	config

	now func() time.Time // time.Now; tests set it (export_test.go)

	mu     sync.Mutex
	grpc   *grpc.Server
	closed bool
	done   chan struct{}
	open   map[spiffeid.ID]int // open streams per attested ID; guarded by mu
	busy   map[spiffeid.ID]int // unary calls in progress per attested ID; guarded by mu
	conns  map[int]int         // open connections per caller uid (conns.go); guarded by mu
}

// String names the server's trust domain. The issuer is never printed:
// fmt's %s or %q of the struct would reach the issuer's fields, its CA key
// among them, by reflection, where the issuer's own Format is not called.
func (s *Server) String() string {
	return "workload.Server{" + s.issuer.TrustDomain().String() + ", issuer keys:" + redact.Marker + "}"
}

// GoString is String.
func (s *Server) GoString() string { return s.String() }

// Format writes String for every verb.
func (s *Server) Format(f fmt.State, _ rune) { redact.Format(f, s.String()) }

// LogValue is String.
func (s *Server) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON is String as a JSON string.
func (s *Server) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// NewServer returns a Workload API server issuing from iss to callers
// attested by attest.
func NewServer(iss *svid.Issuer, attest Attestor, opts ...Option) (*Server, error) {
	if iss == nil || attest == nil {
		return nil, fmt.Errorf("%w: issuer and attestor are required", ErrConfig)
	}
	s := &Server{
		issuer: iss,
		attest: attest,
		config: config{logger: slog.New(slog.DiscardHandler), perID: DefaultMaxStreamsPerID, callsPerID: DefaultMaxCallsPerID, connsPerUID: DefaultMaxConnsPerUID, bundleRefresh: DefaultBundleRefresh},
		now:    time.Now,
		done:   make(chan struct{}),
		open:   map[spiffeid.ID]int{},
		busy:   map[spiffeid.ID]int{},
		conns:  map[int]int{},
	}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil Option", ErrConfig)
		}
		if err := o(&s.config); err != nil {
			return nil, err
		}
	}
	if s.streams == nil {
		s.streams = make(chan struct{}, DefaultMaxStreams)
	}
	if s.calls == nil {
		s.calls = make(chan struct{}, DefaultMaxCalls)
	}
	s.grpc = grpc.NewServer(grpc.Creds(peerCredentials{}), grpc.StreamInterceptor(s.limitStreams),
		grpc.UnaryInterceptor(s.limitCalls), grpc.MaxRecvMsgSize(MaxRequestSize),
		grpc.MaxHeaderListSize(MaxRequestHeaderSize), grpc.MaxConcurrentStreams(MaxStreamsPerConn))
	workload.RegisterSpiffeWorkloadAPIServer(s.grpc, s)
	return s, nil
}

// limitStreams refuses a stream when WithMaxStreams streams are open. A
// stream takes its slot once its request message has arrived (every
// Workload API stream reads one request before anything else): gRPC runs
// the interceptor as soon as the headers arrive, and a slot taken then
// was held for as long as the caller did not send its request, so that
// any process reaching the socket, unattested, could hold every slot.
func (s *Server) limitStreams(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ls := &limitedStream{ServerStream: ss, s: s}
	defer func() {
		if ls.held {
			<-s.streams
		}
	}()
	return handler(srv, ls)
}

// limitedStream takes a slot of the server's WithMaxStreams bound when its
// first request message has been received, and refuses the stream
// (ResourceExhausted) when none is free.
type limitedStream struct {
	grpc.ServerStream
	s    *Server
	held bool // a slot is taken; given back by limitStreams
}

func (l *limitedStream) RecvMsg(m any) error {
	if err := l.ServerStream.RecvMsg(m); err != nil || l.held {
		return err
	}
	select {
	case l.s.streams <- struct{}{}:
		l.held = true
		return nil
	default:
		l.s.logger.WarnContext(l.Context(), "workload API stream refused: limit reached", "limit", cap(l.s.streams))
		return status.Errorf(codes.ResourceExhausted, "more than %d concurrent Workload API streams", cap(l.s.streams))
	}
}

// limitCalls refuses a unary call when WithMaxCalls calls are in progress.
func (s *Server) limitCalls(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	select {
	case s.calls <- struct{}{}:
	default:
		s.logger.WarnContext(ctx, "workload API call refused: limit reached", "limit", cap(s.calls))
		return nil, status.Errorf(codes.Unavailable, "more than %d concurrent Workload API calls", cap(s.calls))
	}
	defer func() { <-s.calls }()
	return handler(ctx, req)
}

// Listen creates a unix socket at path (removing a stale socket file) that
// only the current user can connect to unless mode (permission bits only)
// says otherwise.
//
// The socket never exists at path with other permissions than mode: it is
// bound inside a fresh directory next to path that only the current user
// can enter (0700), given mode there, and then linked into place (failing
// if something took path meanwhile), so there is no window in which
// another user could connect to a socket created under a permissive umask.
// Closing the listener removes the socket.
func Listen(path string, mode os.FileMode) (net.Listener, error) {
	if mode&^os.ModePerm != 0 {
		return nil, fmt.Errorf("%w: socket mode %v has bits beyond the permissions", ErrConfig, mode)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("%w: %s exists and is not a socket", ErrConfig, path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("workload: remove stale socket: %w", err)
		}
	}
	private, err := os.MkdirTemp(filepath.Dir(path), ".wl") // 0700
	if err != nil {
		return nil, fmt.Errorf("workload: private directory for the socket: %w", err)
	}
	defer os.RemoveAll(private)
	tmp := filepath.Join(private, "s")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("workload: listen: %w", err)
	}
	l.SetUnlinkOnClose(false) // the socket moves to path; Close removes it there
	if err := os.Chmod(tmp, mode); err != nil {
		l.Close()
		return nil, fmt.Errorf("workload: chmod socket: %w", err)
	}
	if err := os.Link(tmp, path); err != nil {
		l.Close()
		return nil, fmt.Errorf("workload: place socket: %w", err)
	}
	return &unixListener{UnixListener: l, path: path}, nil
}

// unixListener is a socket listener that was bound under a temporary name
// and linked to path: it reports path as its address and removes it on
// Close.
type unixListener struct {
	*net.UnixListener
	path string
	once sync.Once
}

func (l *unixListener) Addr() net.Addr { return &net.UnixAddr{Name: l.path, Net: "unix"} }

func (l *unixListener) Close() error {
	err := l.UnixListener.Close()
	l.once.Do(func() { os.Remove(l.path) })
	return err
}

// Serve accepts connections on l until ctx is done or Close is called; it
// then stops the server and returns nil. l is closed on return. A
// connection beyond [WithMaxConnsPerUID] is closed as soon as it is
// accepted. l must be a unix socket (its Addr's network "unix", and every
// connection it accepts a *net.UnixConn) unless the server was built
// [WithNonUnixListener]: otherwise Serve closes l and returns an error
// wrapping [ErrTransport].
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	if !s.nonUnix && network(l.Addr()) != "unix" {
		l.Close()
		return fmt.Errorf("%w: listener on %q; WithNonUnixListener if only the job can reach it", ErrTransport, network(l.Addr()))
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return ErrClosed
	}
	s.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { s.Close() })
	defer stop()
	err := s.grpc.Serve(admittingListener{Listener: l, s: s})
	if errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	return err
}

// Close stops the server: open streams end, and the Serve call returns.
// It is safe to call more than once.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	s.mu.Unlock()
	s.grpc.Stop()
	return nil
}

// caller checks the Workload API security header and attests the caller.
func (s *Server) caller(ctx context.Context) (spiffeid.ID, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get("workload.spiffe.io"); len(v) != 1 || v[0] != "true" {
		return spiffeid.ID{}, status.Error(codes.InvalidArgument, "security header missing from request")
	}
	c := noCaller()
	if p, ok := peer.FromContext(ctx); ok {
		if ai, ok := p.AuthInfo.(peerAuthInfo); ok {
			c = ai.caller
		}
	}
	id, err := s.attest.Attest(ctx, c)
	if err == nil && c.HasCredentials && readsPID(s.attest) {
		// Checked after the attestor answered: if the process that
		// connected is running now, it ran throughout, and its PID named
		// it and no other process whatever the attestor read. Checked
		// before, an exit and a PID reuse during the attestation would go
		// unseen (SPIRE's peertracker checks at the same point).
		if perr := c.proc.exited(); perr != nil {
			err = fmt.Errorf("%w: pid %d: %w", ErrNotAttested, c.PID, perr)
		}
	}
	if err != nil {
		s.logger.WarnContext(ctx, "workload attestation refused", "pid", c.PID, "uid", c.UID, "error", err)
		return spiffeid.ID{}, status.Error(codes.PermissionDenied, "no identity issued to caller")
	}
	return id, nil
}

// streamCaller attests the caller of a stream and counts the stream against
// its ID's [WithMaxStreamsPerID] bound; release must be called when the
// stream ends.
func (s *Server) streamCaller(ctx context.Context) (id spiffeid.ID, release func(), err error) {
	if id, err = s.caller(ctx); err != nil {
		return spiffeid.ID{}, nil, err
	}
	if release = hold(s, s.open, s.perID, id); release == nil {
		s.logger.WarnContext(ctx, "workload API stream refused: per-ID limit reached", "spiffe_id", id.String(), "limit", s.perID)
		return spiffeid.ID{}, nil, status.Errorf(codes.ResourceExhausted, "more than %d concurrent Workload API streams for this identity", s.perID)
	}
	return id, release, nil
}

// callCaller attests the caller of a unary call and counts the call
// against its ID's [WithMaxCallsPerID] bound; release must be called when
// the call ends.
func (s *Server) callCaller(ctx context.Context) (id spiffeid.ID, release func(), err error) {
	if id, err = s.caller(ctx); err != nil {
		return spiffeid.ID{}, nil, err
	}
	if release = hold(s, s.busy, s.callsPerID, id); release == nil {
		s.logger.WarnContext(ctx, "workload API call refused: per-ID limit reached", "spiffe_id", id.String(), "limit", s.callsPerID)
		return spiffeid.ID{}, nil, status.Errorf(codes.Unavailable, "more than %d concurrent Workload API calls for this identity", s.callsPerID)
	}
	return id, release, nil
}

// hold counts one more use by key (a SPIFFE ID, a uid) in held, guarded
// by s.mu, unless key already has limit; it returns the function that
// gives the use back, or nil when refused.
func hold[K comparable](s *Server, held map[K]int, limit int, key K) (release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if held[key] >= limit {
		return nil
	}
	held[key]++
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if held[key]--; held[key] == 0 {
			delete(held, key)
		}
	}
}

// FetchX509SVID streams the caller's X.509-SVID, re-issued at half its
// lifetime, until the client or the server goes away.
func (s *Server) FetchX509SVID(_ *workload.X509SVIDRequest, stream grpc.ServerStreamingServer[workload.X509SVIDResponse]) error {
	ctx := stream.Context()
	id, release, err := s.streamCaller(ctx)
	if err != nil {
		return err
	}
	defer release()
	bundle := concatDER(s.issuer.X509Bundle().X509Authorities())
	for first := true; ; first = false {
		if !first {
			// Attest the caller again before every re-issuance: the
			// attestor's answer at stream open is not an entitlement for
			// as long as the stream stays open. Without this, a caller the
			// attestor now refuses (its job ended, its uid unmapped) or
			// maps to another ID went on receiving fresh private keys for
			// the old ID every half-life, forever.
			again, err := s.caller(ctx)
			if err != nil {
				return err
			}
			if again != id {
				s.logger.WarnContext(ctx, "X.509-SVID stream ended: caller now attested as another ID", "spiffe_id", id.String(), "now", again.String())
				return status.Error(codes.PermissionDenied, "caller is no longer entitled to the streamed SPIFFE ID")
			}
		}
		sv, err := s.issuer.X509SVID(ctx, id, time.Time{})
		if err != nil {
			s.logger.ErrorContext(ctx, "X.509-SVID issuance failed", "spiffe_id", id.String(), "error", err)
			return status.Error(codes.Unavailable, "could not issue X.509-SVID")
		}
		certs, key, err := sv.MarshalRaw()
		if err != nil {
			return status.Error(codes.Internal, "could not encode X.509-SVID")
		}
		if err := stream.Send(&workload.X509SVIDResponse{Svids: []*workload.X509SVID{{
			SpiffeId: id.String(), X509Svid: certs, X509SvidKey: key, Bundle: bundle,
		}}}); err != nil {
			return err
		}
		if !s.waitHalfLife(ctx, sv) {
			return nil
		}
	}
}

// minRefresh bounds how often a stream re-issues, whatever the SVID TTL.
const minRefresh = time.Second

// waitHalfLife waits until half of the SVID's remaining lifetime has passed
// (at least minRefresh), or the stream or server ends.
func (s *Server) waitHalfLife(ctx context.Context, sv *x509svid.SVID) bool {
	d := time.Until(sv.Certificates[0].NotAfter) / 2
	if d < minRefresh {
		d = minRefresh
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.done:
	}
	return false
}

// FetchX509Bundles streams the trust bundle.
func (s *Server) FetchX509Bundles(_ *workload.X509BundlesRequest, stream grpc.ServerStreamingServer[workload.X509BundlesResponse]) error {
	ctx := stream.Context()
	_, release, err := s.streamCaller(ctx)
	if err != nil {
		return err
	}
	defer release()
	b := s.issuer.X509Bundle()
	if err := stream.Send(&workload.X509BundlesResponse{Bundles: map[string][]byte{
		b.TrustDomain().IDString(): concatDER(b.X509Authorities()),
	}}); err != nil {
		return err
	}
	return s.idle(ctx)
}

// FetchJWTBundles streams the JWT bundle, and sends it again whenever its
// keys change (checked every [WithBundleRefresh]). The bundle is the
// issuer's [svid.Issuer.FleetJWTBundle]; when the fleet key store cannot
// answer, the stream keeps the last bundle it sent (the first one falls back
// to [svid.Issuer.JWTBundle], this replica's own keys) and the failure is
// logged: a client does not receive a partial bundle that drops fleet keys
// while those may still verify a JWT-SVID. Once the store has not answered
// for [svid.Issuer.FleetJWTBundleMaxAge] since its last good read, every
// fleet key sent has lapsed, and the stream sends this replica's own keys.
func (s *Server) FetchJWTBundles(_ *workload.JWTBundlesRequest, stream grpc.ServerStreamingServer[workload.JWTBundlesResponse]) error {
	ctx := stream.Context()
	_, release, err := s.streamCaller(ctx)
	if err != nil {
		return err
	}
	defer release()
	// lastGood is when the key store last answered; zero while the stream
	// has sent only this replica's keys.
	var lastGood time.Time
	b, err := s.issuer.FleetJWTBundle(ctx)
	if err != nil {
		s.logger.WarnContext(ctx, "JWT bundle stream: fleet keys unavailable, sending this replica's keys", "error", err)
		b = s.issuer.JWTBundle()
	} else {
		lastGood = s.now()
	}
	tick := time.NewTicker(s.bundleRefresh)
	defer tick.Stop()
	for {
		jwks, err := b.Marshal()
		if err != nil {
			return status.Error(codes.Internal, "could not encode JWT bundle")
		}
		if err := stream.Send(&workload.JWTBundlesResponse{Bundles: map[string][]byte{b.TrustDomain().IDString(): jwks}}); err != nil {
			return err
		}
		// Wait for a bundle with other keys than the one sent.
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-s.done:
				return nil
			case <-tick.C:
			}
			n, err := s.issuer.FleetJWTBundle(ctx)
			switch {
			case err == nil:
				lastGood = s.now()
			case !lastGood.IsZero() && s.now().Sub(lastGood) <= s.issuer.FleetJWTBundleMaxAge():
				s.logger.WarnContext(ctx, "JWT bundle stream: keeping the last bundle sent", "error", err)
				continue
			default:
				// The fleet keys of the last bundle sent have all lapsed
				// from the store by now (their records reach at most
				// FleetJWTBundleMaxAge past the read): keeping them for as
				// long as the outage lasted would have clients trust a
				// retired, perhaps stolen, replica key without end. Fall
				// back to this replica's own keys, as JWTBundle does.
				s.logger.WarnContext(ctx, "JWT bundle stream: fleet keys unavailable for too long, sending this replica's keys", "error", err)
				lastGood, n = time.Time{}, s.issuer.JWTBundle()
			}
			if !n.Equal(b) {
				b = n
				break
			}
		}
	}
}

func (s *Server) idle(ctx context.Context) error {
	select {
	case <-ctx.Done():
	case <-s.done:
	}
	return nil
}

// FetchJWTSVID issues a JWT-SVID for the caller's identity and the
// requested audiences. More than one audience follows the issuer's choice:
// refused (InvalidArgument) unless it was built [svid.WithMultipleAudiences],
// since each audience could replay the token at the others; the client
// chooses its audiences, the operator whether several may share a token.
// A request naming another SPIFFE ID is refused, and so, with
// codes.Unavailable, is a call beyond [WithMaxCalls] or [WithMaxCallsPerID].
func (s *Server) FetchJWTSVID(ctx context.Context, req *workload.JWTSVIDRequest) (*workload.JWTSVIDResponse, error) {
	id, release, err := s.callCaller(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	if len(req.GetAudience()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "audience must be specified")
	}
	if want := req.GetSpiffeId(); want != "" && want != id.String() {
		return nil, status.Error(codes.PermissionDenied, "caller is not entitled to the requested SPIFFE ID")
	}
	aud := req.GetAudience()
	sv, err := s.issuer.JWTSVID(ctx, id, time.Time{}, aud[0], aud[1:]...)
	if err != nil {
		if errors.Is(err, svid.ErrMultipleAudiences) {
			return nil, status.Error(codes.InvalidArgument, "several audiences: request one JWT-SVID per audience")
		}
		if errors.Is(err, svid.ErrConfig) {
			return nil, status.Error(codes.InvalidArgument, "invalid audience")
		}
		return nil, status.Error(codes.Unavailable, "could not issue JWT-SVID")
	}
	return &workload.JWTSVIDResponse{Svids: []*workload.JWTSVID{{SpiffeId: id.String(), Svid: sv.Marshal()}}}, nil
}

// ValidateJWTSVID validates a JWT-SVID against the issuer's JWT bundle for
// one audience, under the issuer's [svid.Issuer.JWTVerifierOptions]: no
// other audience unless it mints several, a lifetime no longer than it
// mints (or [svid.DefaultMaxJWTLifetime]). A call beyond [WithMaxCalls] or [WithMaxCallsPerID] is
// refused with codes.Unavailable.
func (s *Server) ValidateJWTSVID(ctx context.Context, req *workload.ValidateJWTSVIDRequest) (*workload.ValidateJWTSVIDResponse, error) {
	_, release, err := s.callCaller(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	if req.GetAudience() == "" || req.GetSvid() == "" {
		return nil, status.Error(codes.InvalidArgument, "audience and svid must be specified")
	}
	// Under the issuer's own choices: several audiences only if it mints
	// them, and no longer a lifetime than its JWT-SVID TTL (or the default).
	sv, err := svid.ParseAndValidateJWT(req.GetSvid(), s.issuer, []string{req.GetAudience()}, s.issuer.JWTVerifierOptions()...)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, "invalid JWT-SVID")
	}
	claims, err := structpb.NewStruct(sv.Claims)
	if err != nil {
		return nil, status.Error(codes.Internal, "could not encode claims")
	}
	return &workload.ValidateJWTSVIDResponse{SpiffeId: sv.ID.String(), Claims: claims}, nil
}

func concatDER(certs []*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, c.Raw...)
	}
	return out
}
