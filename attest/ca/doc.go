// Package ca is an embedded, private Fulcio: a certificate authority in a
// library that issues short-lived (default 10 minutes) code-signing
// certificates to ephemeral keys, bound to a workload's identity.
//
// A certificate names the identity in its SAN (the SPIFFE ID, or the
// identity's URI or email subject, byte for byte: a subject the URI
// encoder would rewrite, such as "HTTPS://…" or one with a space, is
// refused with ErrIdentity, as is a subject, issuer or claim longer than
// MaxIdentityValue, holding a control character, a line separator or a
// bidirectional formatting character such as U+202E, or not UTF-8) and carries
// the OIDC issuer and CI claims in Fulcio's extensions (OIDs
// 1.3.6.1.4.1.57264.1.*), so any Sigstore verifier can apply identity
// policy to it. The CA plugs into attest as a certificate issuer, and
// serves Fulcio's HTTP API (POST /api/v2/signingCert) as an http.Handler
// so a vendor can run it as the private Fulcio of their jobs:
//
//	c, _ := ca.New(ca.WithDir("/var/lib/ztci/ca"), ca.WithSubjectDomain(jobIssuer, "https://git.example.com"))
//	signer, _ := attest.NewCASigner(c.IssuerFor(id), attest.WithEmbeddedTimestampAuthority(t.Handler()))
//	srv := ca.NewServer(":8443", c.Handler(ca.OIDCAuthenticator(verifier))) // optional: serve it as Fulcio
//	go srv.ListenAndServeTLS(certFile, keyFile)
//
// Security contract: a URI subject is certified only on the subject domain
// configured for its token's issuer ([WithSubjectDomain]: the same scheme
// and host, port included, no user info), as Fulcio requires of its issuers
// of type "uri"; an issuer without a domain certifies no URI subject, and
// an opaque URI ("repo:…", no host) none at all (ErrSubjectDomain), so an
// issuer the Authenticator accepts cannot have the CA name a workflow on
// someone else's forge. Keys below RSA-2048 or P-256 are refused (ErrWeakKey),
// and RSA keys of other sizes than 2048, 3072 and 4096 bits, the ones
// Sigstore verifiers accept (ErrUnsupportedKey, before any signature is
// checked with them); a key under which anyone can sign is refused too
// (ErrWeakKey: an RSA exponent other than 65537 or an even modulus, an
// ECDSA point off its curve, an Ed25519 point of small order); a CA outside its validity issues nothing
// (ErrExpired, ErrNotYetValid); a certificate never outlives its root. The
// HTTP handler issues only to a caller whose token the Authenticator
// accepts and who proves possession of the key (a CSR's signature counts
// only over SHA-2 or with Ed25519, never SHA-1: ErrProofOfPossession); it
// never echoes the token.
//
// A certificate for a token ([CA.IssueToken], [CA.IssuerForToken], and the
// handler over a [TokenAuthenticator] such as [OIDCAuthenticator]) never
// outlives it: NotAfter is the earliest of the token's exp, the configured
// lifetime and the root's expiry. NotBefore is the time of issue, never
// backdated (only rounded down to the whole second X.509 holds), and
// never before the token's iat or nbf: a token from an issuer whose clock
// runs ahead, accepted within the verifier's leeway, gives a certificate
// valid from its iat. A token without an exp, or one leaving less than a
// whole second, is refused (ErrTokenValidity); there is no longer
// minimum, as the CA cannot know how long a signer needs and a longer
// certificate would outlive the token. An email subject is certified for
// a token only when its issuer verified it (its email claim is the
// subject and email_verified is true, as Fulcio requires of email
// issuers; ErrEmailUnverified otherwise): an address accepted by its shape
// names whoever the issuer let write it. The handler over a plain
// Authenticator, which reports neither, bounds certificates by
// [WithCertValidity] alone and certifies no email subject. [CA.Issue]
// certifies the identity it is given as established by its caller.
// It refuses unread a body declared as anything but application/json (415)
// or as longer than 64 KiB, reads at most 64 KiB within [BodyTimeout] (408
// after it, and the connection closed) and bounds the rest of the work by
// [RequestTimeout]; [NewServer] adds the per-connection limits. A CA never
// prints its key. Persisted keys are PKCS#8 PEM with mode 0600 and are
// refused when group- or world-readable. Rotate keeps retired root
// certificates (not their keys) so old certificates still verify through
// the exported trusted root. No SCTs are issued: verifiers of this CA's
// certificates must not require certificate transparency.
//
// Fulcio's URI-typed extensions (Build Signer URI, Source Repository URI,
// Source Repository Owner URI, Run Invocation URI) hold absolute URIs built
// as Fulcio's ci-provider templates build them, on the forge URL of the
// token's issuer (https://github.com for GitHub Actions, the issuer URL by
// default, or [WithServerURL]): "https://github.com/acme/app", never
// "acme/app"; a claim that would make one of them a non-URI, or a URI
// with user info (a clone URL's token, "https://github.com@evil.example/…"
// naming evil.example), is refused with ErrIdentity, and no error quotes
// a URL's password.
//
// Stricter than Fulcio, which certifies URIs as the token states them: the
// SAN URI and every URI-typed extension are refused (ErrIdentity wrapping
// oidc.ErrURIPath) when a path segment is "." or ".." once percent-decoded
// ("%2e%2e", "%2E.", "%252e"), is empty other than a trailing one ("//"),
// or holds '/' or '\' once decoded ("%2f", "%5c"), and when the URI holds
// '?' or '#', also percent-encoded ("%23"): git allows both in a branch, and
// ".../release.yml@refs/heads/x#@refs/heads/main" matches a suffix
// "@refs/heads/main" while a URI parser reads branch x (Fulcio certifies
// it; ztci refuses rather than percent-encodes, so a certified URI is the
// claim byte for byte). Git refuses ".." in a
// ref name but not '%', so a branch "%2e%2e/%2e%2e/…/victim/app/…" puts
// dot segments after "@refs/heads/", and a verifier that decodes and cleans
// the path (path.Clean, url.ResolveReference, a WHATWG URL parser, a
// normalising proxy) would read another repository's workflow in the
// certificate. The one "//" GitLab's ci_config_ref_uri holds between the
// project and the CI config path (Fulcio's GitLab SAN and Build Signer URI)
// is allowed; a second, or one before any project path, is not. With [WithAudit] every issued certificate is audited
// (identity, serial, SANs, validity; never a key, token or the certificate
// itself) and none is returned when the sink fails.
//
// A fleet of CA replicas shares one key through [WithSigner] (a
// crypto.Signer, typically a KMS key: only Public and Sign are called) and
// one root certificate made once with [NewRootCertificate]; New refuses a
// signer that cannot sign for that root. Such a CA persists nothing and
// rotates in the KMS, keeping old roots with [WithRetiredRoots].
package ca
