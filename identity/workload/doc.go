// Package workload serves and consumes the SPIFFE Workload API.
//
// [Server] speaks go-spiffe's published Workload API protobuf over gRPC on a
// unix socket, issuing from an embedded identity/svid issuer, so any
// SPIFFE-aware tool inside a job can fetch its SVID from the runner. An
// [Attestor] decides which SPIFFE ID a caller gets: [FixedID] for a socket
// per job, [UID] from the caller's SO_PEERCRED (never the overflow uid,
// nobody, which every caller unmapped in the server's user namespace has).
//
//	l, _ := workload.Listen("/run/ztci/job-42.sock", 0o600)
//	srv, _ := workload.NewServer(issuer, workload.FixedID(jobID))
//	go srv.Serve(ctx, l)
//	defer srv.Close()
//
// [Open] is the client side: live sources from any Workload API (SPIRE or
// [Server]) through go-spiffe's workloadapi, closed with one Close.
// Whoever answers at its address chooses the CA the job trusts, so Open
// takes a unix socket only (tcp:// is refused: [ErrTransport]) whose path
// no one else could have put in place or could replace: every entry it
// resolves through (symlinks followed) is owned by the process's effective
// uid, root or a [WithSocketOwner] uid (the runner's, a SPIRE agent's;
// the overflow uid, nobody, only when WithSocketOwner names it), and
// no directory on it is writable by group or others unless sticky, the
// rule OpenSSH applies to the files it trusts, with /tmp's sticky bit
// allowed. It is checked before every dial, reconnects included, and on
// Linux, macOS and FreeBSD every connection is checked as well: the process
// serving the socket (SO_PEERCRED; LOCAL_PEERCRED on macOS and FreeBSD)
// must run as one of those uids, so a socket another user bound at the same
// name after the path check (the agent's unlinked from /tmp in between) is
// closed unused ([ErrTransport]); elsewhere (OpenBSD, NetBSD, ...) only the
// path check applies. [WithSecuredTransport] says the vendor secured
// the transport and turns the checks off.
//
// Security contract: [Server.Serve] serves a unix socket only, as the
// specification has it (a listener of another network, or a connection
// that is not a unix socket's, is refused: [ErrTransport]) unless
// [WithNonUnixListener] says the vendor secured another transport, since
// [FixedID] hands the job's private key to whoever connects; the
// Workload API security header is required; callers
// the attestor refuses get PermissionDenied and nothing else, and so do
// callers that an attestor other than [FixedID] and [UID] (one that may
// look the caller's PID up, in /proc say) admitted while the process that
// connected has exited by the time it answered (its PID may name another
// process by then; a pidfd taken when the connection was made tells, see
// [Caller]); a caller may
// request a JWT-SVID only for its own ID; X.509-SVIDs are re-sent at half
// their lifetime, each after attesting the caller again (a stream whose
// caller the attestor now refuses, or maps to another ID, ends with
// PermissionDenied); the JWT bundle is sent again on an open stream whenever
// its keys change (a rotation, a key another replica published to the fleet
// key store; checked every [WithBundleRefresh]), and when the fleet key
// store cannot answer a stream keeps the last bundle it sent rather than a
// partial one, for at most [svid.Issuer.FleetJWTBundleMaxAge] after the
// store's last answer (then this replica's own keys); private keys go only
// to the attested caller; requests larger than [MaxRequestSize] are refused
// unread, so is a request whose headers exceed [MaxRequestHeaderSize], and
// one connection holds at most [MaxStreamsPerConn] streams and calls at
// once; and a JWT-SVID whose audiences would make it longer than
// [svid.MaxJWTSize] is refused (InvalidArgument), and so is one for more
// than one audience unless the issuer was built [svid.WithMultipleAudiences]
// (each audience could replay it at the others); ValidateJWTSVID follows
// its issuer's choices too ([svid.Issuer.JWTVerifierOptions]): a JWT-SVID
// whose aud lists audiences besides the one asked about is invalid unless
// the issuer was built [svid.WithMultipleAudiences], and so is one without
// iat or living longer than [svid.DefaultMaxJWTLifetime] or the issuer's
// longer JWT-SVID TTL; Close ends
// every stream and Serve returns. [Listen] never exposes the socket with
// wider permissions than asked (it is created in a private directory and
// linked into place); concurrent streams are bounded, in all
// ([WithMaxStreams]) and per attested ID ([WithMaxStreamsPerID], so that one
// job on a shared socket cannot hold every stream), and refused beyond
// either with ResourceExhausted (a stream counts once its request has
// arrived, so that idle streams hold no slot); so are the FetchJWTSVID and ValidateJWTSVID
// calls in progress ([WithMaxCalls], [WithMaxCallsPerID]), refused beyond
// either with Unavailable, the specification's load-shedding code that
// clients retry with a backoff; and the connections one uid holds open
// ([WithMaxConnsPerUID], counted from SO_PEERCRED before any request is
// read, so that callers the attestor refuses are bounded too), beyond which
// a connection is closed when accepted. A [Server] never prints its
// issuer's keys.
package workload
