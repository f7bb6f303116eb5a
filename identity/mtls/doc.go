// Package mtls builds mutual-TLS configurations between pipeline stages on
// go-spiffe's tlsconfig, with authorizers that combine ([AuthorizeAll],
// [AuthorizeAny]) — the combination go-spiffe lacks.
//
//	src, _ := workload.Open(ctx, "unix:///run/ztci/job.sock")
//	defer src.Close()
//	authz := mtls.AuthorizeAll(
//		mtls.AuthorizeMemberOf(td),
//		mtls.AuthorizeMatcher(identity.MatchSPIFFEID(spiffeid.MatchID(deployer))),
//	)
//	cfg, err := mtls.ServerConfig(src, src, authz)
//	ln, err := mtls.NewListener(tcp, cfg, mtls.WithMaxConnAge(10*time.Minute))
//	err = srv.Serve(ln) // an http.Server: each connection ends with its client's SVID
//
// Security contract: every argument is required (no configuration without
// an authorizer); TLS 1.3 only; peer chains are verified against the given
// bundle before the authorizer runs, on every connection (servers issue no
// session tickets, and a resumed session, which crypto/tls resumes without
// VerifyPeerCertificate, is verified and authorized again); empty combinations refuse everyone;
// a peer SPIFFE ID longer than the specification's 2048 bytes, or that is
// a trust domain's own ID (no path: the X509-SVID specification, §5.2, has
// validators refuse such a leaf, which go-spiffe does not), is refused
// before any authorizer sees it, and so is a peer whose certificate is not
// for TLS authentication in its role (svid.CheckPeerKeyUsage: a leaf
// without digitalSignature, or an extended key usage in the chain that
// leaves out clientAuth for a client, serverAuth for a server; go-spiffe
// verifies for any usage, so a code-signing certificate from a CA of the
// bundle would otherwise authenticate; wraps svid.ErrKeyUsage); refusals,
// a chain that does not verify against the bundle of the ID's trust domain
// included, wrap [ErrUnauthorized] (go-spiffe's text, which may name the
// trust domain of a certificate the peer made itself, clipped). A peer is authorized at the handshake,
// so a connection made with these configurations alone (tls.Listen,
// tls.Dial, http.Server.ServeTLS, gRPC's TLS credentials) stays open after
// the peer's SVID expires: [NewListener] (for http.Server.Serve, HTTP/2
// included) and [Dialer] (an http.Transport's DialTLSContext) close each
// connection when the earliest NotAfter of the certificates its peer
// presented passes, and [WithMaxConnAge] sooner, so that a peer refused
// since (its job ended) is cut within that age. gRPC does its own handshake,
// so neither applies to it: use [GRPCCredentials] (grpc.Creds on a server,
// grpc.WithTransportCredentials on a client), whose connections end the
// same way, rather than credentials.NewTLS(cfg), under which a client
// keeps calling on a connection its expired SVID opened. Its close is
// abrupt; to drain a server's connections first, set
// keepalive.ServerParameters' MaxConnectionAge and MaxConnectionAgeGrace
// (grpc.KeepaliveParams) as well, their sum shorter than the SVID TTL.
package mtls
