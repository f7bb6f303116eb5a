// Package httpauth authenticates HTTP callers by mTLS (an X.509-SVID) or by
// a bearer token (an OIDC job token), and puts the caller's
// [identity.Identity] in the request context.
//
//	a, _ := httpauth.New(httpauth.WithBearer(verifier), httpauth.WithMTLS(bundle, authz))
//	http.Handle("/deploy", a.Middleware(handler)) // handler: identity.FromContext(r.Context())
//	// serve with mtls.ServerConfigClientOptional(svid, bundle, authz) so both kinds of caller connect
//	// (behind a TLS-terminating proxy: httpauth.WithTLSTerminatingProxy())
//
//	rt, _ := httpauth.RoundTripper("https://deployer.example.com", tokens, nil)
//	client := &http.Client{Transport: rt} // the token goes to that origin only
//
// Security contract: deny by default (401 without calling the handler); a
// presented client certificate is verified against the bundle here even if
// the TLS layer already did, the authorizer sees the verified chains (SVID
// to bundle authority, as go-spiffe's tlsconfig gives them), never the
// certificates as presented, and a bad one (or one whose SPIFFE ID is
// longer than the specification's 2048 bytes, is a trust domain's own
// ID, or that is not for TLS client authentication: no digitalSignature, or
// an extended key usage in its chain without clientAuth, svid.ErrKeyUsage)
// is never overridden by a token; only the "Bearer" scheme is read
// ("Bearer", any case, one space, then an RFC 6750 b64token and nothing
// else: no second space, trailing space or tab, or comma-joined second
// credential reaches the verifier), from exactly one Authorization field,
// whatever the case of its key (a request with two is refused: a proxy in
// front might read the other), and only on a request that came over TLS
// (one without is refused, [ErrPlaintext], unless
// [WithTLSTerminatingProxy] says a trusted proxy in front terminated TLS);
// the handler receives the request without its Authorization fields (the
// caller is in the context), so one that logs headers or proxies the
// request on never passes the token along; failure details are logged,
// never sent to the caller, and text the caller chose (a certificate's
// names, the path) is clipped there; tokens never appear in logs or errors
// (a verifier's error that quotes the token, or a dot-separated part of it
// of 16 bytes or more, has it cut out). The client transport sends the
// token to the one origin (scheme, host, port) it was configured for, over
// https (plain http only to loopback), and refuses any other request, so
// that a redirect to another host or a downgrade to plain HTTP never
// carries it; a request whose Host or request target (URL.Opaque, a path
// not beginning with "/") names another origin than its URL is refused
// too, since a front end shared by several hosts routes on it. The token
// is the only Authorization field the transport sends.
package httpauth
